"""Money is an integer number of đồng; rates are Decimal; one helper rounds.

>>> round_dong(Decimal("4680000") * Decimal("0.08"))
374400
>>> round_dong(Decimal("0.5"))
1
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

Dong = int

#: No amount a province's office handles comes near this (a province collects ~10^13 đồng a year);
#: anything larger is a typing or export error, refused with the record and the field named, long
#: before BIGINT (9.2 × 10^18) would overflow.
MAX_AMOUNT_DONG: Dong = 10**15


class AmountOutOfRange(ValueError):
    """An amount beyond any plausible figure (số tiền vượt giới hạn)."""


def check_amount(value: int, *, allow_negative: bool = False) -> Dong:
    """``value`` if it is a plausible amount of đồng, else :class:`AmountOutOfRange` (Vietnamese).

    >>> check_amount(5_000_000)
    5000000
    """
    if abs(value) > MAX_AMOUNT_DONG:
        raise AmountOutOfRange(f"số tiền {value} vượt giới hạn {MAX_AMOUNT_DONG:,} đồng".replace(",", "."))
    if value < 0 and not allow_negative:
        raise AmountOutOfRange(f"số tiền {value} không được âm")
    return value


def round_dong(amount: Decimal | int) -> Dong:
    """Round an exact amount half up to the whole đồng (the only rounding rule ansinh uses)."""
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_dong(amount: Dong) -> str:
    """Vietnamese display: 1.234.567 ₫."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,}".replace(",", ".") + " ₫"
