"""Sickness benefit (chế độ ốm đau) for an employee's own illness, with optional convalescence.

Rules (Law 41/2024/QH15 Art. 43, 45, 46):

- yearly entitlement in working days by years of contributions: < 15 years 30 days (40 for heavy or
  hazardous work / hard areas), 15 to < 30 years 40 (50), ≥ 30 years 60 (70) (Art. 43.1);
- benefit = 75% × the SI salary of the month before the leave ÷ 24 × days paid, rounded once to the
  đồng (Art. 45.2–45.3); days paid = days asked, within what is left of the year's entitlement;
- convalescence (dưỡng sức) = 30% × the reference level × days, at most 10 days (Art. 46).

Worked example: 2026-03, salary 9,600,000, 10 years, 5 days, 5 days of convalescence:
9,600,000 × 75% ÷ 24 × 5 = 1,500,000; 2,340,000 × 30% × 5 = 3,510,000; total 5,010,000.
"""

from __future__ import annotations

from ansinh.core.money import round_dong
from ansinh.law.calculators.base import CalculationError, CalculationResult, Worksheet, dong, percent
from ansinh.law.parameters import ParameterSet
from ansinh.law.periods import Period


def sickness(
    params: ParameterSet,
    *,
    period: Period,
    salary_previous_month: int,
    contribution_years: int,
    days: int,
    heavy_work: bool = False,
    days_taken_this_year: int = 0,
    convalescence_days: int = 0,
) -> CalculationResult:
    """Sickness benefit for ``days`` working days of leave starting in ``period``."""
    at = period.first_day
    sheet = Worksheet(params, at)
    max_convalescence = params.integer("convalescence_max_days", at)
    if convalescence_days > max_convalescence:
        raise CalculationError("out_of_range", "convalescence_days", f"at most {max_convalescence} days")
    brackets = params.records("sickness_entitlement_days", at)
    column = "heavy" if heavy_work else "normal"
    entitlement = max(int(b[column]) for b in brackets if contribution_years >= int(b["min_years"]))
    sheet.step(
        f"Yearly entitlement, {column} work, {contribution_years} years (working days)",
        entitlement,
        "Law 41/2024/QH15 Art. 43.1",
        "sickness_entitlement_days",
    )
    paid_days = max(0, min(days, entitlement - days_taken_this_year))
    sheet.step(
        "Days paid",
        paid_days,
        "Law 41/2024/QH15 Art. 43.1",
        formula=f"min({days}, {entitlement} − {days_taken_this_year})",
    )
    rate = params.rate("sickness_benefit_rate", at)
    divisor = params.integer("benefit_working_days_per_month", at)
    daily = round_dong(salary_previous_month * rate / divisor)
    benefit = round_dong(salary_previous_month * rate * paid_days / divisor)
    sheet.step(
        "Sickness benefit (trợ cấp ốm đau)",
        benefit,
        "Law 41/2024/QH15 Art. 45.2(a), Art. 45.3",
        "sickness_benefit_rate",
        "benefit_working_days_per_month",
        formula=f"round({dong(salary_previous_month)} × {percent(rate)} ÷ {divisor} × {paid_days})",
    )
    convalescence = 0
    if convalescence_days:
        reference_level = params.dong("reference_level", at)
        daily_rate = params.rate("convalescence_daily_rate", at)
        convalescence = round_dong(reference_level * daily_rate * convalescence_days)
        sheet.step(
            "Convalescence (dưỡng sức, phục hồi sức khỏe)",
            convalescence,
            "Law 41/2024/QH15 Art. 46.3",
            "convalescence_daily_rate",
            "reference_level",
            formula=f"round({dong(reference_level)} × {percent(daily_rate)} × {convalescence_days})",
        )
    total = benefit + convalescence
    sheet.step("Total", total, "sum of the rounded amounts")
    figures = {
        "period": str(period),
        "entitlement_days": entitlement,
        "paid_days": paid_days,
        "daily_benefit": daily,
        "sickness_benefit": benefit,
        "convalescence_benefit": convalescence,
        "total": total,
    }
    return CalculationResult("sickness", figures, sheet.steps)
