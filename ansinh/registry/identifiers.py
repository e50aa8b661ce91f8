"""Identifiers and their validation. Each validator returns the normalised value or raises
:class:`InvalidIdentifier` with a message an officer can act on.

Personal ID (số định danh cá nhân, 12 digits; Thông tư 59/2021/TT-BCA Art. 7, Decree 70/2024):
digits 1–3 the province of birth registration (old 63-province codes), digit 4 century and gender
(0/1 = male/female born 1900–1999, 2/3 = 2000–2099, …), digits 5–6 the last two digits of the birth
year, digits 7–12 random. There is no check digit.

>>> validate_personal_id("042088001234", birth_date=date(1988, 5, 1), gender="male")
'042088001234'
>>> validate_hi_card("GD4424201234567")
HICardNumber(group='GD', benefit_level=4, province='42', si_number='4201234567')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# re.ASCII: \d would also take other scripts' digits (Arabic-Indic, full-width), which no register holds
_PERSONAL_ID = re.compile(r"^\d{12}$", re.ASCII)
_SI_NUMBER = re.compile(r"^\d{10}$", re.ASCII)
_HI_CARD = re.compile(r"^([A-Z]{2})([1-5])(\d{2})(\d{10})$", re.ASCII)
_TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$", re.ASCII)


_GENDER_VI = {"male": "nam", "female": "nữ"}


class InvalidIdentifier(ValueError):
    """An identifier that cannot be right; the message says why."""


def century_gender_digit(birth_year: int, gender: str) -> int:
    """Digit 4 of the personal ID: 2 × (century index) + (1 if female)."""
    if not 1900 <= birth_year <= 2399:
        raise InvalidIdentifier(f"năm sinh {birth_year} ngoài khoảng 1900–2399 "
                                "(birth year outside 1900–2399)")
    return 2 * ((birth_year - 1900) // 100) + (1 if gender == "female" else 0)


def validate_personal_id(value: str, *, birth_date: date | None = None, gender: str | None = None) -> str:
    """A 12-digit personal ID, consistent with the birth year and gender when they are given."""
    value = value.strip()
    if not _PERSONAL_ID.fullmatch(value):
        raise InvalidIdentifier(f"số định danh phải gồm 12 chữ số, nhận được {value!r} "
                                "(personal ID must be 12 digits)")
    if birth_date is not None and gender is not None:
        expected = century_gender_digit(birth_date.year, gender)
        if int(value[3]) != expected:
            raise InvalidIdentifier(
                f"chữ số thứ 4 của số định danh là {value[3]}, nhưng {_GENDER_VI.get(gender, gender)} "
                f"sinh năm {birth_date.year} phải là {expected} (personal ID digit 4 is {value[3]}, but a "
                f"{gender} born in {birth_date.year} has {expected})"
            )
    if birth_date is not None and int(value[4:6]) != birth_date.year % 100:
        raise InvalidIdentifier(
            f"chữ số 5–6 của số định danh là {value[4:6]}, nhưng năm sinh là {birth_date.year} "
            f"(personal ID digits 5–6 are {value[4:6]}, but the birth year is {birth_date.year})"
        )
    return value


def validate_si_number(value: str) -> str:
    """The 10-digit SI number (mã số BHXH): opaque, leading zeros kept."""
    value = value.strip()
    if not _SI_NUMBER.fullmatch(value):
        raise InvalidIdentifier(f"mã số BHXH phải gồm 10 chữ số, nhận được {value!r} "
                                "(SI number must be 10 digits)")
    return value


@dataclass(frozen=True)
class HICardNumber:
    """HI card number (mã thẻ BHYT), 15 characters: group code, benefit digit, province, SI number."""

    group: str
    benefit_level: int
    province: str
    si_number: str

    def __str__(self) -> str:
        return f"{self.group}{self.benefit_level}{self.province}{self.si_number}"


def validate_hi_card(value: str) -> HICardNumber:
    """Parse a 15-character HI card number (QĐ 1351/QĐ-BHXH structure)."""
    value = value.strip().upper()
    match = _HI_CARD.fullmatch(value)
    if not match:
        raise InvalidIdentifier(
            f"mã thẻ BHYT phải gồm 2 chữ cái, 1 chữ số mức hưởng 1–5, 2 chữ số tỉnh và mã số BHXH 10 chữ số, "
            f"nhận được {value!r} (HI card number must be 2 letters, a benefit digit 1–5, 2 province digits "
            "and the 10-digit SI number)"
        )
    group, level, province, si_number = match.groups()
    return HICardNumber(group, int(level), province, si_number)


def validate_tax_code(value: str) -> str:
    """Employer tax code: 10 digits, or 10-3 for a dependent unit (branch)."""
    value = value.strip()
    if not _TAX_CODE.fullmatch(value):
        raise InvalidIdentifier(f"mã số thuế phải gồm 10 chữ số, hoặc 10-3 chữ số với chi nhánh, "
                                f"nhận được {value!r} "
                                "(tax code must be 10 digits or 10-3 digits for a branch)")
    return value
