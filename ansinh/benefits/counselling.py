"""Counselling before a one-time withdrawal (tư vấn trước khi hưởng BHXH một lần): the lump sum now
against the pension the applicant can still reach by continuing on voluntary SI.

Figures, all from the calculators and ``benefits.yaml``:

- lump sum now: the lump-sum calculator at the counselling date (Law 41/2024/QH15 Art. 70.3);
- months missing = max(0, 12 × minimum years − months paid) (Art. 64.1: 15 years);
- what voluntary SI costs: the voluntary calculator at the chosen income (default the rural poverty
  line, the minimum, Art. 31.2) for the applicant's support group, monthly contribution − State support
  (Decree 159/2025/NĐ-CP Art. 5; support for at most 120 months), × months missing;
- projected pension: the pension calculator at the later of the retirement-age start and the month the
  missing months are paid, on the months paid + missing and on the blended average
  (revalued compulsory average × months + income × missing) ÷ all months (Decree 159/2025 Art. 11.4);
- its value over a life expectancy: monthly × 12 × remaining years at retirement
  (``life_expectancy_at_retirement``, an illustration, not a legal figure).

Worked example: a woman born 1980-05 with 8 years (96 months, all from 2014) at an average of
8,000,000, counselled on 2026-03-02, "other" group: lump sum 8 × 2 × 8,000,000 = 128,000,000; 84 months
missing; voluntary at 1,500,000: 330,000 − 66,000 = 264,000 a month → 22,176,000 in all; pension at 15
years: 45% × (8,000,000 × 96 + 1,500,000 × 84) ÷ 180 = 45% × 4,966,667 = 2,235,000 a month.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ansinh.benefits.rules import Applicant
from ansinh.core.money import round_dong
from ansinh.law.calculators import lump_sum, pension, retirement_age, voluntary
from ansinh.law.calculators.base import jsonable
from ansinh.law.parameters import ParameterSet
from ansinh.law.periods import Period


@dataclass
class Comparison:
    """The two options in plain numbers, with the steps behind them."""

    lump_sum_now: int
    months_paid: int
    months_missing: int
    voluntary_income: int
    support_group: str
    voluntary_monthly_contribution: int
    voluntary_monthly_support: int
    voluntary_monthly_payable: int
    voluntary_total_payable: int
    pension_from: date
    projected_average_salary: int
    projected_rate_percent: Any
    projected_monthly_pension: int
    life_expectancy_years: int
    pension_value_over_life: int
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """How many times the lump sum the pension is worth over a lifetime (display only)."""
        return self.pension_value_over_life / self.lump_sum_now if self.lump_sum_now else 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = jsonable({k: v for k, v in self.__dict__.items() if k != "steps"})
        out["steps"] = self.steps
        return out


def compare(
    params: ParameterSet,
    applicant: Applicant,
    history: Mapping[str, Any],
    at: date,
    *,
    support_group: str = "other",
    income: int | None = None,
) -> Comparison:
    """Lump sum at ``at`` against the pension reachable by voluntary SI (see the module docstring)."""
    steps: list[dict[str, Any]] = []
    months = int(history["total_months"])
    average = int(history["average_salary"])
    now = lump_sum(
        params,
        months_before_2014=int(history["months_before_2014"]),
        months_from_2014=int(history["months_from_2014"]),
        average_salary=average,
        decision_date=at,
    )
    steps.extend(jsonable(s.__dict__) for s in now.steps)
    min_years = params.integer("pension_min_years", at)
    missing = max(0, min_years * 12 - months)
    steps.append(
        {
            "label": "Months missing for a pension",
            "value": missing,
            "legal_basis": "Law 41/2024/QH15 Art. 64.1",
            "formula": f"max(0, {min_years} × 12 − {months})",
        }
    )
    income = income or params.dong("rural_poverty_line", at)
    vol = voluntary(params, period=Period.of(at), income=income, group=support_group, months=1)
    steps.extend(jsonable(s.__dict__) for s in vol.steps)
    monthly_contribution = int(vol["monthly_contribution"])
    monthly_support = int(vol["monthly_state_support"])
    max_support = params.integer("voluntary_support_max_months", at)
    total = monthly_contribution * missing - monthly_support * min(missing, max_support)
    steps.append(
        {
            "label": "Voluntary SI to pay for the missing months, after State support",
            "value": total,
            "legal_basis": "Law 41/2024/QH15 Art. 36; Decree 159/2025/NĐ-CP Art. 5",
            "formula": f"{monthly_contribution:,} × {missing} − {monthly_support:,}"
            f" × min({missing}, {max_support})",
        }
    )
    age_start: date = retirement_age(params, gender=applicant.gender, birth_date=applicant.birth_date)[
        "pension_from"
    ]
    completed = Period.from_index(Period.of(at).index + missing).first_day
    start = max(age_start, completed)
    all_months = months + missing
    blended = round_dong(Decimal(average * months + income * missing) / max(all_months, 1))
    steps.append(
        {
            "label": "Average salary with the voluntary months",
            "value": blended,
            "legal_basis": "Decree 159/2025/NĐ-CP Art. 11.4",
            "formula": f"({average:,} × {months} + {income:,} × {missing}) ÷ {all_months}",
        }
    )
    projected = pension(
        params,
        gender=applicant.gender,
        contribution_months=all_months,
        average_salary=blended,
        retirement_date=start,
    )
    steps.extend(jsonable(s.__dict__) for s in projected.steps)
    years = params.integer_by_key("life_expectancy_at_retirement", start)[applicant.gender]
    monthly = int(projected["monthly_pension"])
    value = monthly * 12 * years
    steps.append(
        {
            "label": "Pension over the remaining life expectancy (illustration)",
            "value": value,
            "legal_basis": params.entry("life_expectancy_at_retirement", start).legal_basis,
            "formula": f"{monthly:,} × 12 × {years}",
        }
    )
    return Comparison(
        lump_sum_now=int(now["amount"]),
        months_paid=months,
        months_missing=missing,
        voluntary_income=income,
        support_group=support_group,
        voluntary_monthly_contribution=monthly_contribution,
        voluntary_monthly_support=monthly_support,
        voluntary_monthly_payable=monthly_contribution - monthly_support,
        voluntary_total_payable=total,
        pension_from=start,
        projected_average_salary=blended,
        projected_rate_percent=projected["rate_percent"],
        projected_monthly_pension=monthly,
        life_expectancy_years=years,
        pension_value_over_life=value,
        steps=steps,
    )
