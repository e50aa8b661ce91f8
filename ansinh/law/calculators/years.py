"""Converting months of contributions into years (quy đổi thời gian đóng).

Law 41/2024/QH15 Art. 5.6: for eligibility only full 12-month years count; for a benefit amount, odd
months from 1 to 6 count as half a year and from 7 to 11 as a whole year (the 6 is a parameter).

>>> benefit_years(15 * 12 + 3, 6)
Decimal('15.5')
>>> benefit_years(15 * 12 + 7, 6)
Decimal('16')
"""

from __future__ import annotations

from decimal import Decimal


def benefit_years(months: int, half_year_max: int) -> Decimal:
    """Years for a benefit amount: 1..half_year_max odd months → ½ year, more → a whole year."""
    years, odd = divmod(months, 12)
    if odd == 0:
        return Decimal(years)
    if odd <= half_year_max:
        return Decimal(years) + Decimal("0.5")
    return Decimal(years + 1)


def full_years(months: int) -> int:
    """Years for eligibility: whole 12-month years only."""
    return months // 12
