"""Collect the YAML law cases of this folder as pytest items (openfisca style).

Each file names its ``calculator`` and lists ``cases``; a case has a ``name``, the ``legal_basis`` it
checks, the ``input`` (the JSON object given to ``ansinh calc``) and either the expected ``output``
(a subset of the result: only the figures written are compared) or the expected ``error``
(``code`` and ``field``). Decimal figures may be written as numbers (42.5) or text ("42.5").
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansinh.law.calculators import CalculationError, calculate

HERE = Path(__file__).parent
CASE_KEYS = {"name", "legal_basis", "input", "output", "error", "note"}


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent == HERE:
        return LawCaseFile.from_parent(parent, path=file_path)
    return None


class LawCaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        document = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        calculator = document["calculator"]
        for index, case in enumerate(document["cases"]):
            unknown = set(case) - CASE_KEYS
            if unknown or "name" not in case or "legal_basis" not in case or "input" not in case:
                raise ValueError(
                    f"{self.path.name} case {index}: needs name, legal_basis, input; unknown {unknown}"
                )
            if ("output" in case) == ("error" in case):
                raise ValueError(f"{self.path.name} case {case['name']!r}: give either output or error")
            yield LawCase.from_parent(self, name=case["name"], calculator=calculator, case=case)


class LawCaseFailure(AssertionError):
    pass


def _matches(expected: Any, actual: Any, where: str, problems: list[str]) -> None:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            problems.append(f"{where}: expected an object, got {actual!r}")
            return
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing from the result")
            else:
                _matches(value, actual[key], f"{where}.{key}", problems)
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            problems.append(f"{where}: expected {expected!r}, got {actual!r}")
            return
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _matches(e, a, f"{where}[{i}]", problems)
    elif isinstance(expected, bool) or expected is None:
        if actual is not expected:
            problems.append(f"{where}: expected {expected!r}, got {actual!r}")
    elif isinstance(expected, int | float) and isinstance(actual, str):
        if Decimal(str(expected)) != Decimal(actual):
            problems.append(f"{where}: expected {expected}, got {actual}")
    elif expected != actual or type(expected) is not type(actual):
        problems.append(f"{where}: expected {expected!r}, got {actual!r}")


class LawCase(pytest.Item):
    def __init__(self, *, calculator: str, case: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calculator = calculator
        self.case = case

    def runtest(self) -> None:
        problems: list[str] = []
        if "error" in self.case:
            try:
                result = calculate(self.calculator, self.case["input"])
            except CalculationError as error:
                _matches(self.case["error"], error.to_json()["error"], "error", problems)
            else:
                problems.append(f"expected error {self.case['error']}, got a result {result}")
        else:
            result = calculate(self.calculator, self.case["input"])
            _matches(self.case["output"], result, "output", problems)
            if not result.get("steps"):
                problems.append("the result carries no steps")
        if problems:
            raise LawCaseFailure("\n".join(problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, LawCaseFailure):
            return (
                f"{self.path.name}: {self.name}\n  legal basis: {self.case['legal_basis']}\n"
                f"  input: {self.case['input']}\n  " + str(excinfo.value).replace("\n", "\n  ")
            )
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.calculator}: {self.name}"
