"""The generator's shared state: configuration, random streams and the arrays each component adds."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from ansinh.synth.calendar import format_period, parse_period, to_date

#: Component ids for the random streams. Append new ones; never renumber (that would change output).
STREAMS = {
    "areas": 1,
    "households": 2,
    "persons": 3,
    "employers": 4,
    "employment": 5,
    "health": 6,
    "voluntary": 7,
    "duplicates": 8,
    "poverty": 9,
    "deaths": 10,
    "moves": 11,
}


@dataclass(frozen=True)
class SynthConfig:
    """What to generate: ``people`` person records of province ``province`` over ``months`` months
    ending with ``until`` (YYYY-MM), from ``seed``."""

    province: str = "42"
    people: int = 100_000
    months: int = 36
    seed: int = 42
    until: str = "2026-10"

    @property
    def end_month(self) -> int:
        return parse_period(self.until)

    @property
    def start_month(self) -> int:
        return self.end_month - self.months + 1

    @property
    def start_date(self) -> date:
        return to_date(self.start_month)

    @property
    def reference_date(self) -> date:
        """The last day of the last month: ages and current statuses are taken here."""
        nxt = to_date(self.end_month + 1)
        return date.fromordinal(nxt.toordinal() - 1)

    def describe(self) -> str:
        return (
            f"province {self.province}, {self.people:,} people, "
            f"{format_period(self.start_month)}..{self.until}, seed {self.seed}"
        )


@dataclass
class SynthContext:
    """Configuration plus everything generated so far (arrays by component, tables to write)."""

    config: SynthConfig
    arrays: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pa.Table] = field(default_factory=dict)
    labels: dict[str, pa.Table] = field(default_factory=dict)

    def rng(self, component: str) -> np.random.Generator:
        """The component's own random stream. Components of later domains (not in STREAMS) get a
        stream keyed by a checksum of their name, so adding one never shifts another's draws."""
        key = STREAMS.get(component) or zlib.crc32(component.encode("utf-8"))
        return np.random.default_rng([self.config.seed, key])
