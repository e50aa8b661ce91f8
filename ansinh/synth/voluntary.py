"""Voluntary social insurance (BHXH tự nguyện): people outside employment who pay on a chosen
income, with the state support of their group; many stop paying after a while."""

from __future__ import annotations

import numpy as np

from ansinh.law.parameters import get_parameters
from ansinh.synth.calendar import to_date
from ansinh.synth.context import SynthContext
from ansinh.synth.households_poverty import NEAR_POOR, POOR
from ansinh.synth.population import death_month

MONTHLY_STOP_RATE = 0.018


def generate_voluntary(ctx: SynthContext) -> dict[str, np.ndarray]:
    cfg = ctx.config
    rng = ctx.rng("voluntary")
    params = get_parameters()
    n = len(ctx.arrays["person_age"])
    age_end = ctx.arrays["person_age"]
    ever_employed = np.zeros(n, bool)
    ever_employed[ctx.arrays["spell_person"]] = True
    candidates = np.flatnonzero(~ever_employed & (age_end >= 22) & (age_end < 58) & (rng.random(n) < 0.075))
    start = cfg.start_month - 24 + rng.integers(0, cfg.months + 24, len(candidates))
    end = start + rng.geometric(MONTHLY_STOP_RATE, len(candidates)) - 1
    dies = death_month(ctx)[candidates]
    end = np.minimum(end, dies)
    keep = (end >= start) & (end >= cfg.start_month)
    person, start, end = candidates[keep], start[keep], end[keep]
    end = np.where(end >= cfg.end_month, cfg.end_month + 1000, end)
    # Income: most choose the minimum (the rural poverty line); others a multiple, to 50,000 đồng.
    price_month = np.maximum(start, cfg.start_month)
    floor = np.zeros(len(start), dtype=np.int64)
    for m in np.unique(price_month):
        floor[price_month == m] = params.value("rural_poverty_line", to_date(int(m)))
    multiple = np.where(rng.random(len(person)) < 0.6, 1.0, rng.lognormal(0.6, 0.45, len(person)))
    income = np.maximum(np.round(floor * multiple / 50_000).astype(np.int64) * 50_000, floor)
    year_index = np.clip(
        np.maximum(start, cfg.start_month) // 12 - cfg.start_month // 12,
        0,
        len(ctx.arrays["poverty_years"]) - 1,
    )
    poverty = ctx.arrays["poverty_status"][year_index, ctx.arrays["person_hh"][person]]
    group = np.where(
        poverty == POOR,
        "poor",
        np.where(
            poverty == NEAR_POOR,
            "near_poor",
            np.where(ctx.arrays["person_ethnic_minority"][person], "ethnic_minority", "other"),
        ),
    )
    return {"person": person, "start": start, "end": end, "income": income, "group": group}
