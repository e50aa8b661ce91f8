"""Maternity benefit (chế độ thai sản) at childbirth, for the mother or the insured father.

Rules (Law 41/2024/QH15 Art. 50, 53, 58, 59, 60):

- eligible with ≥ 6 months of contributions within the 12 months before the birth (Art. 50.2);
- mother: leave of 6 months + 1 month per further child of the birth; benefit = round(100% × average
  SI salary of the last 6 months × months) (Art. 53.1, 59.1);
- father: 5 working days; 7 for a caesarean or a birth under 32 weeks; 10 for twins, 14 for twins by
  caesarean; +3 per child from the third; benefit = round(average ÷ 24 × days) (Art. 53.2, 59.2);
- lump sum per child = 2 × the reference level in the month of birth, to the mother, or to the father
  when the mother is not insured (Art. 58);
- convalescence for the mother: 30% × reference level × days, at most 10 (Art. 60).

Worked example: mother, 2026-03, average 8,000,000, 12 months, one child: leave 6 months →
48,000,000; lump sum 2 × 2,340,000 = 4,680,000; total 52,680,000.
"""

from __future__ import annotations

from ansinh.core.money import round_dong
from ansinh.law.calculators.base import CalculationError, CalculationResult, Worksheet, dong, percent
from ansinh.law.parameters import ParameterSet
from ansinh.law.periods import Period

BENEFICIARIES = ("mother", "father")


def _father_days(
    params: ParameterSet, sheet: Worksheet, children: int, caesarean: bool, premature: bool
) -> int:
    days = params.integer_by_key("paternity_leave_days", sheet.at)
    if children == 1:
        leave = days["single_caesarean_or_premature"] if (caesarean or premature) else days["single"]
    else:
        leave = days["twins_caesarean"] if caesarean else days["twins"]
        leave += days["extra_per_child_from_third"] * (children - 2)
    sheet.step(
        "Paternity leave (working days)",
        leave,
        "Law 41/2024/QH15 Art. 53.2",
        "paternity_leave_days",
        formula=f"{children} child(ren), caesarean {caesarean}, under 32 weeks {premature}",
    )
    return leave


def maternity(
    params: ParameterSet,
    *,
    period: Period,
    beneficiary: str,
    average_salary_last6: int,
    contribution_months_last12: int,
    children: int = 1,
    caesarean: bool = False,
    premature: bool = False,
    mother_insured: bool = True,
    convalescence_days: int = 0,
) -> CalculationResult:
    """Maternity benefits for a birth in ``period``."""
    at = period.first_day
    sheet = Worksheet(params, at)
    if beneficiary not in BENEFICIARIES:
        raise CalculationError("invalid_choice", "beneficiary", f"expected one of {BENEFICIARIES}")
    if children < 1:
        raise CalculationError("out_of_range", "children", "at least one child")
    if beneficiary == "father" and convalescence_days:
        raise CalculationError(
            "invalid_value", "convalescence_days", "convalescence after birth is the mother's"
        )
    if convalescence_days > params.integer("convalescence_max_days", at):
        raise CalculationError("out_of_range", "convalescence_days", "too many days of convalescence")
    needed = params.integer("maternity_qualifying_months", at)
    window = params.integer("maternity_qualifying_window_months", at)
    eligible = contribution_months_last12 >= needed
    sheet.step(
        f"Eligible: months of contributions in the {window} months before birth ≥ {needed}",
        eligible,
        "Law 41/2024/QH15 Art. 50.2",
        "maternity_qualifying_months",
        "maternity_qualifying_window_months",
        formula=f"{contribution_months_last12} ≥ {needed}",
    )
    leave_months = leave_days = leave_benefit = lump = convalescence = 0
    if eligible:
        rate = params.rate("maternity_benefit_rate", at)
        if beneficiary == "mother":
            leave_months = params.integer("maternity_leave_months", at) + params.integer(
                "maternity_leave_extra_months_per_child", at
            ) * (children - 1)
            leave_benefit = round_dong(average_salary_last6 * rate * leave_months)
            sheet.step(
                "Maternity leave benefit (trợ cấp thai sản)",
                leave_benefit,
                "Law 41/2024/QH15 Art. 53.1, Art. 59.1",
                "maternity_leave_months",
                "maternity_leave_extra_months_per_child",
                "maternity_benefit_rate",
                formula=f"round({dong(average_salary_last6)} × {percent(rate)} × {leave_months})",
            )
        else:
            leave_days = _father_days(params, sheet, children, caesarean, premature)
            divisor = params.integer("benefit_working_days_per_month", at)
            leave_benefit = round_dong(average_salary_last6 * rate * leave_days / divisor)
            sheet.step(
                "Paternity benefit",
                leave_benefit,
                "Law 41/2024/QH15 Art. 59.2",
                "maternity_benefit_rate",
                "benefit_working_days_per_month",
                formula=f"round({dong(average_salary_last6)} × {percent(rate)} ÷ {divisor} × {leave_days})",
            )
        reference_level = params.dong("reference_level", at)
        if beneficiary == "mother" or not mother_insured:
            multiplier = params.rate("maternity_lump_sum_multiplier", at)
            lump = round_dong(multiplier * reference_level * children)
            sheet.step(
                "Lump sum per child at birth (trợ cấp một lần khi sinh con)",
                lump,
                "Law 41/2024/QH15 Art. 58",
                "maternity_lump_sum_multiplier",
                "reference_level",
                formula=f"{multiplier} × {dong(reference_level)} × {children}",
            )
        if convalescence_days:
            daily_rate = params.rate("convalescence_daily_rate", at)
            convalescence = round_dong(reference_level * daily_rate * convalescence_days)
            sheet.step(
                "Convalescence after birth",
                convalescence,
                "Law 41/2024/QH15 Art. 60.3",
                "convalescence_daily_rate",
                "reference_level",
                formula=f"round({dong(reference_level)} × {percent(daily_rate)} × {convalescence_days})",
            )
    total = leave_benefit + lump + convalescence
    sheet.step("Total", total, "sum of the rounded amounts")
    figures = {
        "period": str(period),
        "beneficiary": beneficiary,
        "eligible": eligible,
        "leave_months": leave_months,
        "leave_days": leave_days,
        "leave_benefit": leave_benefit,
        "lump_sum": lump,
        "convalescence_benefit": convalescence,
        "total": total,
    }
    return CalculationResult("maternity", figures, sheet.steps)
