"""Voluntary social insurance (BHXH tự nguyện): contribution, State support (hỗ trợ tiền đóng), payable.

Rules (Law 41/2024/QH15 Art. 31.2, 32.2, 36; Decree 159/2025/NĐ-CP Art. 5):

- the chosen income must be between the rural poverty line and 20 × the reference level;
- monthly contribution = round(income × 22%); monthly support = round(rural poverty line × 22% × the
  group's support rate in force in the period); both × ``months`` (1, 3, 6 or 12);
- support is paid for at most 120 months in a lifetime (optional fact ``supported_months_used``);
- payable = contribution − support.

Worked example: 2026-01, income 1,500,000, poor household, 12 months: contribution 330,000 × 12 =
3,960,000; support round(1,500,000 × 22% × 50%) = 165,000 × 12 = 1,980,000; payable 1,980,000.
"""

from __future__ import annotations

from ansinh.core.money import round_dong
from ansinh.law.calculators.base import CalculationError, CalculationResult, Worksheet, dong, percent
from ansinh.law.parameters import ParameterSet
from ansinh.law.periods import Period

GROUPS = ("poor", "near_poor", "ethnic_minority", "other")


def voluntary(
    params: ParameterSet,
    *,
    period: Period,
    income: int,
    group: str,
    months: int,
    supported_months_used: int = 0,
) -> CalculationResult:
    """Voluntary SI for ``months`` months starting in ``period``."""
    at = period.first_day
    sheet = Worksheet(params, at)
    modes = params.integer_list("voluntary_payment_modes", at)
    if months not in modes:
        raise CalculationError("invalid_choice", "months", f"payment mode must be one of {modes} months")
    poverty_line = params.dong("rural_poverty_line", at)
    reference_level = params.dong("reference_level", at)
    maximum = round_dong(params.rate("voluntary_income_cap_multiplier", at) * reference_level)
    if income < poverty_line:
        raise CalculationError(
            "below_minimum_income",
            "income",
            f"income {income:,} is below the rural poverty line {poverty_line:,} in force in {period}",
        )
    if income > maximum:
        raise CalculationError(
            "above_maximum_income",
            "income",
            f"income {income:,} is above 20 × the reference level ({maximum:,}) in force in {period}",
        )
    sheet.step(
        "Income range (khung thu nhập)",
        {"minimum": poverty_line, "maximum": maximum},
        "Law 41/2024/QH15 Art. 31.2",
        "rural_poverty_line",
        "voluntary_income_cap_multiplier",
        "reference_level",
    )
    rate = params.rate("voluntary_si_rate", at)
    monthly_contribution = round_dong(income * rate)
    sheet.step(
        "Monthly contribution (mức đóng hằng tháng)",
        monthly_contribution,
        "Law 41/2024/QH15 Art. 36.1",
        "voluntary_si_rate",
        formula=f"round({dong(income)} × {percent(rate)})",
    )
    support_rate = params.rate_by_key("voluntary_support_rate", at)[group]
    monthly_support = round_dong(poverty_line * rate * support_rate)
    sheet.step(
        f"Monthly State support, group {group} (mức hỗ trợ hằng tháng)",
        monthly_support,
        "Law 41/2024/QH15 Art. 36.1",
        "voluntary_support_rate",
        "rural_poverty_line",
        formula=f"round({dong(poverty_line)} × {percent(rate)} × {percent(support_rate)})",
    )
    max_support_months = params.integer("voluntary_support_max_months", at)
    supported_months = max(0, min(months, max_support_months - supported_months_used))
    if supported_months != months:
        sheet.step(
            "Months still eligible for support",
            supported_months,
            "",
            "voluntary_support_max_months",
            formula=f"min({months}, {max_support_months} − {supported_months_used})",
        )
    contribution = monthly_contribution * months
    state_support = monthly_support * supported_months
    payable = contribution - state_support
    sheet.step(
        "Contribution for the period",
        contribution,
        "Law 41/2024/QH15 Art. 36.2",
        "voluntary_payment_modes",
        formula=f"{dong(monthly_contribution)} × {months}",
    )
    sheet.step(
        "State support for the period",
        state_support,
        "Decree 159/2025/NĐ-CP Art. 5",
        formula=f"{dong(monthly_support)} × {supported_months}",
    )
    sheet.step(
        "Payable by the participant (số tiền phải đóng)",
        payable,
        "Law 41/2024/QH15 Art. 36",
        formula=f"{dong(contribution)} − {dong(state_support)}",
    )
    figures = {
        "period": str(period),
        "months": months,
        "group": group,
        "monthly_contribution": monthly_contribution,
        "monthly_state_support": monthly_support,
        "supported_months": supported_months,
        "contribution": contribution,
        "state_support": state_support,
        "payable": payable,
    }
    return CalculationResult("voluntary", figures, sheet.steps)
