"""Money is an integer number of đồng; rates are Decimal; one helper rounds.

>>> round_dong(Decimal("4680000") * Decimal("0.08"))
374400
>>> round_dong(Decimal("0.5"))
1
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

Dong = int


def round_dong(amount: Decimal | int) -> Dong:
    """Round an exact amount half up to the whole đồng (the only rounding rule ansinh uses)."""
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_dong(amount: Dong) -> str:
    """Vietnamese display: 1.234.567 ₫."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,}".replace(",", ".") + " ₫"
