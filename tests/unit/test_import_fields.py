"""Cell parsers of the import: exact values and exact reasons."""

from __future__ import annotations

from datetime import date

import pytest

from ansinh.registry.importing import fields


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/01/1988", date(1988, 1, 5)),
        ("5/1/1988", date(1988, 1, 5)),
        ("05-01-1988", date(1988, 1, 5)),
        ("05.01.1988", date(1988, 1, 5)),
        ("1988-01-05", date(1988, 1, 5)),
        ("1988-01-05 00:00:00", date(1988, 1, 5)),
        ("29/02/2024", date(2024, 2, 29)),
    ],
)
def test_dates_accepted(text: str, expected: date) -> None:
    assert fields.parse_date(text) == expected


def test_impossible_date() -> None:
    with pytest.raises(ValueError, match=r"^ngày '31/02/1990' không có thật \(impossible date: no such "
                                         r"day\)$"):
        fields.parse_date("31/02/1990")
    with pytest.raises(ValueError, match="ngày '29/02/2023' không có thật"):
        fields.parse_date("29/02/2023")


def test_not_a_date() -> None:
    with pytest.raises(ValueError, match=r"^không phải ngày: hãy viết dd/mm/yyyy hoặc yyyy-mm-dd, nhận "
                                         r"được '1/1/88' "
                       r"\(not a date: write dd/mm/yyyy or yyyy-mm-dd\)$"):
        fields.parse_date("1/1/88")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5310000", 5310000), ("5.310.000", 5310000), ("5,310,000", 5310000), ("5 310 000đ", 5310000)],
)
def test_amounts(text: str, expected: int) -> None:
    assert fields.parse_amount(text) == expected


@pytest.mark.parametrize("text", ["0", "-5", "5310000.5", "5.31", "abc", "1.5e6"])
def test_bad_amounts(text: str) -> None:
    with pytest.raises(ValueError, match="must be a positive whole number of đồng"):
        fields.parse_amount(text)


def test_choices_ignore_case_and_diacritics() -> None:
    gender = fields.choice(fields.GENDER_LABELS, "gender")
    assert [gender(v) for v in ("Nam", "NỮ", "nu", "female", "Male")] == [
        "male",
        "female",
        "female",
        "female",
        "male",
    ]
    relation = fields.choice(fields.RELATION_LABELS, "relation to the head")
    assert [relation(v) for v in ("Chủ hộ", "chu ho", "Vợ", "Chồng", "Con", "Cháu nội")] == [
        "head",
        "head",
        "spouse",
        "spouse",
        "child",
        "grandchild",
    ]
    with pytest.raises(ValueError, match=r"^giới tính 'X' không hợp lệ; chấp nhận: male, female "
                                         r"\(unknown gender\)$"):
        gender("X")


def test_scheme_and_employer_labels() -> None:
    scheme = fields.choice(fields.SCHEME_LABELS, "scheme")
    assert [scheme(v) for v in ("BHXH bắt buộc", "BHXH tự nguyện", "BHYT", "BHTN", "vsi")] == [
        "si",
        "vsi",
        "hi",
        "ui",
        "vsi",
    ]
    kind = fields.choice(fields.EMPLOYER_KIND_LABELS, "employer kind")
    assert [kind(v) for v in ("Doanh nghiệp", "Cơ quan nhà nước", "Hộ kinh doanh", "Hợp tác xã")] == [
        "enterprise",
        "state_agency",
        "business_household",
        "cooperative",
    ]


@pytest.mark.parametrize(("text", "expected"), [("1", 1), ("IV", 4), ("Vùng II", 2), ("iii", 3)])
def test_wage_region(text: str, expected: int) -> None:
    assert fields.wage_region(text) == expected


def test_wage_region_refused() -> None:
    with pytest.raises(ValueError, match=r"^vùng lương tối thiểu phải là 1–4 hoặc I–IV, nhận được '5' "
                       r"\(wage region must be 1–4 or I–IV\)$"):
        fields.wage_region("5")


def test_si_number_keeps_leading_zeros_and_hints_when_lost() -> None:
    assert fields.si_number("0101234567") == "0101234567"
    with pytest.raises(ValueError, match=r"nhận được '101234567' .*; mất số 0 ở đầu\? .*\(leading zeros "
                                         r"lost\?"):
        fields.si_number("101234567")


def test_sector_and_ethnicity() -> None:
    assert fields.sector("C") == "C"
    assert fields.sector("c - Công nghiệp chế biến") == "C"
    with pytest.raises(ValueError, match="VSIC 2018 section letter"):
        fields.sector("CZ")
    assert [fields.ethnicity(v) for v in ("1", "01", "Kinh", "Thái", "H'Mông".replace("'", ""))] == [
        "01",
        "01",
        "01",
        "03",
        "08",
    ]
    with pytest.raises(ValueError, match="ethnicity must be a code 01–54"):
        fields.ethnicity("55")


def test_phone() -> None:
    assert fields.phone("+84 912 345 678") == "0912345678"
    assert fields.phone("0912.345.678") == "0912345678"
    with pytest.raises(ValueError, match="phone must be 9–11 digits"):
        fields.phone("12345")
