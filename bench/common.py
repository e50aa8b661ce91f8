"""Helpers shared by the benchmarks: timing, medians, percentiles, and the 1.3M-person database."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH_DB = "sqlite:///var/bench-1.3m.db"
PEOPLE = 1_300_000
SEED = 7


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def report(name: str, runs: list[float], unit: str = "s") -> None:
    shown = ", ".join(f"{r:.2f}" for r in runs)
    print(f"{name}: median {statistics.median(runs):.2f} {unit} over {len(runs)} runs [{shown}]")


def ensure_province(url: str = BENCH_DB, people: int = PEOPLE, seed: int = SEED) -> None:
    """Generate the benchmark province into ``url`` unless it already holds persons."""
    from sqlalchemy import text

    from ansinh.core.db import make_engine
    from ansinh.core.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM persons")).scalar_one()
    engine.dispose()
    if count:
        return
    Path("var").mkdir(exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "ansinh.cli.main", "synth", "--people", str(people), "--seed", str(seed)],
        check=True,
        env=_env(url),
    )


def _env(url: str) -> dict[str, str]:
    import os

    return {**os.environ, "ANSINH_DATABASE_URL": url}
