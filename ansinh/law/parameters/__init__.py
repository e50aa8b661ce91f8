"""Legislation as data: dated parameters with their legal basis, loaded from the YAML files here.

>>> from datetime import date
>>> p = get_parameters()
>>> p.value("reference_level", date(2026, 7, 1))
2530000
>>> p.rate("si_rate_employee_retirement", date(2026, 1, 1))
Decimal('0.08')
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ansinh.law.parameters.loader import ParameterFileError, load_file, load_parameters
from ansinh.law.parameters.model import (
    Parameter,
    ParameterNotInForce,
    ParameterSet,
    ParamValue,
    UnknownParameter,
    ValueEntry,
)

PARAMETER_DIRECTORY = Path(__file__).parent

__all__ = [
    "PARAMETER_DIRECTORY",
    "ParamValue",
    "Parameter",
    "ParameterFileError",
    "ParameterNotInForce",
    "ParameterSet",
    "UnknownParameter",
    "ValueEntry",
    "get_parameters",
    "load_file",
    "load_parameters",
]


@lru_cache(maxsize=1)
def get_parameters() -> ParameterSet:
    """The validated parameters of ``ansinh/law/parameters/*.yaml`` (loaded once, then cached)."""
    return load_parameters(PARAMETER_DIRECTORY)
