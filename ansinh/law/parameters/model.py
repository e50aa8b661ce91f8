"""The law as data, in memory: parameters (tham số), their dated values and their legal basis.

A parameter holds a list of values, each in force from its ``valid_from`` date until the next one.
Asking for a date before the first value raises :class:`ParameterNotInForce`.

>>> from datetime import date
>>> from ansinh.law.parameters import get_parameters
>>> p = get_parameters()
>>> p.value("reference_level", date(2026, 3, 1))
2340000
>>> p.value("regional_minimum_wage", date(2026, 3, 1))[1]
5310000
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

# A value as stored: int (đồng, months, days...), Decimal (rates, multipliers), or a structure of those.
ParamValue = Any


class ParameterNotInForce(ValueError):
    """The parameter has no value in force at the requested date (before its first value, or repealed)."""

    def __init__(self, name: str, at: date, first: date | None) -> None:
        self.name = name
        self.at = at
        self.first = first
        since = f"; its first value is in force from {first.isoformat()}" if first else ""
        super().__init__(f"parameter {name!r} has no value in force on {at.isoformat()}{since}")


class UnknownParameter(LookupError):
    """No parameter of that name is defined in the YAML files."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown parameter {name!r}")


@dataclass(frozen=True)
class ValueEntry:
    """One dated value of a parameter, with the instrument and article it comes from."""

    valid_from: date
    value: ParamValue
    legal_basis: str
    confidence: str = "sure"
    note: str | None = None


@dataclass(frozen=True)
class Parameter:
    """A named parameter: what it is, its unit and shape, and its dated values (ascending)."""

    name: str
    description: str
    unit: str
    shape: str
    source_file: str
    values: tuple[ValueEntry, ...]
    reference: str | None = None
    description_vi: str | None = None
    _starts: tuple[date, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", tuple(v.valid_from for v in self.values))

    def entry(self, at: date) -> ValueEntry:
        """The value entry in force on ``at``."""
        index = bisect.bisect_right(self._starts, at) - 1
        if index < 0 or self.values[index].value is None:
            raise ParameterNotInForce(self.name, at, self._starts[0] if self._starts else None)
        return self.values[index]


def _thaw(value: ParamValue) -> ParamValue:
    """A fresh copy of a structured value, so that callers cannot change the law in memory."""
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_thaw(v) for v in value]
    return value


class ParameterSet:
    """All parameters, validated. Obtain the shared instance with :func:`get_parameters`."""

    def __init__(self, parameters: Mapping[str, Parameter]) -> None:
        self._parameters = dict(sorted(parameters.items()))

    def __contains__(self, name: object) -> bool:
        return name in self._parameters

    def names(self) -> list[str]:
        return list(self._parameters)

    def parameter(self, name: str) -> Parameter:
        try:
            return self._parameters[name]
        except KeyError:
            raise UnknownParameter(name) from None

    def entry(self, name: str, at: date) -> ValueEntry:
        """The entry (value, legal basis, note) in force on ``at``."""
        return self.parameter(name).entry(at)

    def value(self, name: str, at: date) -> ParamValue:
        """The value in force on ``at``: int for đồng, Decimal for rates, dict/list for structures."""
        return _thaw(self.entry(name, at).value)

    def history(self, name: str) -> list[ValueEntry]:
        """Every dated value of the parameter, oldest first."""
        return list(self.parameter(name).values)

    # Typed accessors used by the calculators (they check the unit, so mypy and readers know the type).

    def dong(self, name: str, at: date) -> int:
        return int(self._typed(name, at, ("dong",), "scalar"))

    def rate(self, name: str, at: date) -> Decimal:
        return Decimal(self._typed(name, at, ("rate", "multiplier"), "scalar"))

    def integer(self, name: str, at: date) -> int:
        return int(self._typed(name, at, ("months", "days", "years", "count", "year"), "scalar"))

    def dong_by_region(self, name: str, at: date) -> dict[int, int]:
        value = self._typed(name, at, ("dong",), "by_region")
        return {int(k): int(v) for k, v in value.items()}

    def rate_by_key(self, name: str, at: date) -> dict[str, Decimal]:
        value = self._typed(name, at, ("rate", "multiplier"), "by_key")
        return {str(k): Decimal(v) for k, v in value.items()}

    def integer_by_key(self, name: str, at: date) -> dict[str, int]:
        value = self._typed(name, at, ("months", "days", "years", "count"), "by_key")
        return {str(k): int(v) for k, v in value.items()}

    def rate_list(self, name: str, at: date) -> list[Decimal]:
        return [Decimal(v) for v in self._typed(name, at, ("rate", "multiplier"), "list")]

    def integer_list(self, name: str, at: date) -> list[int]:
        return [int(v) for v in self._typed(name, at, ("months", "days", "years", "count"), "list")]

    def records(self, name: str, at: date) -> list[dict[str, Any]]:
        return list(self._typed(name, at, None, "records"))

    def age(self, name: str, at: date) -> tuple[int, int]:
        """An age as (years, months)."""
        value = self._typed(name, at, ("age",), "scalar")
        return int(value["years"]), int(value["months"])

    def _typed(self, name: str, at: date, units: tuple[str, ...] | None, shape: str) -> ParamValue:
        parameter = self.parameter(name)
        if (units is not None and parameter.unit not in units) or parameter.shape != shape:
            raise TypeError(
                f"parameter {name!r} is {parameter.shape} of {parameter.unit}, not {shape} of {units}"
            )
        return _thaw(parameter.entry(at).value)
