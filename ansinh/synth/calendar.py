"""Month arithmetic on numpy arrays. A month is an integer index ``year * 12 + month - 1``."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
DateArray = npt.NDArray[np.datetime64]

_EPOCH_MONTH = 1970 * 12


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def parse_period(period: str) -> int:
    """'2026-10' → month index."""
    year, month = period.split("-")
    return month_index(int(year), int(month))


def format_period(m: int) -> str:
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def first_day(months: IntArray) -> DateArray:
    """First day of each month index, as datetime64[D]."""
    return (np.asarray(months, dtype=np.int64) - _EPOCH_MONTH).astype("datetime64[M]").astype("datetime64[D]")


def last_day(months: IntArray) -> DateArray:
    return first_day(np.asarray(months, dtype=np.int64) + 1) - np.timedelta64(1, "D")


def months_of(dates: DateArray) -> IntArray:
    """Month index of each date."""
    return dates.astype("datetime64[M]").astype(np.int64) + _EPOCH_MONTH


def to_date(m: int) -> date:
    return date(m // 12, m % 12 + 1, 1)
