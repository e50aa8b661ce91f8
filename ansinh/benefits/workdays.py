"""Working days (ngày làm việc) for statutory processing deadlines: weekends and public holidays
(from ``benefits.yaml``, kept as data per year) are not counted.

Rule: a dossier received on day D must be settled within N working days counted from the working day
after D (Law 41/2024/QH15 Art. 79, 80, 48, 63, 93 as listed in ``processing_deadline_working_days``;
holidays per Labour Code 45/2019/QH14 Art. 112).

Worked example: a maternity dossier received on Friday 13 Feb 2026 (7 working days; Tết 16–20 Feb
are holidays): 23, 24, 25, 26, 27 Feb, 2, 3 Mar → due on Tuesday 3 Mar 2026.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np

from ansinh.law.parameters import ParameterNotInForce, ParameterSet, get_parameters


@lru_cache(maxsize=64)
def _holidays_of_year(params_id: int, year: int) -> tuple[date, ...]:
    params = _PARAMS[params_id]
    try:
        records = params.records("public_holidays", date(year, 6, 30))
    except ParameterNotInForce:
        return ()
    entry = params.entry("public_holidays", date(year, 6, 30))
    if entry.valid_from.year != year:  # no list published for this year: weekends only
        return ()
    return tuple(date(year, int(r["month"]), int(r["day"])) for r in records)


_PARAMS: dict[int, ParameterSet] = {}


def holidays(params: ParameterSet, first_year: int, last_year: int) -> list[date]:
    """Public holidays falling on weekdays in the years ``first_year``..``last_year``."""
    _PARAMS[id(params)] = params
    out: list[date] = []
    for year in range(first_year, last_year + 1):
        out.extend(_holidays_of_year(id(params), year))
    return out


def add_working_days(start: date, days: int, params: ParameterSet | None = None) -> date:
    """The ``days``-th working day after ``start`` (Labour Code Art. 112 holidays as data)."""
    params = params or get_parameters()
    hol = np.array(holidays(params, start.year, start.year + 1 + days // 200), dtype="datetime64[D]")
    result = np.busday_offset(np.datetime64(start, "D"), days, roll="forward", holidays=hol)
    if not np.is_busday(np.datetime64(start, "D"), holidays=hol):
        # received on a weekend or holiday: counting starts at the next working day, which is day 1
        result = np.busday_offset(np.datetime64(start, "D"), days - 1, roll="forward", holidays=hol)
    out: date = result.astype(date)
    return out


def working_days_between(start: date, end: date, params: ParameterSet | None = None) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if ``end`` is earlier)."""
    params = params or get_parameters()
    lo, hi = min(start, end), max(start, end)
    hol = np.array(holidays(params, lo.year, hi.year), dtype="datetime64[D]")
    count = int(
        np.busday_count(
            np.datetime64(start, "D") + np.timedelta64(1, "D"),
            np.datetime64(end, "D") + np.timedelta64(1, "D"),
            holidays=hol,
        )
    )
    return count


def due_dates(received: np.ndarray, days: np.ndarray, params: ParameterSet | None = None) -> np.ndarray:
    """Vectorised :func:`add_working_days` for arrays of receipt dates (datetime64[D]) and day counts."""
    params = params or get_parameters()
    if len(received) == 0:
        return received.astype("datetime64[D]")
    years = received.astype("datetime64[Y]").astype(int) + 1970
    hol = np.array(holidays(params, int(years.min()), int(years.max()) + 1), dtype="datetime64[D]")
    on_busday = np.is_busday(received, holidays=hol)
    return np.busday_offset(received, np.where(on_busday, days, days - 1), roll="forward", holidays=hol)
