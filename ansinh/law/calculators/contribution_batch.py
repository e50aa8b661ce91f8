"""Vectorised contributions for batch jobs: the same đồng as :func:`contribution`, for millions of rows.

Money stays integer (numpy int64). Each rate is an exact fraction ``numerator / 10**k`` and
``round(base × rate)`` is computed as the half-up integer division
``(2 × base × numerator + 10**k) // (2 × 10**k)``, which equals Decimal ``ROUND_HALF_UP`` for
non-negative amounts. Parameters are looked up once per distinct period, then broadcast.

>>> import numpy as np
>>> from ansinh.law.parameters import get_parameters
>>> out = contribution_batch(get_parameters(), np.array(["2026-03"], dtype="datetime64[M]"),
...                          np.array([10_000_000]), np.array([1]))
>>> int(out["employer_si"][0]), int(out["total"][0])
(1750000, 3200000)
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy.typing as npt

from ansinh.core.money import round_dong
from ansinh.law.calculators.base import CalculationError
from ansinh.law.calculators.contribution import SCHEMES, party_rates
from ansinh.law.parameters import ParameterSet
from ansinh.law.periods import Period

IntArray = npt.NDArray[np.int64]
COLUMNS = tuple(f"{party}_{scheme}" for party in ("employee", "employer") for scheme in SCHEMES)


def _fraction(rate: Decimal) -> tuple[int, int]:
    """An exact (numerator, denominator) with a power-of-ten denominator: 0.175 → (175, 1000)."""
    exponent = rate.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    scale = 10 ** max(0, -exponent)
    numerator = rate * scale
    assert numerator == numerator.to_integral_value()
    return int(numerator), scale


def _round_half_up(amount: IntArray, numerator: IntArray, denominator: IntArray) -> IntArray:
    """round(amount × numerator / denominator), half up, exactly, for non-negative int64 inputs."""
    doubled: IntArray = 2 * amount * numerator + denominator
    result: IntArray = doubled // (2 * denominator)
    return result


def contribution_batch(
    params: ParameterSet,
    periods: npt.NDArray[np.datetime64],
    salaries: npt.ArrayLike,
    regions: npt.ArrayLike,
    *,
    strict: bool = True,
) -> dict[str, IntArray | npt.NDArray[np.bool_]]:
    """All schemes for each row (period as ``datetime64[M]``, salary in đồng, region 1–4).

    Returns int64 arrays ``base_si``, ``base_hi``, ``base_ui``, ``employee_si`` … ``employer_ui``,
    ``employee_total``, ``employer_total``, ``total`` and a boolean ``below_minimum_wage``. With
    ``strict`` (default) a salary below the regional minimum wage raises, as the scalar path does.
    """
    salary = np.asarray(salaries, dtype=np.int64)
    region = np.asarray(regions, dtype=np.int64)
    month_index = np.asarray(periods, dtype="datetime64[M]").astype(np.int64)  # months since 1970-01
    if np.any((region < 1) | (region > 4)):
        raise CalculationError("invalid_choice", "region", "region must be 1–4")
    if np.any(salary < 0):
        raise CalculationError("out_of_range", "salary", "salary must not be negative")
    unique_months, row_period = np.unique(month_index, return_inverse=True)
    n = len(unique_months)
    minimum_wage = np.zeros((n, 5), dtype=np.int64)
    cap = {scheme: np.zeros((n, 5), dtype=np.int64) for scheme in SCHEMES}
    # All rates of a period share one power-of-ten denominator so that they can be gathered per row.
    numerators = {column: np.zeros(n, dtype=np.int64) for column in COLUMNS}
    denominator = np.ones(n, dtype=np.int64)
    for i, months in enumerate(unique_months.tolist()):
        period = Period.from_index(1970 * 12 + int(months))
        at = period.first_day
        reference_level = params.dong("reference_level", at)
        wages = params.dong_by_region("regional_minimum_wage", at)
        si_cap = round_dong(params.rate("si_cap_multiplier", at) * reference_level)
        hi_cap = round_dong(params.rate("hi_cap_multiplier", at) * reference_level)
        for r, wage in wages.items():
            minimum_wage[i, r] = wage
            cap["si"][i, r] = si_cap
            cap["hi"][i, r] = hi_cap
            cap["ui"][i, r] = round_dong(params.rate("ui_cap_multiplier", at) * wage)
        rates = party_rates(params, period)
        fractions = {f"{p}_{s}": _fraction(rates[p][s]) for p in rates for s in SCHEMES}
        scale = max(den for _, den in fractions.values())
        denominator[i] = scale
        for column, (num, den) in fractions.items():
            numerators[column][i] = num * (scale // den)
    below = salary < minimum_wage[row_period, region]
    if strict and np.any(below):
        row = int(np.argmax(below))
        raise CalculationError(
            "below_minimum_wage",
            "salary",
            f"row {row}: salary {int(salary[row]):,} is below the regional minimum wage",
        )
    out: dict[str, IntArray | npt.NDArray[np.bool_]] = {"below_minimum_wage": below}
    base = {scheme: np.minimum(salary, cap[scheme][row_period, region]) for scheme in SCHEMES}
    row_denominator = denominator[row_period]
    for scheme in SCHEMES:
        out[f"base_{scheme}"] = base[scheme]
    for party in ("employee", "employer"):
        total = np.zeros(len(salary), dtype=np.int64)
        for scheme in SCHEMES:
            column = f"{party}_{scheme}"
            amount = _round_half_up(base[scheme], numerators[column][row_period], row_denominator)
            out[column] = amount
            total += amount
        out[f"{party}_total"] = total
    grand_total: IntArray = np.asarray(out["employee_total"], dtype=np.int64) + np.asarray(
        out["employer_total"], dtype=np.int64
    )
    out["total"] = grand_total
    return out
