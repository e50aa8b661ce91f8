"""Retirement age in normal working conditions (tuổi nghỉ hưu) and the month the pension starts.

Rule (Labour Code 45/2019/QH14 Art. 169; Decree 135/2020/NĐ-CP Art. 4 and Appendix I): the age rises by
3 months a year for men (60 in 2020 → 62 in 2028) and by 4 months a year for women (55 → 60 in 2035).
The age that applies is the one in force in the calendar year in which the person reaches it: the
first year Y such that birth month + age(Y) falls in Y. The pension starts on the first day of the
month after the month the age is reached (Decree 135/2020 Art. 4.3; Law 41/2024 Art. 64).

Worked example (Decree 135/2020 Appendix I): a man born in January 1966. In 2026 the age is 61y6m,
reached in July 2027 — not in 2026; in 2027 the age is 61y9m, reached in October 2027 — in 2027. So
he retires at 61 years 9 months in 2027-10, pension from 2027-11-01.
"""

from __future__ import annotations

from datetime import date

from ansinh.law.calculators.base import CalculationError, CalculationResult, Worksheet
from ansinh.law.parameters import ParameterNotInForce, ParameterSet
from ansinh.law.periods import Period

PARAMETER = {"male": "retirement_age_male", "female": "retirement_age_female"}
RULE = "Labour Code 45/2019/QH14 Art. 169.2; Decree 135/2020/NĐ-CP Art. 4 and Appendix I"


def retirement_age(params: ParameterSet, *, gender: str, birth_date: date) -> CalculationResult:
    """Retirement age, month it is reached and first day of pension for a person born on ``birth_date``."""
    if gender not in PARAMETER:
        raise CalculationError("invalid_choice", "gender", f"expected one of {sorted(PARAMETER)}")
    name = PARAMETER[gender]
    birth = Period.of(birth_date)
    for year in range(birth_date.year + 40, birth_date.year + 81):
        try:
            years, months = params.age(name, date(year, 1, 1))
        except ParameterNotInForce:
            continue
        reached = Period.from_index(birth.index + years * 12 + months)
        if reached.year == year:
            break
    else:  # pragma: no cover - the schedule always has a fixed point
        raise CalculationError(
            "parameter_not_in_force", "birth_date", "no retirement age found for this birth date"
        )
    pension_from = reached.next().first_day
    sheet = Worksheet(params, date(year, 1, 1))
    sheet.step(
        f"Retirement age in force in {year}, the year it is reached",
        f"{years}y{months}m",
        RULE,
        name,
        formula=f"born {birth} + {years}y{months}m = {reached}",
    )
    sheet.step(
        "Pension from (hưởng lương hưu từ)",
        pension_from,
        "Decree 135/2020/NĐ-CP Art. 4.3",
        formula=f"first day of the month after {reached}",
    )
    figures = {
        "age_years": years,
        "age_months": months,
        "reached_month": str(reached),
        "pension_from": pension_from,
    }
    return CalculationResult("retirement_age", figures, sheet.steps)
