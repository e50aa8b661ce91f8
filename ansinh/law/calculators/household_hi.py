"""Household health insurance (BHYT hộ gia đình): the amount of each member and the total.

Rule (Law on Health Insurance Art. 13.1(e); Decree 146/2018/NĐ-CP Art. 7.1(e), continued by Decree
188/2025/NĐ-CP): member k pays round(4.5% × reference level × factor_k) per month, × ``months`` (3, 6
or 12); factors 1, 0.7, 0.6, 0.5, then 0.4 for the 5th member and later; reference level in force in
the period.

Worked example: 2026-01, 2 members, 12 months: 105,300 × 12 = 1,263,600 and 73,710 × 12 = 884,520;
total 2,148,120.
"""

from __future__ import annotations

from ansinh.core.money import round_dong
from ansinh.law.calculators.base import CalculationError, CalculationResult, Worksheet, dong, percent
from ansinh.law.parameters import ParameterSet
from ansinh.law.periods import Period


def household_hi(params: ParameterSet, *, period: Period, members: int, months: int) -> CalculationResult:
    """Household HI for ``members`` people of one household joining in the same fiscal year."""
    at = period.first_day
    sheet = Worksheet(params, at)
    if members < 1:
        raise CalculationError("out_of_range", "members", "a household has at least one member")
    modes = params.integer_list("household_hi_payment_modes", at)
    if months not in modes:
        raise CalculationError("invalid_choice", "months", f"payment period must be one of {modes} months")
    reference_level = params.dong("reference_level", at)
    rate = params.rate("hi_rate_household", at)
    factors = params.rate_list("household_hi_factors", at)
    sheet.step(
        "Reference level (mức tham chiếu)",
        reference_level,
        "Law on Health Insurance Art. 13",
        "reference_level",
    )
    amounts: list[int] = []
    monthly: list[int] = []
    for k in range(1, members + 1):
        factor = factors[min(k, len(factors)) - 1]
        per_month = round_dong(rate * reference_level * factor)
        monthly.append(per_month)
        amounts.append(per_month * months)
        sheet.step(
            f"Member {k} (người thứ {k})",
            per_month * months,
            "Law on Health Insurance Art. 13.1(e)",
            "hi_rate_household",
            "household_hi_factors",
            formula=f"round({percent(rate)} × {dong(reference_level)} × {factor}) × {months}",
        )
    total = sum(amounts)
    sheet.step("Total for the household", total, "sum of the members' amounts")
    figures = {
        "period": str(period),
        "months": months,
        "monthly": monthly,
        "members": amounts,
        "total": total,
    }
    return CalculationResult("household_hi", figures, sheet.steps)
