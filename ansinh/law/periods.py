"""Business periods: a contribution month (kỳ đóng) written ``YYYY-MM``.

>>> Period.parse("2026-03").first_day
datetime.date(2026, 3, 1)
>>> str(Period(2025, 12).next())
'2026-01'

Periods typed by people (forms, files, the API) are checked by :func:`checked_period`: ASCII digits
only, month 01–12, a year within :data:`MIN_YEAR`–:data:`MAX_YEAR`; the message names the field:

>>> try:
...     checked_period("7115-60", "from_period")
... except InvalidPeriod as exc:
...     print(str(exc).split(" / ")[0])
from_period: kỳ phải có dạng YYYY-MM, tháng 01–12, năm 1995–2100 (nhận được '7115-60')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)

#: Years a declared or requested period may fall in: social insurance began in 1995 (Decree 12/CP);
#: nothing the office plans reaches beyond 2100.
MIN_YEAR = 1995
MAX_YEAR = 2100


class InvalidPeriod(ValueError):
    """A period that cannot be right (kỳ không hợp lệ); the message names the field."""


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, the unit in which contributions are declared and paid."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"tháng phải từ 1 đến 12 / month must be 1–12, got {self.month}")

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text)
        if not match:
            raise ValueError(f"kỳ viết dạng YYYY-MM / a period is written YYYY-MM, got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    @classmethod
    def from_index(cls, index: int) -> Period:
        """Inverse of :attr:`index`."""
        return cls(index // 12, index % 12 + 1)

    @property
    def index(self) -> int:
        """Months since year 0, for arithmetic on periods."""
        return self.year * 12 + self.month - 1

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def next(self) -> Period:
        return Period.from_index(self.index + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def plausible(self) -> bool:
        """Within the years people may type (:data:`MIN_YEAR`–:data:`MAX_YEAR`)."""
        return MIN_YEAR <= self.year <= MAX_YEAR


def period_error(text: str, field: str) -> InvalidPeriod:
    shown = repr(text.encode("utf-8", "backslashreplace").decode("utf-8"))
    return InvalidPeriod(
        f"{field}: kỳ phải có dạng YYYY-MM, tháng 01–12, năm {MIN_YEAR}–{MAX_YEAR} (nhận được {shown})"
        f" / {field}: a period is written YYYY-MM, month 01–12, year {MIN_YEAR}–{MAX_YEAR} (got {shown})"
    )


def checked_period(text: str, field: str = "period") -> Period:
    """``text`` (``YYYY-MM``) as a :class:`Period` people may declare, else :class:`InvalidPeriod`."""
    try:
        period = Period.parse(text)
    except ValueError:
        raise period_error(text, field) from None
    if not period.plausible:
        raise period_error(text, field)
    return period
