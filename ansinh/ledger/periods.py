"""Periods as month indices, payment deadlines (hạn đóng) and aging buckets (tuổi nợ).

A month index is ``year * 12 + month - 1`` (as in :class:`ansinh.law.periods.Period`), so that
arrays of periods are plain int64. The deadline of a monthly contribution is the last day of the
month that follows the period (Law 41/2024/QH15 Art. 34.4; parameter
``contribution_deadline_months_after``); a period is late from the day after.

>>> deadline_of(Period(2026, 3))
datetime.date(2026, 4, 30)
>>> aging_bucket(date(2026, 4, 30), date(2026, 6, 9))
2
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ansinh.law.parameters import ParameterSet, get_parameters
from ansinh.law.periods import Period

IntArray = npt.NDArray[np.int64]

#: Aging buckets of an arrear (months since the deadline): 0 = not late, then < 1, 1–3, 3–6,
#: 6–12 and > 12 months. Reporting convention, not law.
AGING_LABELS = ("not late", "< 1 month", "1–3 months", "3–6 months", "6–12 months", "> 12 months")
AGING_BOUNDS = (1, 3, 6, 12)


def period_text(index: int) -> str:
    return str(Period.from_index(int(index)))


def period_index(text: str) -> int:
    return Period.parse(text).index


def period_indices(texts: pa.Array | pa.ChunkedArray) -> IntArray:
    """:func:`period_index` of a column of ``YYYY-MM`` texts, vectorised (each distinct value is
    parsed once, so a malformed period is refused as by :func:`period_index`)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if not len(texts):
        return np.zeros(0, np.int64)
    encoded = texts.dictionary_encode()
    table = np.array([period_index(str(t)) for t in encoded.dictionary.to_pylist()], np.int64)
    out: IntArray = table[encoded.indices.to_numpy(zero_copy_only=False)]
    return out


def last_day(index: int) -> date:
    nxt = Period.from_index(int(index) + 1).first_day
    return nxt - timedelta(days=1)


def deadline_of(period: Period, params: ParameterSet | None = None) -> date:
    """Last day of the month ``contribution_deadline_months_after`` months after ``period``."""
    params = params or get_parameters()
    months = params.integer("contribution_deadline_months_after", period.first_day)
    return last_day(period.index + months)


def deadlines(indices: IntArray, params: ParameterSet | None = None) -> npt.NDArray[np.datetime64]:
    """The deadline of each period (vectorised; the parameter is read once per distinct period)."""
    params = params or get_parameters()
    unique, inverse = np.unique(np.asarray(indices, dtype=np.int64), return_inverse=True)
    table = np.array(
        [np.datetime64(deadline_of(Period.from_index(int(i)), params), "D") for i in unique.tolist()],
        dtype="datetime64[D]",
    )
    return table[inverse] if len(unique) else np.array([], dtype="datetime64[D]")


def aging_bucket(deadline: date, as_of: date) -> int:
    """0 if not late; else 1–5 for < 1, 1–3, 3–6, 6–12, > 12 months after the deadline."""
    return int(aging_buckets(np.array([deadline], dtype="datetime64[D]"), as_of)[0])


def aging_buckets(deadline: npt.NDArray[np.datetime64], as_of: date) -> IntArray:
    """Bucket of each deadline at ``as_of``: months late = (days late − 1) // 30.44 (the mean month;
    it differs from a calendar-month count by at most a day at a bucket edge)."""
    days = (np.datetime64(as_of, "D") - deadline.astype("datetime64[D]")).astype(np.int64)
    months = np.floor(np.maximum(days - 1, 0) / 30.436875).astype(np.int64)
    bucket = 1 + sum((months >= b).astype(np.int64) for b in AGING_BOUNDS)
    out: IntArray = np.where(days > 0, bucket, 0).astype(np.int64)
    return out
