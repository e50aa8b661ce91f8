"""What every calculator shares: the result that explains itself, the error, and the worksheet.

A calculator is a pure function ``(ParameterSet, facts) -> CalculationResult``. While it computes it
writes a :class:`Worksheet`: each step has a label, the formula with the figures filled in, the value
and the legal basis (the rule's article plus the instruments of the parameters it read), so that an
officer can explain the figure to the citizen in front of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ansinh.law.parameters import ParameterSet


class CalculationError(ValueError):
    """Invalid input for a calculator: a stable ``code``, the ``field`` at fault and a message."""

    def __init__(self, code: str, field: str | None, message: str) -> None:
        self.code = code
        self.field = field
        self.message = message
        super().__init__(f"{code} ({field}): {message}" if field else f"{code}: {message}")

    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "field": self.field, "message": self.message}}


@dataclass(frozen=True)
class Step:
    """One step of a calculation, with the legal basis the officer can cite."""

    label: str
    value: Any
    legal_basis: str
    formula: str | None = None


@dataclass
class CalculationResult:
    """Figures (JSON-shaped: int đồng, Decimal rates, bool, str, nested dicts/lists) and the steps."""

    calculator: str
    figures: dict[str, Any]
    steps: list[Step] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return self.figures[key]

    def to_json(self) -> dict[str, Any]:
        """The JSON object returned by the CLI and the API (Decimal as text, dates in ISO form)."""
        body: dict[str, Any] = {"calculator": self.calculator}
        body.update(jsonable(self.figures))
        body["steps"] = [jsonable(_step_json(step)) for step in self.steps]
        return body


def _step_json(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"label": step.label, "value": step.value}
    if step.formula:
        out["formula"] = step.formula
    out["legal_basis"] = step.legal_basis
    return out


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros: 0.450 → "0.45", 45.0 → "45"."""
    text = format(value.normalize(), "f")
    return text


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def percent(rate: Decimal) -> str:
    """0.175 → "17.5%"."""
    return f"{decimal_text(rate * 100)}%"


def dong(amount: int) -> str:
    """Amounts in formulas: 1,234,567."""
    return f"{amount:,}"


class Worksheet:
    """Reads parameters at one date, remembering their legal basis, and collects the steps."""

    def __init__(self, params: ParameterSet, at: date) -> None:
        self.params = params
        self.at = at
        self.steps: list[Step] = []

    def basis(self, *names: str) -> str:
        """The legal basis of the named parameters in force at the worksheet's date, without repeats."""
        seen: list[str] = []
        for name in names:
            text = self.params.entry(name, self.at).legal_basis
            if text not in seen:
                seen.append(text)
        return "; ".join(seen)

    def step(self, label: str, value: Any, rule: str, *parameters: str, formula: str | None = None) -> None:
        """Record a step; ``rule`` is the article applied, ``parameters`` the figures it read."""
        bases = self.basis(*parameters).split("; ") if parameters else []
        if rule and not any(b.startswith(rule) for b in bases):
            bases.insert(0, rule)
        self.steps.append(Step(label, value, "; ".join(bases), formula))
