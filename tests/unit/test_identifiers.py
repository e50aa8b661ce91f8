"""Identifier validation: personal ID (Thông tư 59/2021/TT-BCA Art. 7), SI number, HI card
(QĐ 1351/QĐ-BHXH structure), tax code."""

from __future__ import annotations

from datetime import date

import pytest

from ansinh.registry.identifiers import (
    InvalidIdentifier,
    century_gender_digit,
    validate_hi_card,
    validate_personal_id,
    validate_si_number,
    validate_tax_code,
)


@pytest.mark.parametrize(
    ("year", "gender", "digit"),
    [(1950, "male", 0), (1999, "female", 1), (2000, "male", 2), (2024, "female", 3), (2100, "male", 4)],
)
def test_century_gender_digit(year: int, gender: str, digit: int) -> None:
    assert century_gender_digit(year, gender) == digit


def test_personal_id_consistent_with_birth_and_gender() -> None:
    assert validate_personal_id("042088001234", birth_date=date(1988, 5, 1), gender="male") == "042088001234"
    assert (
        validate_personal_id("042301001234", birth_date=date(2001, 1, 9), gender="female") == "042301001234"
    )


@pytest.mark.parametrize(
    ("value", "birth", "gender", "reason"),
    [
        ("04208800123", date(1988, 5, 1), "male", "12 digits"),
        ("04208800123A", date(1988, 5, 1), "male", "12 digits"),
        ("042188001234", date(1988, 5, 1), "male", "digit 4 is 1"),  # 1 = a woman born 1900–1999
        ("042288001234", date(1988, 5, 1), "male", "digit 4 is 2"),  # 2 = born 2000–2099
        ("042087001234", date(1988, 5, 1), "male", "digits 5–6 are 87"),
    ],
)
def test_personal_id_rejections(value: str, birth: date, gender: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        validate_personal_id(value, birth_date=birth, gender=gender)


def test_si_number_keeps_leading_zeros() -> None:
    assert validate_si_number("0012345678") == "0012345678"
    with pytest.raises(InvalidIdentifier):
        validate_si_number("12345678")


def test_hi_card_parts() -> None:
    card = validate_hi_card("dn4424201234567")
    assert (card.group, card.benefit_level, card.province, card.si_number) == ("DN", 4, "42", "4201234567")
    assert str(card) == "DN4424201234567"
    for bad in ("DN6424201234567", "D14424201234567", "DN442420123456"):
        with pytest.raises(InvalidIdentifier):
            validate_hi_card(bad)


def test_tax_code_branch_form() -> None:
    assert validate_tax_code("4200123456") == "4200123456"
    assert validate_tax_code("4200123456-001") == "4200123456-001"
    for bad in ("420012345", "4200123456-01", "42001234X6"):
        with pytest.raises(InvalidIdentifier):
            validate_tax_code(bad)
