"""Health insurance of people outside employment, year by year, merged into spells.

Participant groups (mã đối tượng, Law on HI Art. 12 as amended; Decree 188/2025) in priority order:
TE children under 6, HT pensioners, HN poor households, BT social-assistance recipients aged 75+,
CN near-poor households, HS pupils, SV students, GD household participants. Employees get DN/HC
cards from their employment spells (see employment.py) and are skipped here in the years they work.
"""

from __future__ import annotations

import numpy as np

from ansinh.synth.context import SynthContext
from ansinh.synth.households_poverty import NEAR_POOR, POOR, person_status, years

#: Share of each group that holds a card in a year (behaviour). The benefit-level digit of each group
#: is law: parameter ``hi_group_benefit_level`` (Law on HI Art. 22; QĐ 1351/QĐ-BHXH).
GROUPS = {
    "TE": 0.99,
    "HT": 1.0,
    "HN": 1.0,
    "BT": 0.97,
    "CN": 0.92,
    "HS": 0.97,
    "SV": 0.90,
    "GD": 1.0,
    "DN": 1.0,
    "HC": 1.0,
}
GROUP_CODES = list(GROUPS)
HOUSEHOLD_HI_SHARE = 0.90
PERSON_HI_SHARE = 0.96


def _facilities(ctx: SynthContext, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each person's registered facility (nơi ĐKKCB ban đầu): the commune station or a hospital."""
    n = len(ctx.arrays["person_age"])
    stations = ctx.arrays["station_code"]
    hospitals = ctx.arrays["hospital_code"]
    codes = np.r_[stations, hospitals]
    commune = ctx.arrays["hh_commune"][ctx.arrays["person_hh"]]
    at_hospital = rng.random(n) < 0.4
    return np.where(at_hospital, len(stations) + rng.integers(0, len(hospitals), n), commune), codes


def employed_years(ctx: SynthContext, ys: list[int]) -> np.ndarray:
    n = len(ctx.arrays["person_age"])
    out = np.zeros((len(ys), n), dtype=bool)
    for i, y in enumerate(ys):
        overlap = (ctx.arrays["spell_start"] <= y * 12 + 11) & (ctx.arrays["spell_end"] >= y * 12)
        out[i, ctx.arrays["spell_person"][overlap]] = True
    return out


def generate_health(ctx: SynthContext) -> dict[str, np.ndarray]:
    """Person-year HI holdings outside employment, as arrays (person, year, group, facility)."""
    rng = ctx.rng("health")
    n = len(ctx.arrays["person_age"])
    ys = years(ctx)
    facility, codes = _facilities(ctx, rng)
    ctx.arrays["facility_codes"] = codes
    ctx.arrays["person_facility"] = facility
    female = ctx.arrays["person_female"]
    birth_y = ctx.arrays["person_birth"].astype("datetime64[Y]").astype(np.int64) + 1970
    death = ctx.arrays["person_death"]
    death_y = np.where(np.isnat(death), 9999, death.astype("datetime64[Y]").astype(np.int64) + 1970)
    pensioner = (ctx.arrays["person_age"] >= np.where(female, 57, 61.5)) & (rng.random(n) < 0.42)
    student = rng.random(n) < 0.35
    hh_takes_hi = (rng.random(len(ctx.arrays["hh_size"])) < HOUSEHOLD_HI_SHARE)[ctx.arrays["person_hh"]]
    person_takes_hi = hh_takes_hi & (rng.random(n) < PERSON_HI_SHARE)
    working = employed_years(ctx, ys)
    moved_before = ctx.arrays["hh_move_year"][ctx.arrays["person_hh"]]
    prev_station = ctx.arrays["hh_prev_commune"][ctx.arrays["person_hh"]]
    at_station = facility < len(ctx.arrays["station_code"])
    out_p, out_y, out_g, out_f = [], [], [], []
    for i, y in enumerate(ys):
        age = y - birth_y
        poverty = person_status(ctx, i)
        group = np.full(n, -1, dtype=np.int64)
        rules = [
            ("GD", person_takes_hi),
            ("SV", (age >= 18) & (age < 23) & student),
            ("HS", (age >= 6) & (age < 18)),
            ("CN", poverty == NEAR_POOR),
            ("BT", age >= 75),
            ("HN", poverty == POOR),
            ("HT", pensioner & (age >= 60)),
            ("TE", age < 6),
        ]
        for code, mask in rules:  # later rules take priority
            group[mask] = GROUP_CODES.index(code)
        share = np.array([GROUPS[c] for c in GROUP_CODES])
        held = (group >= 0) & ~working[i] & (age >= 0) & (y <= death_y)
        held &= rng.random(n) < share[np.maximum(group, 0)]
        idx = np.flatnonzero(held)
        # A household that moved later was registered at its old commune's station before the move.
        fac = np.where(at_station & (y < moved_before), prev_station, facility)
        out_p.append(idx)
        out_y.append(np.full(len(idx), y))
        out_g.append(group[idx])
        out_f.append(fac[idx])
    return {
        "person": np.concatenate(out_p),
        "year": np.concatenate(out_y),
        "group": np.concatenate(out_g),
        "facility": np.concatenate(out_f),
    }


def merge_years(held: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Consecutive years of one person in one group at one facility become one spell."""
    order = np.lexsort((held["year"], held["person"]))
    p, y, g, f = (held[k][order] for k in ("person", "year", "group", "facility"))
    new = np.r_[True, (p[1:] != p[:-1]) | (y[1:] != y[:-1] + 1) | (g[1:] != g[:-1]) | (f[1:] != f[:-1])]
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], len(p)] - 1
    return {
        "person": p[starts],
        "group": g[starts],
        "facility": f[starts],
        "first_year": y[starts],
        "last_year": y[ends],
    }


def death_or(ctx: SynthContext, person: np.ndarray, last_day: np.ndarray) -> np.ndarray:
    """The spell's last day, cut at the person's death."""
    death = ctx.arrays["person_death"][person]
    return np.where(~np.isnat(death) & (death < last_day), death, last_day).astype("datetime64[D]")
