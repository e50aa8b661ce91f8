"""The parameter loader: real files load; broken files are refused naming the file and the key."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ansinh.law.parameters import (
    PARAMETER_DIRECTORY,
    ParameterFileError,
    ParameterNotInForce,
    UnknownParameter,
    get_parameters,
    load_parameters,
)

GOOD = """
reference_level:
  description: Base salary
  unit: dong
  values:
    2024-07-01: {value: 2_340_000, legal_basis: Decree 73/2024}
    2026-07-01: {value: 2_530_000, legal_basis: Decree 161/2026, confidence: likely}
"""


def write(tmp_path: Path, text: str, name: str = "broken.yaml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_real_parameters_load_and_have_the_shapes_others_rely_on() -> None:
    params = get_parameters()
    assert params.value("reference_level", date(2026, 3, 1)) == 2_340_000
    assert params.value("reference_level", date(2026, 7, 1)) == 2_530_000
    assert params.value("regional_minimum_wage", date(2025, 12, 31)) == {
        1: 4_960_000,
        2: 4_410_000,
        3: 3_860_000,
        4: 3_450_000,
    }
    assert params.value("regional_minimum_wage", date(2026, 1, 1)) == {
        1: 5_310_000,
        2: 4_730_000,
        3: 4_140_000,
        4: 3_700_000,
    }
    rate = params.value("si_rate_employer_retirement", date(2026, 1, 1))
    assert isinstance(rate, Decimal) and rate == Decimal("0.14")
    assert params.value("voluntary_support_rate", date(2025, 7, 1))["poor"] == Decimal("0.50")
    assert params.age("retirement_age_male", date(2027, 1, 1)) == (61, 9)
    assert len(params.history("reference_level")) >= 8


def test_unsure_values_carry_a_note() -> None:
    params = get_parameters()
    entry = params.entry("rural_poverty_line", date(2026, 3, 1))
    assert entry.value == 1_500_000
    assert entry.confidence == "unsure" and entry.note and "UNSURE" in entry.note
    for name in params.names():
        for value in params.history(name):
            assert value.legal_basis
            if value.confidence == "unsure":
                assert value.note


def test_values_are_copies() -> None:
    params = get_parameters()
    wages = params.value("regional_minimum_wage", date(2026, 1, 1))
    wages[1] = 0
    assert params.value("regional_minimum_wage", date(2026, 1, 1))[1] == 5_310_000


def test_a_date_before_the_first_value_raises() -> None:
    with pytest.raises(ParameterNotInForce) as info:
        get_parameters().value("late_payment_surcharge_daily_rate", date(2025, 6, 30))
    assert isinstance(info.value, ValueError)
    assert "2025-07-01" in str(info.value)


def test_unknown_parameter() -> None:
    with pytest.raises(UnknownParameter):
        get_parameters().value("no_such_thing", date(2026, 1, 1))


def test_a_good_file_loads(tmp_path: Path) -> None:
    params = load_parameters(write(tmp_path, GOOD))
    assert params.value("reference_level", date(2026, 6, 30)) == 2_340_000
    assert params.entry("reference_level", date(2030, 1, 1)).confidence == "likely"


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (GOOD.replace("2026-07-01", "2023-07-01"), "reference_level.values.2023-07-01", "ascending"),
        (
            GOOD.replace("value: 2_530_000", "value: 2530000.5"),
            "reference_level.values.2026-07-01.value",
            "whole number",
        ),
        (
            GOOD.replace("value: 2_530_000", 'value: "2.53M"'),
            "reference_level.values.2026-07-01.value",
            "whole number",
        ),
        (
            GOOD.replace(", legal_basis: Decree 73/2024", ""),
            "reference_level.values.2024-07-01.legal_basis",
            "cites",
        ),
        (GOOD.replace("unit: dong", "unit: euro"), "reference_level.unit", "unknown unit"),
        (GOOD.replace("  description: Base salary\n", ""), "reference_level.description", "missing"),
        (
            GOOD.replace("confidence: likely", "confidence: unsure"),
            "reference_level.values.2026-07-01.note",
            "note",
        ),
        (GOOD.replace("value: 2_530_000", "value: null"), "reference_level.values.2026-07-01.value", "gap"),
        (GOOD.replace("2026-07-01:", "someday:"), "reference_level.values.someday", "valid_from"),
        (
            GOOD.replace("legal_basis: Decree 161/2026", "legal_bassis: Decree 161/2026"),
            "reference_level.values.2026-07-01.legal_bassis",
            "unknown key",
        ),
        (GOOD + "    2026-07-01: {value: 1, legal_basis: x}\n", "line", "duplicate"),
    ],
)
def test_a_broken_file_names_file_and_key(tmp_path: Path, text: str, key: str, message: str) -> None:
    with pytest.raises(ParameterFileError) as info:
        load_parameters(write(tmp_path, text))
    assert info.value.file == "broken.yaml"
    assert info.value.key.startswith(key), info.value
    assert message in str(info.value)
    assert "broken.yaml" in str(info.value)


def test_rates_are_checked(tmp_path: Path) -> None:
    text = """
si_rate:
  description: a rate
  unit: rate
  values:
    2024-01-01: {value: 8, legal_basis: somewhere}
"""
    with pytest.raises(
        ParameterFileError, match=r"si_rate\.values\.2024-01-01\.value: a rate must be between"
    ):
        load_parameters(write(tmp_path, text))


def test_regions_must_all_be_given(tmp_path: Path) -> None:
    text = """
regional_minimum_wage:
  description: wages
  unit: dong
  shape: by_region
  values:
    2026-01-01: {value: {1: 5310000, 2: 4730000, 3: 4140000}, legal_basis: Decree 293/2025}
"""
    with pytest.raises(ParameterFileError) as info:
        load_parameters(write(tmp_path, text))
    assert info.value.key == "regional_minimum_wage.values.2026-01-01.value"


def test_a_parameter_defined_twice(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(ParameterFileError, match=r"b\.yaml: reference_level: already defined in a\.yaml"):
        load_parameters(tmp_path)


def test_decimals_are_never_floats() -> None:
    for path in PARAMETER_DIRECTORY.glob("*.yaml"):
        assert path.read_text(encoding="utf-8")  # every file readable
    params = get_parameters()
    for name in params.names():
        for entry in params.history(name):
            assert not _contains_float(entry.value), name


def _contains_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_contains_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_float(v) for v in value)
    return False
