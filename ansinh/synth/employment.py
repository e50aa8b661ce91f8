"""Employment spells: who works for which employer, from when to when, for what salary.

Produces the compulsory SI and UI participation rows (split where the salary changes: every January,
and when the regional minimum wage changes) and the employees' HI rows (one per employment spell).
Behaviour, not law: people leave work around retirement age, change jobs at about 1.1% a month and
two thirds of those who leave find another insured job after a short gap.
"""

from __future__ import annotations

import numpy as np

from ansinh.law.parameters import ParameterSet, get_parameters
from ansinh.synth.calendar import months_of, to_date
from ansinh.synth.context import SynthContext
from ansinh.synth.population import death_month

MONTHLY_QUIT_RATE = 0.011
REJOIN_SHARE = 0.65
#: Behavioural exit ages (years): when synthetic workers stop working, near the legal retirement age.
EXIT_AGE = {"male": 61.5, "female": 57.0}
#: Share of each age band (at the start) in insured employment.
EMPLOYED_BY_AGE = [(18, 0.24), (23, 0.41), (30, 0.43), (40, 0.37), (50, 0.27), (56, 0.16)]
SALARY_GROWTH = 1.045


def _age_at(ctx: SynthContext, month: np.ndarray | int) -> np.ndarray:
    return np.asarray(ctx.arrays["person_age"] - (ctx.config.end_month - np.asarray(month)) / 12.0)


def _employed_share(age: np.ndarray) -> np.ndarray:
    share = np.zeros(len(age))
    for lower, p in EMPLOYED_BY_AGE:
        share[age >= lower] = p
    return share


def _pick_employers(rng: np.random.Generator, ctx: SynthContext, start: np.ndarray) -> np.ndarray:
    """Employers by size; one that has stopped operating by ``start`` does not hire (redraw once)."""
    size = ctx.arrays["employer_size"]
    ends = ctx.arrays["employer_end_month"]
    emp = rng.choice(len(size), len(start), p=size)
    closed = ends[emp] <= start
    emp[closed] = rng.choice(len(size), closed.sum(), p=size)
    return emp


def generate_spells(ctx: SynthContext) -> None:
    """Employment spells as arrays: person index, employer index, first and last month (inclusive)."""
    cfg = ctx.config
    rng = ctx.rng("employment")
    n = len(ctx.arrays["person_age"])
    female = ctx.arrays["person_female"]
    age_start = _age_at(ctx, cfg.start_month)
    birth_m = months_of(ctx.arrays["person_birth"])
    exit_m = birth_m + np.round(np.where(female, EXIT_AGE["female"], EXIT_AGE["male"]) * 12).astype(np.int64)
    adult_m = birth_m + 18 * 12
    dies_m = death_month(ctx)
    alive_at_start = dies_m > cfg.start_month
    working_age = (age_start >= 18) & (cfg.start_month < exit_m) & alive_at_start
    stock = working_age & (rng.random(n) < _employed_share(age_start))
    # Entrants over the window: young people and returners who were not insured at the start.
    pool = np.flatnonzero(~stock & (dies_m > cfg.start_month) & (exit_m > cfg.start_month + 12))
    n_entrants = int(
        stock.sum() * (0.04 * cfg.months / 12 + (1 - REJOIN_SHARE) * MONTHLY_QUIT_RATE * cfg.months)
    )
    young = _age_at(ctx, cfg.end_month)[pool] < 40
    weights = np.where(young, 3.0, 1.0)
    entrants = rng.choice(pool, min(n_entrants, len(pool)), replace=False, p=weights / weights.sum())
    entry_m = np.maximum(cfg.start_month + rng.integers(0, cfg.months, len(entrants)), adult_m[entrants])

    initial = np.flatnonzero(stock)
    tenure = rng.geometric(1 / 70, len(initial))
    person = np.r_[initial, entrants]
    start = np.r_[np.maximum(cfg.start_month - tenure + 1, adult_m[initial]), entry_m]
    keep = start <= cfg.end_month
    person, start = person[keep], start[keep]
    out_p, out_e, out_s, out_t = [], [], [], []
    while len(person):
        employer = _pick_employers(rng, ctx, np.maximum(start, cfg.start_month))
        duration = rng.geometric(MONTHLY_QUIT_RATE, len(person))
        # A spell may start before the window (tenure); quitting is only simulated inside it.
        end = np.maximum(start, cfg.start_month - 1) + duration
        end = np.minimum.reduce(
            [end, exit_m[person] - 1, dies_m[person], ctx.arrays["employer_end_month"][employer] - 1]
        )
        ok = end >= start
        out_p.append(person[ok])
        out_e.append(employer[ok])
        out_s.append(start[ok])
        out_t.append(end[ok])
        quits = ok & (end < cfg.end_month) & (end < exit_m[person] - 1) & (end < dies_m[person])
        rejoin = quits & (rng.random(len(person)) < REJOIN_SHARE)
        person = person[rejoin]
        start = end[rejoin] + 1 + rng.geometric(0.35, rejoin.sum()) - 1
        keep = (start <= cfg.end_month) & (start < exit_m[person]) & (start < dies_m[person])
        person, start = person[keep], start[keep]
    ctx.arrays["spell_person"] = np.concatenate(out_p)
    ctx.arrays["spell_employer"] = np.concatenate(out_e)
    ctx.arrays["spell_start"] = np.concatenate(out_s)
    #: Last month of the spell; beyond the window means still employed (valid_to NULL).
    spell_end = np.concatenate(out_t)
    ctx.arrays["spell_end"] = np.where(spell_end >= cfg.end_month, cfg.end_month + 1000, spell_end)
    ctx.arrays["spell_wage_factor"] = np.maximum(1.0, rng.lognormal(0.3, 0.45, len(spell_end)))
    state = ctx.arrays["employer_kind"][ctx.arrays["spell_employer"]] == "state_agency"
    # Civil servants (công chức) are outside unemployment insurance.
    ctx.arrays["spell_civil_servant"] = state & (rng.random(len(spell_end)) < 0.75)


def salary_segments(ctx: SynthContext) -> dict[str, np.ndarray]:
    """Split spells where the salary changes (each 1 January; each minimum-wage change) and price each
    piece: regional minimum wage in force × the spell's wage factor × yearly growth, to the 1,000 đồng,
    never below the regional minimum wage (Labour Code 2019 Art. 90–91)."""
    cfg = ctx.config
    params = get_parameters()
    start, end = ctx.arrays["spell_start"], ctx.arrays["spell_end"]
    bounds = set(range(cfg.start_month - cfg.start_month % 12 + 12, cfg.end_month + 1, 12))
    for entry in params.history("regional_minimum_wage"):
        m = entry.valid_from.year * 12 + entry.valid_from.month - 1
        if cfg.start_month < m <= cfg.end_month:
            bounds.add(m)
    bnd = np.array(sorted(bounds), dtype=np.int64)
    lo = np.searchsorted(bnd, np.maximum(start, cfg.start_month), side="right")
    hi = np.searchsorted(bnd, np.minimum(end, cfg.end_month), side="right")
    nseg = 1 + hi - lo
    spell = np.repeat(np.arange(len(start)), nseg)
    j = np.arange(len(spell)) - np.repeat(np.cumsum(nseg) - nseg, nseg)
    seg_start = np.where(j == 0, start[spell], bnd[np.minimum(lo[spell] + j - 1, len(bnd) - 1)])
    last = j == nseg[spell] - 1
    seg_end = np.where(last, end[spell], bnd[np.minimum(lo[spell] + j, len(bnd) - 1)] - 1)
    price_month = np.maximum(seg_start, cfg.start_month)
    employer = ctx.arrays["spell_employer"][spell]
    region = np.where(
        price_month >= 2026 * 12,
        ctx.arrays["employer_region_2026"][employer],
        ctx.arrays["employer_region"][employer],
    )
    minimum = _minimum_wages(params, price_month, region)
    years = price_month // 12 - np.maximum(start[spell], cfg.start_month) // 12
    wage = minimum * ctx.arrays["spell_wage_factor"][spell] * SALARY_GROWTH**years
    salary = np.maximum(np.round(wage / 1000).astype(np.int64) * 1000, minimum)
    return {"spell": spell, "start": seg_start, "end": seg_end, "salary": salary}


def _minimum_wages(params: ParameterSet, months: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Regional minimum wage (lương tối thiểu vùng) in force on the first day of each month."""
    out = np.zeros(len(months), dtype=np.int64)
    for m in np.unique(months):
        table = params.value("regional_minimum_wage", to_date(int(m)))
        sel = months == m
        lookup = np.array([0] + [int(table[r]) for r in (1, 2, 3, 4)], dtype=np.int64)
        out[sel] = lookup[region[sel]]
    return out
