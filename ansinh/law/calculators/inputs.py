"""Input fields of the calculators: described once, used to parse JSON and to build the web form.

Each field has a kind (``period``, ``date``, ``dong``, ``integer``, ``choice``, ``choices``, ``boolean``),
a label in English and Vietnamese, and optional bounds, choices and default. :func:`parse_payload`
turns a JSON object into the keyword arguments of the calculator, or raises
:class:`~ansinh.law.calculators.base.CalculationError` naming the field.

Error codes: ``not_an_object``, ``missing_field``, ``unknown_field``, ``wrong_type``,
``invalid_format``, ``out_of_range``, ``invalid_choice``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ansinh.core.money import MAX_AMOUNT_DONG
from ansinh.law.calculators.base import CalculationError
from ansinh.law.periods import checked_period

KINDS = ("period", "date", "dong", "integer", "choice", "choices", "boolean")


@dataclass(frozen=True)
class FieldSpec:
    """One input field of a calculator (also the metadata for the web form)."""

    name: str
    kind: str
    label: str
    label_vi: str
    required: bool = True
    default: Any = None
    choices: tuple[Any, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    help: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}")

    def describe(self) -> dict[str, Any]:
        """JSON-able metadata, for building a form."""
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "label": self.label,
            "label_vi": self.label_vi,
            "required": self.required,
        }
        for key in ("default", "choices", "minimum", "maximum", "help"):
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def parse(self, raw: object) -> Any:
        """Check and convert the JSON value of this field."""
        name = self.name
        if self.kind == "period":
            if not isinstance(raw, str):
                raise CalculationError("wrong_type", name, "expected a period as text YYYY-MM")
            try:
                # a plausible year (1995–2100): a period of 9999-12 took minutes to compute
                return checked_period(raw, name)
            except ValueError as error:
                raise CalculationError("invalid_format", name, str(error)) from None
        if self.kind == "date":
            if not isinstance(raw, str):
                raise CalculationError("wrong_type", name, "expected a date as text YYYY-MM-DD")
            try:
                if len(raw) != 10:
                    raise ValueError(raw)
                day = date.fromisoformat(raw)
            except ValueError:
                raise CalculationError(
                    "invalid_format", name, f"a date is written YYYY-MM-DD, got {raw!r}"
                ) from None
            # birth dates from 1900, events until 2100: 9999-12-31 overflowed the date arithmetic
            if not date(1900, 1, 1) <= day <= date(2100, 12, 31):
                raise CalculationError("out_of_range", name, f"a date from 1900 to 2100, got {raw}")
            return day
        if self.kind in ("dong", "integer"):
            if isinstance(raw, bool) or not isinstance(raw, int):
                what = "a whole number of đồng" if self.kind == "dong" else "a whole number"
                raise CalculationError("wrong_type", name, f"expected {what}, got {raw!r}")
            if self.choices is not None and raw not in self.choices:
                raise CalculationError(
                    "invalid_choice", name, f"expected one of {list(self.choices)}, got {raw}"
                )
            self._check_range(raw)
            if self.kind == "dong" and abs(raw) > MAX_AMOUNT_DONG:
                limit = f"{MAX_AMOUNT_DONG:,}".replace(",", ".")
                raise CalculationError("out_of_range", name, f"must be at most {limit} đồng, got {raw}")
            return raw
        if self.kind == "boolean":
            if not isinstance(raw, bool):
                raise CalculationError("wrong_type", name, f"expected true or false, got {raw!r}")
            return raw
        if self.kind == "choice":
            if not isinstance(raw, str):
                raise CalculationError(
                    "wrong_type", name, f"expected text, one of {list(self.choices or ())}"
                )
            if self.choices is not None and raw not in self.choices:
                raise CalculationError(
                    "invalid_choice", name, f"expected one of {list(self.choices)}, got {raw!r}"
                )
            return raw
        # choices: a list of distinct choice values
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise CalculationError("wrong_type", name, "expected a list of text values")
        if self.choices is not None:
            for value in raw:
                if value not in self.choices:
                    raise CalculationError(
                        "invalid_choice", name, f"expected values among {list(self.choices)}, got {value!r}"
                    )
        if len(set(raw)) != len(raw):
            raise CalculationError("invalid_value", name, "values must not repeat")
        return frozenset(raw)

    def _check_range(self, value: int) -> None:
        if self.minimum is not None and value < self.minimum:
            raise CalculationError("out_of_range", self.name, f"must be at least {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise CalculationError("out_of_range", self.name, f"must be at most {self.maximum}, got {value}")


def parse_payload(fields: tuple[FieldSpec, ...], payload: object) -> dict[str, Any]:
    """Validate a JSON object against the fields and return the calculator's keyword arguments."""
    if not isinstance(payload, Mapping):
        raise CalculationError("not_an_object", None, "the input must be one JSON object")
    known = {f.name for f in fields}
    for key in payload:
        if key not in known:
            raise CalculationError("unknown_field", str(key), f"this calculator has no input {key!r}")
    kwargs: dict[str, Any] = {}
    for spec in fields:
        if spec.name not in payload or payload[spec.name] is None:
            if spec.required:
                raise CalculationError("missing_field", spec.name, f"{spec.label} is required")
            if spec.default is not None:
                kwargs[spec.name] = spec.parse(spec.default)
            continue
        kwargs[spec.name] = spec.parse(payload[spec.name])
    return kwargs
