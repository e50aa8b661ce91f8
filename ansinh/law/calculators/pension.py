"""Retirement pension (lương hưu): eligibility, rate (tỷ lệ hưởng), monthly amount, one-off allowance.

The rate rule changed shape on 1 Jul 2025, so two small functions are picked by :data:`PENSION_RULES`
on the retirement date; every figure comes from ``pension.yaml``.

- From 1 Jul 2025 (Law 41/2024/QH15 Art. 64, 66, 68): eligible with ≥ 15 full years. Women: 45% at 15
  years + 2% per further year. Men: 45% at 20 years + 2% per further year; men with 15 to under 20
  years: 40% at 15 years + 1% per further year. Max 75%.
- Until 30 Jun 2025 (Law 58/2014/QH13 Art. 54, 56, 58): eligible with ≥ 20 years; 45% at the base
  years (men 15 → 20 from 2018 to 2022, women 15) + 2% per further year (women 3% before 2018); max 75%.

For the rate, odd months 1–6 count as half a year and 7–11 as a whole year (Art. 5.6). Years beyond
those giving 75% (35 for men, 30 for women) give a one-off allowance of 0.5 × average salary each.
``monthly_pension`` = round(rate × average salary); 0 when not eligible.

Worked example: a man retiring 2026-03-01 with 17 years 4 months and an average salary of 10,000,000:
17.5 years → 40% + 2.5 × 1% = 42.5%, monthly pension 4,250,000.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from ansinh.core.money import round_dong
from ansinh.law.calculators.base import CalculationError, CalculationResult, Worksheet, dong, percent
from ansinh.law.calculators.years import benefit_years, full_years
from ansinh.law.parameters import ParameterSet

GENDERS = ("male", "female")


def _rate_law_58_2014(sheet: Worksheet, gender: str, years: Decimal) -> Decimal:
    """Law 58/2014/QH13 Art. 56: 45% at the base years, plus the yearly increment, max 75%."""
    p, at = sheet.params, sheet.at
    base_years = p.integer_by_key("pension_base_years", at)[gender]
    per_year = p.rate_by_key("pension_rate_per_year", at)[gender]
    base_rate = p.rate("pension_base_rate", at)
    rate = base_rate + per_year * (years - base_years)
    sheet.step(
        "Pension rate before the cap",
        rate * 100,
        "Law 58/2014/QH13 Art. 56",
        "pension_base_rate",
        "pension_base_years",
        "pension_rate_per_year",
        formula=f"{percent(base_rate)} + {percent(per_year)} × ({years} − {base_years})",
    )
    return rate


def _rate_law_41_2024(sheet: Worksheet, gender: str, years: Decimal) -> Decimal:
    """Law 41/2024/QH15 Art. 66.1: as before, plus 40% + 1%/year for men with 15 to under 20 years."""
    p, at = sheet.params, sheet.at
    base_years = p.integer_by_key("pension_base_years", at)[gender]
    if years >= base_years:
        return _rate_law_58_2014(sheet, gender, years)
    min_years = p.integer("pension_min_years", at)
    short_rate = p.rate("pension_short_career_base_rate", at)
    short_per_year = p.rate("pension_short_career_rate_per_year", at)
    rate = short_rate + short_per_year * (years - min_years)
    sheet.step(
        "Pension rate, 15 to under 20 years",
        rate * 100,
        "Law 41/2024/QH15 Art. 66.1(b), second paragraph",
        "pension_short_career_base_rate",
        "pension_short_career_rate_per_year",
        formula=f"{percent(short_rate)} + {percent(short_per_year)} × ({years} − {min_years})",
    )
    return rate


RateRule = Callable[[Worksheet, str, Decimal], Decimal]

# Which rule applies, by retirement date (the date each law came into force).
PENSION_RULES: tuple[tuple[date, str, RateRule], ...] = (
    (date(2016, 1, 1), "Law 58/2014/QH13", _rate_law_58_2014),
    (date(2025, 7, 1), "Law 41/2024/QH15", _rate_law_41_2024),
)


def rule_for(retirement_date: date) -> tuple[str, RateRule]:
    chosen: tuple[str, RateRule] | None = None
    for start, law, rule in PENSION_RULES:
        if retirement_date >= start:
            chosen = (law, rule)
    if chosen is None:
        raise CalculationError(
            "parameter_not_in_force",
            "retirement_date",
            f"no pension rule is modelled before {PENSION_RULES[0][0].isoformat()}",
        )
    return chosen


def pension(
    params: ParameterSet,
    *,
    gender: str,
    contribution_months: int,
    average_salary: int,
    retirement_date: date,
) -> CalculationResult:
    """Monthly pension and one-off allowance for a person retiring on ``retirement_date``."""
    if gender not in GENDERS:
        raise CalculationError("invalid_choice", "gender", f"expected one of {GENDERS}")
    law, rate_rule = rule_for(retirement_date)
    sheet = Worksheet(params, retirement_date)
    whole = full_years(contribution_months)
    min_years = params.integer("pension_min_years", retirement_date)
    eligible = whole >= min_years
    sheet.step(
        "Eligible: full years of contributions ≥ minimum",
        eligible,
        f"{law} " + ("Art. 64.1" if law.startswith("Law 41") else "Art. 54.1"),
        "pension_min_years",
        formula=f"{whole} ≥ {min_years}",
    )
    half_year_max = params.integer("odd_months_half_year_max", retirement_date)
    years = benefit_years(contribution_months, half_year_max)
    sheet.step(
        "Years counted for the rate (odd months 1–6 = ½ year, 7–11 = 1 year)",
        years,
        "Law 41/2024/QH15 Art. 5.6",
        "odd_months_half_year_max",
        formula=f"{contribution_months} months",
    )
    rate = Decimal(0)
    monthly = 0
    one_off = 0
    max_rate = params.rate("pension_max_rate", retirement_date)
    if eligible:
        rate = min(rate_rule(sheet, gender, years), max_rate)
        sheet.step(
            "Pension rate (tỷ lệ hưởng)", rate * 100, f"{law} max {percent(max_rate)}", "pension_max_rate"
        )
        monthly = round_dong(rate * average_salary)
        sheet.step(
            "Monthly pension (lương hưu hằng tháng)",
            monthly,
            law,
            formula=f"round({percent(rate)} × {dong(average_salary)})",
        )
        base_years = params.integer_by_key("pension_base_years", retirement_date)[gender]
        per_year = params.rate_by_key("pension_rate_per_year", retirement_date)[gender]
        base_rate = params.rate("pension_base_rate", retirement_date)
        years_at_max = base_years + (max_rate - base_rate) / per_year
        extra_years = max(Decimal(0), years - years_at_max)
        months_per_year = params.rate("pension_one_off_months_per_year", retirement_date)
        one_off = round_dong(extra_years * months_per_year * average_salary)
        sheet.step(
            "One-off allowance on retirement (trợ cấp một lần khi nghỉ hưu)",
            one_off,
            "Law 41/2024/QH15 Art. 68.1 (Law 58/2014/QH13 Art. 58.1)",
            "pension_one_off_months_per_year",
            formula=f"max(0, {years} − {years_at_max}) × {months_per_year} × {dong(average_salary)}",
        )
    figures = {
        "eligible": eligible,
        "law": law,
        "full_years": whole,
        "benefit_years": years,
        "rate_percent": rate * 100,
        "monthly_pension": monthly,
        "one_off_allowance": one_off,
    }
    return CalculationResult("pension", figures, sheet.steps)
