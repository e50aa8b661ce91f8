"""Planted abuse in the synthetic claims: one kind per review rule, plus the statistical patterns
(cost inflation, long stays, upcoding) of a few practitioners. Each plant keeps the episode's arithmetic
right (it must pass intake) and is labelled with the rule that should find it.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ansinh.claims import catalog
from ansinh.claims.synthdata import (
    DRUG_IDX,
    ICD_INDEX,
    ITEM_INDEX,
    MAX_PER_DAY,
    Refs,
    Skeleton,
    _lines_for,
    episode_totals,
    small_visit_threshold,
)
from ansinh.synth.context import SynthContext

SHARE = 0.0015
STAT_SHARE = 0.02


class Labels:
    def __init__(self) -> None:
        self.episode: list[np.ndarray] = []
        self.rule: list[np.ndarray] = []

    def add(self, episodes: np.ndarray, rule: str) -> None:
        self.episode.append(np.asarray(episodes, dtype=np.int64))
        self.rule.append(np.full(len(episodes), rule, dtype=object))

    def result(self) -> dict[str, np.ndarray]:
        if not self.episode:
            return {"episode": np.array([], dtype=np.int64), "rule": np.array([], dtype=object)}
        return {"episode": np.concatenate(self.episode), "rule": np.concatenate(self.rule)}


def _take(pool: list[int], rng: np.random.Generator, k: int, where: np.ndarray | None = None) -> np.ndarray:
    """Draw ``k`` episodes from ``pool`` (optionally only those where ``where`` holds) and remove them."""
    cand = np.array(pool, dtype=np.int64)
    if where is not None:
        cand = cand[where[cand]]
    chosen = rng.choice(cand, min(k, len(cand)), replace=False) if len(cand) else cand
    taken = set(chosen.tolist())
    pool[:] = [x for x in pool if x not in taken]
    return np.sort(chosen)


def _clone(sk: Skeleton, idx: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[idx].copy() for k, v in sk.e.items()}


def _stat_plants(sk: Skeleton, refs: Refs, rng: np.random.Generator, labels: Labels) -> np.ndarray:
    """Practitioners at hospitals who inflate costs, stretch stays or upcode; returns their episodes."""
    e = sk.e
    prac = e["prac"]
    hospital_prac = np.flatnonzero(refs.levels[refs.prac_facility] < 4)
    volume = np.bincount(prac, minlength=len(refs.prac_codes))
    busy = hospital_prac[volume[hospital_prac] >= 40]
    k = max(1, int(len(busy) * STAT_SHARE))
    chosen = rng.choice(busy, min(len(busy), 3 * k), replace=False)
    inflate, stretch, upcode = chosen[:k], chosen[k : 2 * k], chosen[2 * k : 3 * k]
    # S01: outpatient episodes of an inflating practitioner carry three extra services, and every drug
    # at its daily maximum (not above it: that is R06's plant).
    eps = np.flatnonzero(np.isin(prac, inflate) & (e["kind"] == 1))
    _lines_for_extra(sk, refs, rng, eps)
    drugs = np.flatnonzero(np.isin(sk.ln["ep"], eps) & np.isin(sk.ln["item"], DRUG_IDX))
    sk.ln["qty"][drugs] = MAX_PER_DAY[sk.ln["item"][drugs]]
    labels.add(eps, "S01")
    # S02: inpatient stays three times as long (admitted early enough to end within the month).
    eps = np.flatnonzero(np.isin(prac, stretch) & (e["kind"] == 3))
    day0 = e["admit"][eps].astype("datetime64[D]")
    month_end = (day0.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
    los = (e["discharge"][eps].astype("datetime64[D]") - day0).astype(int)
    new_los = np.minimum(3 * los + 2, 25)
    shift = np.maximum(0, (day0 + new_los - month_end).astype(int))
    e["admit"][eps] -= (shift * 1440).astype("timedelta64[m]")
    e["discharge"][eps] = e["admit"][eps] + (new_los * 1440).astype("timedelta64[m]")
    _relines(sk, refs, rng, eps)
    labels.add(eps, "S02")
    # S03: a high-severity variant for most of the ordinary codes.
    eps = np.flatnonzero(np.isin(prac, upcode))
    icd = e["icd"]
    up = np.zeros(len(eps), dtype=bool)
    for base, high in catalog.UPCODE.items():
        hit = (icd[eps] == ICD_INDEX[base]) & (rng.random(len(eps)) < 0.85)
        icd[eps[hit]] = ICD_INDEX[high]
        up |= hit
    labels.add(eps[up | np.isin(icd[eps], [ICD_INDEX[h] for h in catalog.UPCODE.values()])], "S03")
    return np.flatnonzero(np.isin(prac, chosen))


def _lines_for_extra(sk: Skeleton, refs: Refs, rng: np.random.Generator, eps: np.ndarray) -> None:
    mask = np.isin(sk.ln["ep"], eps)
    for k in sk.ln:
        sk.ln[k] = sk.ln[k][~mask]
    _lines_for(sk, refs, rng, eps, extra_tests=catalog.INFLATE)


def _relines(sk: Skeleton, refs: Refs, rng: np.random.Generator, eps: np.ndarray) -> None:
    mask = np.isin(sk.ln["ep"], eps)
    for k in sk.ln:
        sk.ln[k] = sk.ln[k][~mask]
    _lines_for(sk, refs, rng, eps)


def _first_line(sk: Skeleton, eps: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Index of the first line of each episode whose item is in ``items`` (-1 if none)."""
    ln = sk.ln
    idx = np.flatnonzero(np.isin(ln["ep"], eps) & np.isin(ln["item"], items))
    out = np.full(len(eps), -1)
    pos = {int(x): i for i, x in enumerate(eps)}
    for i in idx[::-1]:
        out[pos[int(ln["ep"][i])]] = i
    return out


def _card_validity(
    ctx: SynthContext, cards: np.ndarray, admit: np.ndarray, discharge: np.ndarray
) -> np.ndarray:
    """Whether a registry HI row with that card covers both dates."""
    parts = ctx.tables["participations"]
    hi = parts.filter(pc.equal(parts["scheme"], "hi"))
    probe = pa.table(
        {
            "hi_card_number": pa.array(list(cards), pa.string()),
            "k": pa.array(np.arange(len(cards)), pa.int64()),
            "a": pa.array(admit.astype("datetime64[D]"), pa.date32()),
            "d": pa.array(discharge.astype("datetime64[D]"), pa.date32()),
        }
    )
    joined = probe.join(hi.select(["hi_card_number", "valid_from", "valid_to"]), "hi_card_number")
    far = pa.scalar(date(9999, 12, 31), pa.date32())
    vt = pc.fill_null(joined["valid_to"], far)
    cover_a = pc.and_(pc.less_equal(joined["valid_from"], joined["a"]), pc.greater_equal(vt, joined["a"]))
    cover_d = pc.and_(pc.less_equal(joined["valid_from"], joined["d"]), pc.greater_equal(vt, joined["d"]))
    ok_a = np.zeros(len(cards), dtype=bool)
    ok_d = np.zeros(len(cards), dtype=bool)
    k = joined["k"].to_numpy()
    ok_a[k[cover_a.to_numpy(zero_copy_only=False)]] = True
    ok_d[k[cover_d.to_numpy(zero_copy_only=False)]] = True
    return ok_a & ok_d


def _hi_rows(ctx: SynthContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    parts = ctx.tables["participations"]
    hi = parts.filter(pc.equal(parts["scheme"], "hi"))
    person = hi["person_id"].to_numpy() - 1
    hi = hi.filter(pa.array(person < len(ctx.arrays["person_death"])))  # not the planted duplicates
    vt = pc.fill_null(hi["valid_to"], pa.scalar(date(9999, 12, 31), pa.date32()))
    return (
        hi["person_id"].to_numpy() - 1,
        np.array(hi["hi_card_number"].to_pylist(), dtype=object),
        np.asarray(vt.to_numpy(zero_copy_only=False)).astype("datetime64[D]"),
    )


def plant_all(ctx: SynthContext, refs: Refs, sk: Skeleton, rng: np.random.Generator) -> dict[str, np.ndarray]:
    labels = Labels()
    stat_eps = _stat_plants(sk, refs, rng, labels)
    e = sk.e
    n = sk.n
    k = max(3, int(n * SHARE))
    clean = np.ones(n, dtype=bool)
    clean[stat_eps] = False
    pool = [int(i) for i in np.flatnonzero(clean)]
    female = e["gender"] == 2
    # R01: the card does not match the person (birth date differs) …
    eps = _take(pool, rng, k)
    e["birth"][eps] = e["birth"][eps] - np.timedelta64(400, "D")
    labels.add(eps, "R01")
    # … or the card was no longer valid on the visit date (an earlier card of someone without one now).
    person, card, valid_to = _hi_rows(ctx)
    month_start = e["admit"].min().astype("datetime64[M]").astype("datetime64[D]")
    death = ctx.arrays["person_death"]
    current = set(person[valid_to >= month_start].tolist())
    old = np.flatnonzero((valid_to < month_start) & np.isnat(death[person]))
    old = old[~np.isin(person[old], list(current))]
    eps = _take(pool, rng, min(k, len(old)))
    if len(eps):
        pick = rng.choice(old, len(eps), replace=False)
        _assign_person(ctx, sk, eps, person[pick], card[pick])
        labels.add(eps, "R01")
    # R02: a patient who died before the visit, with the card they had.
    dead_rows = np.flatnonzero(
        ~np.isnat(death[person]) & (death[person] < month_start - np.timedelta64(30, "D"))
    )
    eps = _take(pool, rng, min(k, len(dead_rows)))
    if len(eps):
        pick = rng.choice(dead_rows, len(eps), replace=False)
        _assign_person(ctx, sk, eps, person[pick], card[pick])
        labels.add(eps, "R02")
        invalid = ~_card_validity(ctx, e["card"][eps], e["admit"][eps], e["discharge"][eps])
        labels.add(eps[invalid], "R01")
    # R03: the same card in a second hospital during an inpatient stay.
    long_stay = (e["kind"] == 3) & ((e["discharge"] - e["admit"]).astype(int) >= 2 * 1440)
    eps = _take(pool, rng, k, long_stay)
    rows = _clone(sk, eps)
    other = refs.hospitals[(np.searchsorted(refs.hospitals, rows["facility"]) + 1) % len(refs.hospitals)]
    rows["facility"] = other
    rows["admit"] = rows["admit"] + np.timedelta64(1440, "m")
    rows["prac"] = _prac_at(refs, rng, other)
    new = sk.add_episodes(rows)
    _lines_for(sk, refs, rng, new)
    labels.add(new, "R03")
    # R04: the examination charged twice on one day.
    eps = _take(pool, rng, k)
    lines = _first_line(sk, eps, np.array([ITEM_INDEX[catalog.EXAM]]))
    _dup_lines(sk, lines[lines >= 0])
    labels.add(eps[lines >= 0], "R04")
    # R05: a drug above the tendered price.
    eps = _take(pool, rng, k)
    lines = _first_line(sk, eps, DRUG_IDX)
    sk.ln["price_factor"][lines[lines >= 0]] = 1.3
    labels.add(eps[lines >= 0], "R05")
    # R06: a drug three times over its daily maximum.
    eps = _take(pool, rng, k)
    lines = _first_line(sk, eps, DRUG_IDX)
    lines = lines[lines >= 0]
    sk.ln["qty"][lines] = MAX_PER_DAY[sk.ln["item"][lines]] * 3
    labels.add(sk.ln["ep"][lines], "R06")
    # R07: a CT scan at a facility not licensed for it.
    unlicensed = refs.levels[e["facility"]] >= 3
    eps = _take(pool, rng, k, unlicensed)
    lines = _first_line(sk, eps, np.array([ITEM_INDEX[catalog.EXAM]]))
    lines = lines[lines >= 0]
    _dup_lines(sk, lines, item=ITEM_INDEX[catalog.CT_HEAD])
    labels.add(sk.ln["ep"][lines], "R07")
    # R08: a diagnosis of the other sex.
    eps = _take(pool, rng, k)
    e["icd"][eps] = np.where(female[eps], ICD_INDEX["N40"], ICD_INDEX["O80"])
    labels.add(eps, "R08")
    # R11: a practitioner billing in two facilities in the same hour.
    eps = _take(pool, rng, k)
    drug_lines = _first_line(sk, eps, DRUG_IDX)
    eps, drug_lines = eps[drug_lines >= 0], drug_lines[drug_lines >= 0]
    exam_lines = np.flatnonzero(sk.ln["item"] == ITEM_INDEX[catalog.EXAM])
    donor = rng.choice(exam_lines, len(eps), replace=False)
    away = e["facility"][sk.ln["ep"][donor]] != e["facility"][eps]
    eps, drug_lines, donor = eps[away], drug_lines[away], donor[away]
    sk.ln["prac"][drug_lines] = sk.ln["prac"][donor]
    sk.ln["performed"][drug_lines] = sk.ln["performed"][donor]
    labels.add(eps, "R11")
    # R12: outpatient visits far more often than the threshold.
    _frequent(ctx, sk, refs, rng, k, labels, pool)
    # R09 and R10 need the totals: choose among digit-4 cards above the small-visit threshold.
    total = episode_totals(sk, refs)
    rich = (total >= small_visit_threshold(e["admit"]) * 1.2) & (e["digit"] == 4)
    rich[n:] = False
    eps = _take(pool, rng, k, rich)
    e["r09"][eps] = True
    labels.add(eps, "R09")
    eps = _take(pool, rng, k, rich)
    e["r10"][eps] = True
    labels.add(eps, "R10")
    return labels.result()


def _prac_at(refs: Refs, rng: np.random.Generator, facilities: np.ndarray) -> np.ndarray:
    out = np.empty(len(facilities), dtype=np.int64)
    for i, f in enumerate(facilities):
        choices = np.flatnonzero(refs.prac_facility == f)
        out[i] = rng.choice(choices)
    return out


def _assign_person(
    ctx: SynthContext, sk: Skeleton, eps: np.ndarray, persons: np.ndarray, cards: np.ndarray
) -> None:
    e = sk.e
    e["person"][eps] = persons
    e["card"][eps] = cards
    e["digit"][eps] = [int(str(c)[2]) for c in cards]
    e["birth"][eps] = ctx.arrays["person_birth"][persons].astype("datetime64[D]")
    e["gender"][eps] = np.where(ctx.arrays["person_female"][persons], 2, 1)
    # an ordinary diagnosis, consistent with any sex and age
    e["icd"][eps] = ICD_INDEX["J06.9"]


def _dup_lines(sk: Skeleton, lines: np.ndarray, item: int | None = None) -> None:
    rows = {k: v[lines].copy() for k, v in sk.ln.items()}
    if item is not None:
        rows["item"][:] = item
    rows["seq_hint"] = rows["seq_hint"] + 0
    sk.add_lines(rows)


def _frequent(
    ctx: SynthContext,
    sk: Skeleton,
    refs: Refs,
    rng: np.random.Generator,
    k: int,
    labels: Labels,
    pool: list[int],
) -> None:
    e = sk.e
    base = _take_cards(sk, rng, max(1, k // 2), pool)
    rows_list = []
    for i in base:
        rows = _clone(sk, np.full(6, i))
        days = rng.choice(np.arange(1, 26), 6, replace=False)
        month0 = e["admit"][i].astype("datetime64[M]").astype("datetime64[m]")
        rows["admit"] = month0 + (days * 1440 + 8 * 60 + rng.integers(0, 480, 6)).astype("timedelta64[m]")
        rows["discharge"] = rows["admit"] + np.timedelta64(60, "m")
        rows["kind"][:] = 1
        rows["icd"][:] = ICD_INDEX["M54.5"]
        rows_list.append(rows)
    if not rows_list:
        return
    rows = {key: np.concatenate([r[key] for r in rows_list]) for key in rows_list[0]}
    new = sk.add_episodes(rows)
    _lines_for(sk, refs, rng, new)
    # label: every outpatient visit of those cards in that month beyond the threshold, in date order
    from ansinh.law.parameters import get_parameters

    limit = get_parameters().integer("claims_outpatient_visits_per_month", ctx.config.reference_date)
    cards = set(e["card"][base].tolist())
    # a set look-up per episode (np.isin on an object array compares every pair: hours for a year)
    held = np.fromiter((c in cards for c in e["card"]), dtype=bool, count=len(e["card"]))
    mask = held & (e["kind"] == 1)
    idx = np.flatnonzero(mask)
    month = e["admit"][idx].astype("datetime64[M]")
    order = np.lexsort((idx, e["admit"][idx], month, e["card"][idx].astype(str)))
    idx, month = idx[order], month[order]
    cards_sorted = e["card"][idx]
    group_start = np.r_[True, (cards_sorted[1:] != cards_sorted[:-1]) | (month[1:] != month[:-1])]
    starts = np.flatnonzero(group_start)
    counts = np.diff(np.r_[starts, len(idx)])
    rank = np.arange(len(idx)) - np.repeat(starts, counts) + 1
    labels.add(idx[rank > limit], "R12")


def _take_cards(sk: Skeleton, rng: np.random.Generator, k: int, pool: list[int]) -> np.ndarray:
    """Clean outpatient episodes of distinct cards, to copy for the frequent-visits plant."""
    e = sk.e
    cand = np.array(pool, dtype=np.int64)
    cand = cand[e["kind"][cand] == 1]
    _, first = np.unique(e["card"][cand].astype(str), return_index=True)
    cand = cand[first]
    chosen = rng.choice(cand, min(k, len(cand)), replace=False)
    taken = set(chosen.tolist())
    pool[:] = [x for x in pool if x not in taken]
    return np.asarray(chosen)
