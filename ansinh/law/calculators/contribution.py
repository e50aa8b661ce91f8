"""Compulsory contributions (đóng BHXH, BHYT, BHTN bắt buộc) of one employee for one month.

Rules (Law 41/2024/QH15 Art. 31–34; Law on Health Insurance Art. 13–14; Law on Employment 74/2025 Art. 33–34):

- SI and HI base = min(salary, 20 × reference level in force in the period);
- UI base = min(salary, 20 × the region's minimum wage in the period);
- a salary below the region's minimum wage is refused (Labour Code 2019 Art. 90–91);
- each party's amount per scheme = round(base × that party's total rate for the scheme), half up to
  the đồng (employer SI = retirement 14% + sickness & maternity 3% + occupational 0.5%);
- totals are sums of the rounded amounts; a scheme not asked for is 0 (base and amounts).

Worked example: 2026-03, salary 10,000,000, region I: employee SI 800,000, HI 150,000, UI 100,000
(total 1,050,000); employer SI 1,750,000, HI 300,000, UI 100,000 (total 2,150,000); total 3,200,000.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from ansinh.core.money import round_dong
from ansinh.law.calculators.base import CalculationError, CalculationResult, Worksheet, dong, percent
from ansinh.law.parameters import ParameterSet
from ansinh.law.periods import Period

SCHEMES = ("si", "hi", "ui")

# Which parameters make up each party's rate for each scheme (the rates themselves are data).
RATE_PARAMETERS: dict[str, dict[str, tuple[str, ...]]] = {
    "employee": {
        "si": ("si_rate_employee_retirement",),
        "hi": ("hi_rate_employee",),
        "ui": ("ui_rate_employee",),
    },
    "employer": {
        "si": (
            "si_rate_employer_retirement",
            "si_rate_employer_sickness_maternity",
            "si_rate_employer_occupational",
        ),
        "hi": ("hi_rate_employer",),
        "ui": ("ui_rate_employer",),
    },
}

RULE_BASE = {
    "si": "Law 41/2024/QH15 Art. 31.1(đ) (before 1 Jul 2025: Law 58/2014/QH13 Art. 89)",
    "hi": "Law on Health Insurance Art. 14",
    "ui": "Law on Employment 74/2025/QH15 Art. 34.2 (before 2026: Law 38/2013/QH13 Art. 58)",
}
RULE_AMOUNT = {
    "si": "Law 41/2024/QH15 Art. 33.1, Art. 34.1",
    "hi": "Law on Health Insurance Art. 13",
    "ui": "Law on Employment 74/2025/QH15 Art. 33",
}


def party_rates(params: ParameterSet, period: Period) -> dict[str, dict[str, Decimal]]:
    """Each party's total rate per scheme in force in ``period`` (e.g. employer SI = 0.175)."""
    at = period.first_day
    return {
        party: {
            scheme: sum((params.rate(n, at) for n in names), Decimal(0)) for scheme, names in schemes.items()
        }
        for party, schemes in RATE_PARAMETERS.items()
    }


def contribution(
    params: ParameterSet,
    *,
    period: Period,
    salary: int,
    region: int,
    schemes: Collection[str] = SCHEMES,
) -> CalculationResult:
    """Monthly SI/HI/UI contributions of employee (người lao động) and employer (người sử dụng lao động)."""
    at = period.first_day
    sheet = Worksheet(params, at)
    for scheme in schemes:
        if scheme not in SCHEMES:
            raise CalculationError(
                "invalid_choice", "schemes", f"unknown scheme {scheme!r}; expected {SCHEMES}"
            )
    minimum_wages = params.dong_by_region("regional_minimum_wage", at)
    if region not in minimum_wages:
        raise CalculationError("invalid_choice", "region", f"region must be 1–4, got {region}")
    minimum_wage = minimum_wages[region]
    if salary < minimum_wage:
        raise CalculationError(
            "below_minimum_wage",
            "salary",
            f"salary {salary:,} is below the region {region} minimum wage {minimum_wage:,} "
            f"in force in {period}",
        )
    reference_level = params.dong("reference_level", at)
    caps = {
        "si": round_dong(params.rate("si_cap_multiplier", at) * reference_level),
        "hi": round_dong(params.rate("hi_cap_multiplier", at) * reference_level),
        "ui": round_dong(params.rate("ui_cap_multiplier", at) * minimum_wage),
    }
    sheet.step(
        "Regional minimum wage (lương tối thiểu vùng), region " + str(region),
        minimum_wage,
        "Labour Code 45/2019/QH14 Art. 91",
        "regional_minimum_wage",
    )
    sheet.step(
        "Reference level (mức tham chiếu / lương cơ sở)",
        reference_level,
        "Law 41/2024/QH15 Art. 141.13",
        "reference_level",
    )
    cap_parameters = {
        "si": ("si_cap_multiplier", "reference_level"),
        "hi": ("hi_cap_multiplier", "reference_level"),
        "ui": ("ui_cap_multiplier", "regional_minimum_wage"),
    }
    base: dict[str, int] = {}
    for scheme in SCHEMES:
        if scheme in schemes:
            base[scheme] = min(salary, caps[scheme])
            sheet.step(
                f"{scheme.upper()} base (tiền lương làm căn cứ đóng)",
                base[scheme],
                RULE_BASE[scheme],
                *cap_parameters[scheme],
                formula=f"min({dong(salary)}, cap {dong(caps[scheme])})",
            )
        else:
            base[scheme] = 0
    rates = party_rates(params, period)
    parties: dict[str, dict[str, int]] = {}
    for party in ("employee", "employer"):
        amounts: dict[str, int] = {}
        for scheme in SCHEMES:
            if scheme not in schemes:
                amounts[scheme] = 0
                continue
            rate = rates[party][scheme]
            amounts[scheme] = round_dong(base[scheme] * rate)
            sheet.step(
                f"{party.capitalize()} {scheme.upper()}",
                amounts[scheme],
                RULE_AMOUNT[scheme],
                *RATE_PARAMETERS[party][scheme],
                formula=f"round({dong(base[scheme])} × {percent(rate)})",
            )
        amounts["total"] = amounts["si"] + amounts["hi"] + amounts["ui"]
        parties[party] = amounts
    total = parties["employee"]["total"] + parties["employer"]["total"]
    sheet.step(
        "Total payable for the month",
        total,
        "sum of the rounded amounts",
        formula=f"{dong(parties['employee']['total'])} + {dong(parties['employer']['total'])}",
    )
    figures = {
        "period": str(period),
        "region": region,
        "schemes": [s for s in SCHEMES if s in schemes],
        "base": base,
        "employee": parties["employee"],
        "employer": parties["employer"],
        "total": total,
    }
    return CalculationResult("contribution", figures, sheet.steps)
