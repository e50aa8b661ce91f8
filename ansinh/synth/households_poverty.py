"""Poverty status of households by year (hộ nghèo / hộ cận nghèo), from the commune's annual review.

Rows are written for poor and near-poor households, and a ``none`` row in the year a household
leaves poverty (the review records the exit)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ansinh.synth.context import SynthContext

NONE, NEAR_POOR, POOR = 0, 1, 2
STATUS_NAMES = np.array(["none", "near_poor", "poor"], dtype=object)
#: Yearly transition probabilities from each status (rows) to none / near-poor / poor.
TRANSITIONS = np.array([[0.988, 0.009, 0.003], [0.35, 0.60, 0.05], [0.20, 0.30, 0.50]])
INITIAL = [0.925, 0.045, 0.030]


def years(ctx: SynthContext) -> list[int]:
    return list(range(ctx.config.start_month // 12, ctx.config.end_month // 12 + 1))


def generate_poverty(ctx: SynthContext) -> None:
    rng = ctx.rng("poverty")
    n = len(ctx.arrays["hh_size"])
    ys = years(ctx)
    status = np.zeros((len(ys), n), dtype=np.int8)
    status[0] = rng.choice(3, n, p=INITIAL)
    for i in range(1, len(ys)):
        u = rng.random(n)
        cum = np.cumsum(TRANSITIONS[status[i - 1]], axis=1)
        status[i] = (u[:, None] > cum).sum(axis=1)
    ctx.arrays["poverty_years"] = np.array(ys)
    ctx.arrays["poverty_status"] = status
    hh_ids, row_years, codes = [], [], []
    for i, y in enumerate(ys):
        exited = (status[i] == NONE) & (status[i - 1] != NONE) if i else np.zeros(n, bool)
        write = (status[i] != NONE) | exited
        hh_ids.append(np.flatnonzero(write) + 1)
        row_years.append(np.full(write.sum(), y, dtype=np.int16))
        codes.append(STATUS_NAMES[status[i][write]])
    ctx.tables["household_poverty"] = pa.table(
        {
            "household_id": np.concatenate(hh_ids).astype(np.int64),
            "year": pa.array(np.concatenate(row_years), pa.int16()),
            "status": pa.array(np.concatenate(codes).astype(str), pa.string()),
        }
    )


def person_status(ctx: SynthContext, year_index: int) -> np.ndarray:
    """Poverty status of each person's household in the year at ``year_index``."""
    return np.asarray(ctx.arrays["poverty_status"][year_index][ctx.arrays["person_hh"]])
