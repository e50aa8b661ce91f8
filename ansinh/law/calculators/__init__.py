"""The calculators: pure functions of (parameters, facts) → a result with figures, steps and legal basis.

Money is an integer number of đồng, rates are Decimal, rounding is half up to the đồng
(:func:`ansinh.core.money.round_dong`). Reach them by name with :func:`calculate` (JSON in, JSON out,
as the CLI and API do) or call the typed functions directly:

>>> from ansinh.law.calculators import calculate
>>> out = calculate("contribution", {"period": "2026-03", "salary": 10_000_000, "region": 1})
>>> out["employee"], out["employer"]["si"], out["total"]
({'si': 800000, 'hi': 150000, 'ui': 100000, 'total': 1050000}, 1750000, 3200000)
"""

from __future__ import annotations

from ansinh.law.calculators.base import CalculationError, CalculationResult, Step
from ansinh.law.calculators.catalog import CATALOG, CalculatorSpec, calculate, calculate_result
from ansinh.law.calculators.contribution import contribution
from ansinh.law.calculators.contribution_batch import contribution_batch
from ansinh.law.calculators.household_hi import household_hi
from ansinh.law.calculators.inputs import FieldSpec
from ansinh.law.calculators.lump_sum import lump_sum
from ansinh.law.calculators.maternity import maternity
from ansinh.law.calculators.pension import pension
from ansinh.law.calculators.retirement_age import retirement_age
from ansinh.law.calculators.sickness import sickness
from ansinh.law.calculators.surcharge import surcharge
from ansinh.law.calculators.unemployment import unemployment
from ansinh.law.calculators.voluntary import voluntary

__all__ = [
    "CATALOG",
    "CalculationError",
    "CalculationResult",
    "CalculatorSpec",
    "FieldSpec",
    "Step",
    "calculate",
    "calculate_result",
    "contribution",
    "contribution_batch",
    "household_hi",
    "lump_sum",
    "maternity",
    "pension",
    "retirement_age",
    "sickness",
    "surcharge",
    "unemployment",
    "voluntary",
]
