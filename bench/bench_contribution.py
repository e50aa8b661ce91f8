"""Benchmark: vectorised contributions over 1,000,000 random employee-months.

Run: ``.venv/bin/python -m bench.bench_contribution`` (optionally ``--rows N --runs R --seed S``).
Prints every run and the median. Target (issue 4): ≤ 2 s for 1 million employee-months.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from ansinh.law.calculators.contribution_batch import contribution_batch
from ansinh.law.parameters import get_parameters


def random_employee_months(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Periods 2024-07 … 2026-12, regions 1–4, salaries from the region's minimum wage up to 120 million."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-07", "M")
    periods = start + rng.integers(0, 30, rows).astype("timedelta64[M]")
    regions = rng.integers(1, 5, rows)
    salaries = rng.integers(5_310_000, 120_000_000, rows)  # at least every region's minimum in every period
    return periods, salaries, regions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    params = get_parameters()  # loaded and validated once, outside the timing
    periods, salaries, regions = random_employee_months(args.rows, args.seed)
    timings = []
    total = 0
    for _ in range(args.runs):
        started = time.perf_counter()
        out = contribution_batch(params, periods, salaries, regions)
        timings.append(time.perf_counter() - started)
        total = int(np.asarray(out["total"]).sum())
    print(f"contribution_batch: {args.rows:,} employee-months, {args.runs} runs")
    print("runs (s): " + ", ".join(f"{t:.3f}" for t in timings))
    print(f"median (s): {statistics.median(timings):.3f}")
    print(f"check: sum of totals = {total:,} đồng")


if __name__ == "__main__":
    main()
