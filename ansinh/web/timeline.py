"""Geometry of the participation timeline drawn on the person page (server-side SVG, no JavaScript).

>>> rows, ticks = timeline_bars({}, date(2025, 1, 1))
>>> rows, ticks
([], [])
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ansinh.registry.queries import Spell
from ansinh.web.i18n import format_date

WIDTH = 860.0


@dataclass(frozen=True)
class Segment:
    x: float
    w: float
    label: str


@dataclass(frozen=True)
class BarRow:
    scheme: str
    segments: list[Segment]


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


def timeline_bars(timeline: dict[str, list[Spell]], today: date) -> tuple[list[BarRow], list[Tick]]:
    """One row per scheme; x from the first spell's start to today (open spells run to today)."""
    spells = [s for group in timeline.values() for s in group]
    if not spells:
        return [], []
    start = min(s.valid_from for s in spells)
    end = max([today, *(s.valid_to for s in spells if s.valid_to)])
    span = max((end - start).days, 1)

    def x(day: date) -> float:
        return round(WIDTH * (day - start).days / span, 1)

    rows = [
        BarRow(
            scheme,
            [
                Segment(
                    x(s.valid_from),
                    max(round(x(s.valid_to or end) - x(s.valid_from), 1), 1.5),
                    f"{format_date(s.valid_from)} – {format_date(s.valid_to) if s.valid_to else '…'}",
                )
                for s in group
            ],
        )
        for scheme, group in timeline.items()
    ]
    years = range(start.year + 1, end.year + 1)
    step = max(1, len(years) // 8)
    ticks = [Tick(x(date(y, 1, 1)), str(y)) for y in years[::step]]
    return rows, ticks
