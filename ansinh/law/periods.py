"""Business periods: a contribution month (kỳ đóng) written ``YYYY-MM``.

>>> Period.parse("2026-03").first_day
datetime.date(2026, 3, 1)
>>> str(Period(2025, 12).next())
'2026-01'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, the unit in which contributions are declared and paid."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1–12, got {self.month}")

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text)
        if not match:
            raise ValueError(f"a period is written YYYY-MM, got {text!r}")
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
