"""One-time SI withdrawal (bảo hiểm xã hội một lần).

Rule (Law 41/2024/QH15 Art. 70.3; Law 58/2014/QH13 Art. 60.2): 1.5 months of average salary per year
of contributions before 2014 and 2 months per year from 2014. Odd months before 2014 are carried into
the period from 2014; with no period from 2014 they round within the earlier period. Odd months then
count as half a year (1–6) or a whole year (7–11) (Art. 5.6). With less than one year in all and the
amount paid given (``contributions_paid``), the withdrawal is that amount, capped at 2 months of
average salary (Art. 70.3(c)).

Worked example: 10 years 5 months before 2014, 3 years 9 months from 2014, average 8,000,000:
10 years × 1.5 + (5 + 45 = 50 months → 4.5 years) × 2 = 24 months → 192,000,000.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ansinh.core.money import round_dong
from ansinh.law.calculators.base import CalculationResult, Worksheet, dong
from ansinh.law.calculators.years import benefit_years
from ansinh.law.parameters import ParameterSet


def lump_sum(
    params: ParameterSet,
    *,
    months_before_2014: int,
    months_from_2014: int,
    average_salary: int,
    decision_date: date,
    contributions_paid: int | None = None,
) -> CalculationResult:
    """Amount of the one-time withdrawal decided on ``decision_date`` (Art. 70.5)."""
    at = decision_date
    sheet = Worksheet(params, at)
    split = params.integer("lump_sum_split_year", at)
    per_year_before = params.rate("lump_sum_months_per_year_before_split", at)
    per_year_from = params.rate("lump_sum_months_per_year_from_split", at)
    half_year_max = params.integer("odd_months_half_year_max", at)
    total_months = months_before_2014 + months_from_2014
    if total_months < 12 and contributions_paid is not None:
        cap_months = params.rate("lump_sum_max_months_under_one_year", at)
        cap = round_dong(cap_months * average_salary)
        amount = min(contributions_paid, cap)
        sheet.step(
            "Under one year: amount paid, capped",
            amount,
            "Law 41/2024/QH15 Art. 70.3(c)",
            "lump_sum_max_months_under_one_year",
            formula=f"min({dong(contributions_paid)}, {cap_months} × {dong(average_salary)})",
        )
        figures = {
            "years_before_2014": Decimal(0),
            "years_from_2014": Decimal(0),
            "months_of_salary": Decimal(0),
            "amount": amount,
        }
        return CalculationResult("lump_sum", figures, sheet.steps)
    if months_from_2014 > 0:
        years_before = Decimal(months_before_2014 // 12)
        carried = months_before_2014 % 12
        years_from = benefit_years(months_from_2014 + carried, half_year_max)
        sheet.step(
            f"Years before {split} (odd months carried forward)",
            years_before,
            "Law 41/2024/QH15 Art. 70.3",
            "lump_sum_split_year",
            formula=f"{months_before_2014} months → {years_before} years + {carried} months carried",
        )
        sheet.step(
            f"Years from {split}",
            years_from,
            "Law 41/2024/QH15 Art. 5.6, Art. 70.3",
            "odd_months_half_year_max",
            formula=f"{months_from_2014} + {carried} months",
        )
    else:
        years_before = benefit_years(months_before_2014, half_year_max)
        years_from = Decimal(0)
        sheet.step(
            f"Years before {split} (no period from {split}: odd months round here)",
            years_before,
            "Law 41/2024/QH15 Art. 5.6, Art. 70.3",
            "odd_months_half_year_max",
            formula=f"{months_before_2014} months",
        )
    months_of_salary = years_before * per_year_before + years_from * per_year_from
    sheet.step(
        "Months of average salary",
        months_of_salary,
        "Law 41/2024/QH15 Art. 70.3(a) and (b)",
        "lump_sum_months_per_year_before_split",
        "lump_sum_months_per_year_from_split",
        formula=f"{years_before} × {per_year_before} + {years_from} × {per_year_from}",
    )
    amount = round_dong(months_of_salary * average_salary)
    sheet.step(
        "One-time withdrawal (BHXH một lần)",
        amount,
        "Law 41/2024/QH15 Art. 70.3",
        formula=f"round({months_of_salary} × {dong(average_salary)})",
    )
    figures = {
        "decision_date": decision_date,
        "years_before_2014": years_before,
        "years_from_2014": years_from,
        "months_of_salary": months_of_salary,
        "amount": amount,
    }
    return CalculationResult("lump_sum", figures, sheet.steps)
