"""Giá trị có kiểu như tệp thật gửi (typed values as real hospital files send them).

**Money, rates and quantities are** :class:`decimal.Decimal`, **never floats and never rounded**. Real files
carry amounts with two decimals (``600000.00``), sometimes with a decimal comma (``3127883,2``); quantities
with decimals (``0.5`` tablet, ``0.333`` of a vial) and rates (TYLE_TT_BH ``100``, MUC_HUONG ``80``). Integer
hundredths of a đồng would lose quantities' third decimal and would need a different scale per field;
``Decimal`` keeps every digit the hospital sent, compares exactly (``600000.00 == 600000``) and sums exactly,
so a total check of Decision 130/QĐ-BYT (e.g. T_TONGCHI_BV = Σ THANH_TIEN_BV) is decided on the hospital's own
figures. The ledger elsewhere stays in whole đồng: rounding to đồng happens once, where money is booked, not
where a claim is read.

Bad values never raise: a parser returns :class:`Invalid` (the raw text and why, in Vietnamese and English)
and the caller turns it into a finding on that field — ``NaN``, ``undefined``, ``Nhóm 1`` in a numeric or
coded field are a few per thousand lines in real files. ``None`` means the field is empty.

Dates: ``yyyymmddHHMM`` (NGAY_VAO, NGAY_RA, NGAY_YL…) and ``yyyymmdd`` (GT_THE_TU, GT_THE_DEN…), as
Decision 130/QĐ-BYT describes each field. Several values in one field are separated by ``;`` (several cards
and their validity dates, departments ``K01;K18``, secondary diagnoses). Diagnosis codes come with and
without the decimal point (``K21``, ``K21.9``); :func:`normalise_code` gives the form used for comparison.

>>> decimal_value("3127883,2"), decimal_value("600000.00"), decimal_value("NaN")
(Decimal('3127883.2'), Decimal('600000.00'), Invalid(raw='NaN', vi='không phải số', en='not a number'))
>>> datetime_value("202601150930")
datetime.datetime(2026, 1, 15, 9, 30)
>>> date_value("20261301").en
'not a yyyymmdd date'
>>> split_multi("K01;K18; "), normalise_code(" k21.9 ")
(['K01', 'K18'], 'K219')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from ansinh.claims.qd130.schema import Field


@dataclass(frozen=True)
class Invalid:
    """A value that does not read as its field's kind (the finding's raw text and reason)."""

    raw: str
    vi: str
    en: str


_DECIMAL = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
_INTEGER = re.compile(r"[+-]?\d+")

Typed = str | int | Decimal | date | datetime | None
Value = Typed | list[Typed] | Invalid


def decimal_value(raw: str) -> Decimal | Invalid | None:
    """Số tiền/tỷ lệ/số lượng (an amount, rate or quantity), exactly; a decimal comma is a decimal point."""
    s = raw.strip()
    if not s:
        return None
    if _DECIMAL.fullmatch(s) is None:  # also refuses NaN/Infinity, which Decimal() would accept
        return Invalid(raw, "không phải số", "not a number")
    return Decimal(s.replace(",", "."))


def integer_value(raw: str) -> int | Invalid | None:
    """Số nguyên/mã số (an integer or a numeric code such as GIOI_TINH, KET_QUA_DTRI)."""
    s = raw.strip()
    if not s:
        return None
    if _INTEGER.fullmatch(s) is None:
        return Invalid(raw, "không phải số nguyên", "not an integer")
    return int(s)


@lru_cache(maxsize=65536)
def date_value(raw: str) -> date | Invalid | None:
    """Ngày ``yyyymmdd`` (a date); memoised: a file repeats the same few dates thousands of times."""
    s = raw.strip()
    if not s:
        return None
    if len(s) == 8 and s.isascii() and s.isdigit():
        try:
            return date(int(s[:4]), int(s[4:6]), int(s[6:8]))
        except ValueError:
            pass
    return Invalid(raw, "không phải ngày yyyymmdd", "not a yyyymmdd date")


@lru_cache(maxsize=65536)
def datetime_value(raw: str) -> datetime | Invalid | None:
    """Thời điểm ``yyyymmddHHMM`` (a date and time to the minute)."""
    s = raw.strip()
    if not s:
        return None
    if len(s) == 12 and s.isascii() and s.isdigit():
        try:
            return datetime(int(s[:4]), int(s[4:6]), int(s[6:8]), int(s[8:10]), int(s[10:12]))
        except ValueError:
            pass
    return Invalid(raw, "không phải thời điểm yyyymmddHHMM", "not a yyyymmddHHMM date-time")


def split_multi(raw: str) -> list[str]:
    """Các giá trị cách nhau bằng dấu ``;`` (several values), blanks dropped."""
    return [part.strip() for part in raw.split(";") if part.strip()]


def normalise_code(raw: str) -> str:
    """Mã để so sánh (a code for comparison): upper case, no spaces, no point (``K21.9`` → ``K219``)."""
    return raw.strip().upper().replace(".", "").replace(" ", "")


def _scalar(kind: str, raw: str) -> Typed | Invalid:
    if kind == "decimal":
        return decimal_value(raw)
    if kind == "integer":
        return integer_value(raw)
    if kind == "date":
        return date_value(raw)
    if kind == "datetime":
        return datetime_value(raw)
    s = raw.strip()
    return s or None


def typed(field: Field, raw: str | None) -> Value:
    """The value of ``raw`` read as ``field`` declares it; a list for ``;``-separated fields."""
    if raw is None:
        return [] if field.multi else None
    if field.multi:
        out: list[Typed] = []
        for part in split_multi(raw):
            v = _scalar(field.kind, part)
            if isinstance(v, Invalid):
                return Invalid(raw, v.vi, v.en)
            out.append(v)
        return out
    return _scalar(field.kind, raw)
