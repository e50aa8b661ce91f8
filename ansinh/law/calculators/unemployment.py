"""Unemployment benefit (trợ cấp thất nghiệp): eligibility, monthly amount and duration.

Rules (Law on Employment 74/2025/QH15 Art. 38–39 from 1 Jan 2026; Law 38/2013/QH13 Art. 49–50 before):

- eligible with ≥ 12 months of UI contributions;
- monthly benefit = min(round(60% × average UI salary of the last 6 months), 5 × the region's minimum
  wage in force in the period);
- duration: 3 months for 12–36 months of contributions, one more per further full 12 months, at most 12.

Worked example: 2026-02, 50 months, average 12,000,000, region I: 7,200,000 a month for 4 months.
"""

from __future__ import annotations

from ansinh.core.money import round_dong
from ansinh.law.calculators.base import CalculationError, CalculationResult, Worksheet, dong, percent
from ansinh.law.parameters import ParameterSet
from ansinh.law.periods import Period

RULE = "Law on Employment 74/2025/QH15 Art. 39 (before 2026: Law 38/2013/QH13 Art. 50)"


def unemployment(
    params: ParameterSet,
    *,
    period: Period,
    contribution_months: int,
    average_salary_last6: int,
    region: int,
) -> CalculationResult:
    """Unemployment benefit for a claim in ``period``."""
    at = period.first_day
    sheet = Worksheet(params, at)
    wages = params.dong_by_region("regional_minimum_wage", at)
    if region not in wages:
        raise CalculationError("invalid_choice", "region", f"region must be 1–4, got {region}")
    minimum_months = params.integer("ui_min_contribution_months", at)
    eligible = contribution_months >= minimum_months
    sheet.step(
        "Eligible: months of UI contributions ≥ minimum",
        eligible,
        "Law on Employment 74/2025/QH15 Art. 38 (before 2026: Law 38/2013/QH13 Art. 49)",
        "ui_min_contribution_months",
        formula=f"{contribution_months} ≥ {minimum_months}",
    )
    monthly = 0
    duration = 0
    if eligible:
        rate = params.rate("ui_benefit_rate", at)
        cap = round_dong(params.rate("ui_benefit_cap_multiplier", at) * wages[region])
        uncapped = round_dong(average_salary_last6 * rate)
        monthly = min(uncapped, cap)
        sheet.step(
            "Monthly benefit (mức hưởng hằng tháng)",
            monthly,
            RULE,
            "ui_benefit_rate",
            "ui_benefit_cap_multiplier",
            "regional_minimum_wage",
            formula=f"min(round({dong(average_salary_last6)} × {percent(rate)}), cap {dong(cap)})",
        )
        base_duration = params.integer("ui_base_duration_months", at)
        band = params.integer("ui_base_band_months", at)
        per_extra = params.integer("ui_months_per_extra_benefit_month", at)
        longest = params.integer("ui_max_duration_months", at)
        extra = max(0, contribution_months - band) // per_extra
        duration = min(base_duration + extra, longest)
        sheet.step(
            "Duration in months (thời gian hưởng)",
            duration,
            RULE,
            "ui_base_duration_months",
            "ui_base_band_months",
            "ui_months_per_extra_benefit_month",
            "ui_max_duration_months",
            formula=f"min({base_duration} + max(0, {contribution_months} − {band}) ÷ {per_extra}, {longest})",
        )
    figures = {
        "period": str(period),
        "eligible": eligible,
        "monthly_benefit": monthly,
        "duration_months": duration,
        "total_benefit": monthly * duration,
    }
    return CalculationResult("unemployment", figures, sheet.steps)
