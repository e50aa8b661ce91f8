"""Building blocks of the synthetic claims: reference lists and clean episodes as numpy arrays.

A :class:`Skeleton` holds episodes and lines as arrays (indexes into the catalogue and the facility
list); plants change it; :meth:`Skeleton.to_tables` prices the lines (HI price of the facility's level
for services, the facility's tendered price for drugs and supplies), sums them and applies the
co-payment rules (Law on HI Art. 22: benefit rate by card digit, 100% for a visit under 15% of the
base salary), giving the ``claim_episodes`` and ``claim_lines`` tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ansinh.claims import catalog
from ansinh.law.parameters import get_parameters
from ansinh.synth.context import SynthContext

ITEMS = [(s.code, "service") for s in catalog.SERVICES] + [
    (d.code, d.kind) for d in catalog.DRUGS + catalog.SUPPLIES
]
ITEM_CODES = np.array([c for c, _ in ITEMS], dtype=object)
ITEM_KIND = np.array([k for _, k in ITEMS], dtype=object)
ITEM_INDEX = {c: i for i, (c, _) in enumerate(ITEMS)}
N_SERVICES = len(catalog.SERVICES)
DRUG_IDX = np.array([ITEM_INDEX[d.code] for d in catalog.DRUGS])
SUPPLY_IDX = np.array([ITEM_INDEX[d.code] for d in catalog.SUPPLIES])
MAX_PER_DAY = np.array(
    [s.max_per_day or 0 for s in catalog.SERVICES] + [d.max_per_day for d in catalog.DRUGS + catalog.SUPPLIES]
)
ICD_CODES = np.array([c.code for c in catalog.ICD], dtype=object)
ICD_INDEX = {c.code: i for i, c in enumerate(catalog.ICD)}
RATE_BY_DIGIT = np.array([0, 100, 100, 95, 80, 100])
VALID_FROM = date(2023, 1, 1)


@dataclass
class Refs:
    codes: np.ndarray  # facility codes
    levels: np.ndarray  # facility level by index
    hospitals: np.ndarray  # indexes of hospitals
    tender: np.ndarray  # facility x item tendered price (drugs, supplies)
    prac_codes: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    prac_facility: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    tables: dict[str, pa.Table] = field(default_factory=dict)

    @property
    def level(self) -> dict[str, int]:
        return {str(c): int(v) for c, v in zip(self.codes, self.levels, strict=True)}


def _dates(n: int, value: date) -> pa.Array:
    return pa.array([value] * n, pa.date32())


def reference_tables(ctx: SynthContext, rng: np.random.Generator) -> Refs:
    """Facilities (hospitals: the first two provincial, the rest district; stations: commune level),
    licences, price lists, ICD list."""
    hospitals = list(ctx.arrays["hospital_code"])
    stations = list(ctx.arrays["station_code"])
    codes = np.array(hospitals + stations, dtype=object)
    levels = np.array([2 if i < 2 else 3 for i in range(len(hospitals))] + [4] * len(stations))
    n = len(codes)
    names = [f"{catalog.FACILITY_LEVELS[int(lv)]} {c}" for c, lv in zip(codes, levels, strict=True)]
    facilities = pa.table(
        {
            "id": pa.array(np.arange(1, n + 1), pa.int64()),
            "code": pa.array(list(codes), pa.string()),
            "name": pa.array(names, pa.string()),
            "level": pa.array(levels, pa.int16()),
            "province_code": pa.array([ctx.config.province] * n, pa.string()),
            "valid_from": _dates(n, VALID_FROM),
            "valid_to": pa.nulls(n, pa.date32()),
        }
    )
    lic_f, lic_s = [], []
    for i, lv in enumerate(levels):
        for s in catalog.SERVICES:
            if lv in s.levels:
                lic_f.append(codes[i])
                lic_s.append(s.code)
    m = len(lic_f)
    licences = pa.table(
        {
            "id": pa.array(np.arange(1, m + 1), pa.int64()),
            "facility_code": pa.array(lic_f, pa.string()),
            "service_code": pa.array(lic_s, pa.string()),
            "valid_from": _dates(m, VALID_FROM),
            "valid_to": pa.nulls(m, pa.date32()),
        }
    )
    sp = [(s, lv) for s in catalog.SERVICES for lv in (2, 3, 4)]
    services = pa.table(
        {
            "id": pa.array(np.arange(1, len(sp) + 1), pa.int64()),
            "service_code": pa.array([s.code for s, _ in sp], pa.string()),
            "name": pa.array([s.name for s, _ in sp], pa.string()),
            "facility_level": pa.array([lv for _, lv in sp], pa.int16()),
            "price": pa.array([s.prices[lv] for s, lv in sp], pa.int64()),
            "max_per_day": pa.array([s.max_per_day for s, _ in sp], pa.int32()),
            "valid_from": _dates(len(sp), VALID_FROM),
            "valid_to": pa.nulls(len(sp), pa.date32()),
        }
    )
    goods = catalog.DRUGS + catalog.SUPPLIES
    factor = rng.uniform(0.9, 1.15, (n, len(goods)))
    base = np.array([g.price for g in goods])
    tender_goods = np.maximum(1, np.round(base * factor)).astype(np.int64)
    tender = np.zeros((n, len(ITEMS)), dtype=np.int64)
    tender[:, N_SERVICES:] = tender_goods
    fi = np.repeat(np.arange(n), len(goods))
    gi = np.tile(np.arange(len(goods)), n)
    items = pa.table(
        {
            "id": pa.array(np.arange(1, len(fi) + 1), pa.int64()),
            "facility_code": pa.array(list(codes[fi]), pa.string()),
            "item_code": pa.array([goods[g].code for g in gi], pa.string()),
            "kind": pa.array([goods[g].kind for g in gi], pa.string()),
            "name": pa.array([goods[g].name for g in gi], pa.string()),
            "tender_price": pa.array(tender_goods.ravel(), pa.int64()),
            "max_per_day": pa.array([goods[g].max_per_day for g in gi], pa.int32()),
            "valid_from": _dates(len(fi), VALID_FROM),
            "valid_to": pa.nulls(len(fi), pa.date32()),
        }
    )
    icd = pa.table(
        {
            "code": pa.array([c.code for c in catalog.ICD], pa.string()),
            "name": pa.array([c.name for c in catalog.ICD], pa.string()),
            "chapter": pa.array([c.code[0] for c in catalog.ICD], pa.string()),
            "sex": pa.array([c.sex for c in catalog.ICD], pa.string()),
            "min_age": pa.array([c.min_age for c in catalog.ICD], pa.int16()),
            "max_age": pa.array([c.max_age for c in catalog.ICD], pa.int16()),
            "high_severity": pa.array([c.high_severity for c in catalog.ICD], pa.bool_()),
        }
    )
    refs = Refs(codes=codes, levels=levels, hospitals=np.arange(len(hospitals)), tender=tender)
    refs.tables = {
        "claim_facilities": facilities,
        "claim_licences": licences,
        "claim_service_prices": services,
        "claim_item_prices": items,
        "claim_icd": icd,
    }
    return refs


@dataclass
class Skeleton:
    """Episodes and lines as arrays, before pricing."""

    e: dict[str, np.ndarray]
    ln: dict[str, np.ndarray]
    year_end: date
    threshold: int

    @property
    def n(self) -> int:
        return len(self.e["person"])

    def add_episodes(self, rows: dict[str, np.ndarray]) -> np.ndarray:
        start = self.n
        for k in self.e:
            self.e[k] = np.concatenate([self.e[k], rows[k]])
        return np.arange(start, self.n)

    def add_lines(self, rows: dict[str, np.ndarray]) -> None:
        for k in self.ln:
            self.ln[k] = np.concatenate([self.ln[k], rows[k]])

    def to_tables(self, refs: Refs) -> tuple[pa.Table, pa.Table]:
        e = self.e
        order = np.lexsort((self.ln["seq_hint"], self.ln["ep"]))
        ln = {k: v[order] for k, v in self.ln.items()}
        item = ln["item"]
        price = line_prices(self.e, ln, refs)
        qty = ln["qty"]
        amount = qty * price
        total = np.zeros(self.n, dtype=np.int64)
        np.add.at(total, ln["ep"], amount)
        rate = RATE_BY_DIGIT[e["digit"]]
        rate = np.where(e["r09"], 100, rate)
        threshold = small_visit_threshold(e["admit"])
        fund = np.where(total < threshold, total, (total * rate + 50) // 100)
        fund = np.where(e["r09"] | e["r10"], total, fund)
        copay = total - fund
        seq = np.ones(len(item), dtype=np.int64)
        starts = np.r_[0, np.flatnonzero(np.diff(ln["ep"])) + 1]
        counts = np.diff(np.r_[starts, len(item)])
        seq = np.arange(len(item)) - np.repeat(starts, counts) + 1
        prac = refs.prac_codes
        admit = e["admit"]
        disch = e["discharge"]
        ids = np.arange(1, self.n + 1)
        ma_lk = np.char.add("LK", np.char.zfill(ids.astype(str), 9))
        days = np.where(
            e["kind"] == 3, (disch.astype("datetime64[D]") - admit.astype("datetime64[D]")).astype(int), 0
        )
        episodes = pa.table(
            {
                "id": pa.array(ids, pa.int64()),
                "file_id": pa.array(np.ones(self.n, dtype=np.int64), pa.int64()),
                "facility_code": _decode(e["facility"], list(refs.codes)),
                "ma_lk": pa.array(ma_lk, pa.string()),
                "version": pa.array(np.ones(self.n), pa.int16()),
                "superseded": pa.array(np.zeros(self.n, dtype=bool), pa.bool_()),
                "content_hash": pa.array(ma_lk, pa.string()),
                "patient_name": pa.array(list(e["name"]), pa.string()),
                "birth_date": pa.array(e["birth"], pa.date32()),
                "gender": pa.array(e["gender"], pa.int16()),
                "card_number": pa.array(list(e["card"]), pa.string()),
                "card_from": pa.array(e["card_from"], pa.date32()),
                "card_to": pa.array(e["card_to"], pa.date32()),
                "icd_main": _decode(e["icd"], list(ICD_CODES)),
                "icd_other": pa.nulls(self.n, pa.string()),
                "kind": pa.array(np.where(e["kind"] == 3, "03", "01"), pa.string()),
                "admitted_at": pa.array(admit.astype("datetime64[us]"), pa.timestamp("us")),
                "discharged_at": pa.array(disch.astype("datetime64[us]"), pa.timestamp("us")),
                "treatment_days": pa.array(days, pa.int16()),
                "benefit_rate": pa.array(rate, pa.int16()),
                "practitioner": _decode(e["prac"], list(prac)),
                "total_hospital": pa.array(total, pa.int64()),
                "total_hi": pa.array(total, pa.int64()),
                "patient_copay": pa.array(copay, pa.int64()),
                "patient_self": pa.array(np.zeros(self.n, dtype=np.int64), pa.int64()),
                "fund_claimed": pa.array(fund, pa.int64()),
                "settle_year": pa.array(disch.astype("datetime64[Y]").astype(int) + 1970, pa.int16()),
                "settle_month": pa.array(disch.astype("datetime64[M]").astype(int) % 12 + 1, pa.int16()),
            }
        )
        # codes through dictionaries (no Python string per line: a year has tens of millions of lines)
        kind_of = np.array([{"service": 0, "drug": 1, "supply": 2}[k] for k in ITEM_KIND], dtype=np.int32)
        k = kind_of[item]
        lines = pa.table(
            {
                "id": pa.array(np.arange(1, len(item) + 1), pa.int64()),
                "episode_id": pa.array(ln["ep"] + 1, pa.int64()),
                "source": _decode(np.where(k == 1, 0, 1), ["XML2", "XML3"]),
                "seq": pa.array(seq, pa.int32()),
                "item_code": _decode(item, list(ITEM_CODES)),
                "kind": _decode(k, ["service", "drug", "supply"]),
                "group_code": _decode(k, ["1", "4", "10"]),
                "quantity_milli": pa.array(qty * 1000, pa.int64()),
                "unit_price_milli": pa.array(price * 1000, pa.int64()),
                "payment_rate": pa.array(np.full(len(item), 100), pa.int16()),
                "amount_hospital": pa.array(amount, pa.int64()),
                "amount_hi": pa.array(amount, pa.int64()),
                "practitioner": _decode(ln["prac"], list(prac)),
                "ordered_on": pa.array(ln["day"], pa.date32()),
                "performed_at": pa.array(ln["performed"].astype("datetime64[us]"), pa.timestamp("us")),
            }
        )
        return episodes, lines


def small_visit_threshold(admitted: np.ndarray) -> np.ndarray:
    """15% of the base salary on each admission date (Law on HI Art. 22.1(e)): the base salary changes
    within a year of claims (2,340,000 → 2,530,000 đồng on 1 July 2026)."""
    params = get_parameters()
    starts = sorted(
        {e.valid_from for e in params.history("reference_level")}
        | {e.valid_from for e in params.history("hi_small_visit_share")}
    )
    starts = [d for d in starts if d >= date(2015, 1, 1)]  # both in force (as the review's table)
    share = [params.rate("hi_small_visit_share", d) * params.dong("reference_level", d) for d in starts]
    values = np.array([int(v.to_integral_value()) for v in share], dtype=np.int64)
    day = admitted.astype("datetime64[D]")
    at = np.searchsorted(np.array(starts, dtype="datetime64[D]"), day, side="right") - 1
    return values[np.maximum(at, 0)]


def _decode(indices: np.ndarray, values: list[Any]) -> pa.Array:
    """``values[indices]`` as a plain string array, through an Arrow dictionary."""
    dictionary = pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(indices, dtype=np.int32)), pa.array([str(v) for v in values], pa.string())
    )
    return dictionary.dictionary_decode()


def line_prices(e: dict[str, np.ndarray], ln: dict[str, np.ndarray], refs: Refs) -> np.ndarray:
    """Unit price of each line: the HI price at the facility's level (services), the facility's tendered
    price (drugs, supplies), times the line's planted price factor (1 when clean)."""
    fac = e["facility"][ln["ep"]]
    level = refs.levels[fac]
    item = ln["item"]
    service_price = np.zeros(len(item), dtype=np.int64)
    for i, s in enumerate(catalog.SERVICES):
        for lv in (2, 3, 4):
            service_price[(item == i) & (level == lv)] = s.prices[lv]
    price = np.where(item < N_SERVICES, service_price, refs.tender[fac, item])
    return np.asarray(np.round(price * ln["price_factor"]).astype(np.int64))


def episode_totals(sk: Skeleton, refs: Refs) -> np.ndarray:
    total = np.zeros(sk.n, dtype=np.int64)
    np.add.at(total, sk.ln["ep"], sk.ln["qty"] * line_prices(sk.e, sk.ln, refs))
    return total


def _month_start(month: int) -> np.datetime64:
    return np.datetime64(f"{month // 12:04d}-{month % 12 + 1:02d}-01")


def _cards(ctx: SynthContext, start: np.datetime64, end: np.datetime64) -> dict[str, np.ndarray]:
    """One HI card per living person, valid for the whole month."""
    parts = ctx.tables["participations"]
    hi = parts.filter(pc.equal(parts["scheme"], "hi"))
    vf = hi["valid_from"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    vt_raw = hi["valid_to"]
    vt = np.asarray(
        pc.fill_null(vt_raw, pa.scalar(date(9999, 12, 31), pa.date32())).to_numpy(zero_copy_only=False)
    ).astype("datetime64[D]")
    person = hi["person_id"].to_numpy() - 1
    real = person < len(ctx.arrays["person_death"])  # planted duplicate records have no arrays
    death = ctx.arrays["person_death"][np.where(real, person, 0)]
    ok = real & (vf <= start) & (vt >= end) & (np.isnat(death) | (death > end))
    idx = np.flatnonzero(ok)
    _, first = np.unique(person[idx], return_index=True)
    idx = idx[first]
    cards = np.array(hi["hi_card_number"].to_pylist(), dtype=object)[idx]
    facility = np.array(hi["hi_facility"].to_pylist(), dtype=object)[idx]
    return {"person": person[idx], "card": cards, "from": vf[idx], "to": vt[idx], "facility": facility}


def _lines_for(
    sk: Skeleton, refs: Refs, rng: np.random.Generator, eps: np.ndarray, extra_tests: list[str] | None = None
) -> None:
    """Lines of the given (new) episodes: examination, tests, bed-days, surgery, drugs, supplies."""
    e = sk.e
    n = len(eps)
    if not n:
        return
    level = refs.levels[e["facility"][eps]]
    admit = e["admit"][eps]
    day0 = admit.astype("datetime64[D]")
    inpatient = e["kind"][eps] == 3
    los = np.maximum(1, (e["discharge"][eps].astype("datetime64[D]") - day0).astype(int))
    prac = e["prac"][eps]
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("ep", "item", "qty", "day", "performed", "prac")}

    def put(
        sel: np.ndarray, item: np.ndarray, qty: np.ndarray, offset_days: np.ndarray, minutes: np.ndarray
    ) -> None:
        out["ep"].append(eps[sel])
        out["item"].append(item)
        out["qty"].append(qty)
        day = day0[sel] + offset_days.astype("timedelta64[D]")
        out["day"].append(day)
        out["performed"].append(admit[sel] + (offset_days * 1440 + minutes).astype("timedelta64[m]"))
        out["prac"].append(prac[sel])

    allsel = np.arange(n)
    zero = np.zeros(n, dtype=np.int64)
    put(allsel, np.full(n, ITEM_INDEX[catalog.EXAM]), np.ones(n, dtype=np.int64), zero, np.full(n, 5))
    # tests: up to three distinct ones from the level's list (or the inflating practitioner's extras)
    for lv in () if extra_tests else (2, 3, 4):
        at = np.flatnonzero(level == lv)
        if not len(at):
            continue
        options = np.array([ITEM_INDEX[c] for c in catalog.TESTS[lv]])
        k = rng.binomial(3, 0.45, len(at))
        order = np.argsort(rng.random((len(at), len(options))), axis=1)
        for j in (1, 2, 3):
            sel = at[k >= j]
            pk = order[k >= j, j - 1]
            put(
                sel,
                options[pk],
                np.ones(len(sel), dtype=np.int64),
                np.zeros(len(sel), dtype=np.int64),
                np.full(len(sel), 20 + 10 * j),
            )
    if extra_tests:
        for code in extra_tests:
            put(allsel, np.full(n, ITEM_INDEX[code]), np.ones(n, dtype=np.int64), zero, np.full(n, 60))
    ip = np.flatnonzero(inpatient)
    put(
        ip,
        np.full(len(ip), ITEM_INDEX[catalog.BED_DAY]),
        los[ip],
        np.zeros(len(ip), dtype=np.int64),
        np.full(len(ip), 90),
    )
    surg = np.flatnonzero(inpatient & (e["icd"][eps] == ICD_INDEX["K35.8"]) & (level == 2))
    put(
        surg,
        np.full(len(surg), ITEM_INDEX[catalog.SURGERY]),
        np.ones(len(surg), dtype=np.int64),
        np.zeros(len(surg), dtype=np.int64),
        np.full(len(surg), 180),
    )
    # drugs: 2..7 distinct, each on a day of the stay, within the daily maximum
    ndrug = 2 + rng.binomial(5, 0.5, n)
    perm = np.argsort(rng.random((n, len(DRUG_IDX))), axis=1)
    for j in range(7):
        sel = np.flatnonzero(ndrug > j)
        item = DRUG_IDX[perm[sel, j]]
        qty = 1 + (rng.random(len(sel)) * MAX_PER_DAY[item]).astype(np.int64)
        qty = np.minimum(qty, MAX_PER_DAY[item])
        off = (rng.random(len(sel)) * los[sel]).astype(np.int64) * inpatient[sel]
        put(sel, item, qty, off, np.full(len(sel), 120 + j))
    # supplies: two distinct for a stay, one for about half of the visits (syringe, gloves, infusion set)
    sup_order = np.argsort(rng.random((n, len(SUPPLY_IDX))), axis=1)
    one = np.flatnonzero(inpatient | (rng.random(n) < 0.5))
    for j, sel in enumerate((one, ip)):
        put(
            sel,
            SUPPLY_IDX[sup_order[sel, j]],
            np.ones(len(sel), dtype=np.int64),
            np.zeros(len(sel), dtype=np.int64),
            np.full(len(sel), 150 + j),
        )
    rows = {k: np.concatenate(v) for k, v in out.items()}
    m = len(rows["ep"])
    rows["price_factor"] = np.ones(m)
    rows["seq_hint"] = np.arange(len(sk.ln["ep"]), len(sk.ln["ep"]) + m)
    sk.add_lines(rows)


def _icd(
    rng: np.random.Generator, n: int, female: np.ndarray, age: np.ndarray, inpatient: np.ndarray
) -> np.ndarray:
    weights = np.array([c.weight for c in catalog.ICD])
    icd = rng.choice(len(catalog.ICD), n, p=weights / weights.sum())
    adult_only = np.isin(icd, [ICD_INDEX[c] for c in ("I10", "E11.9")]) & (age < 18)
    icd[adult_only] = ICD_INDEX["J06.9"]
    special = rng.random(n)
    icd[inpatient & (special < 0.10)] = ICD_INDEX["K35.8"]
    icd[inpatient & female & (age >= 18) & (age <= 45) & (special > 0.85)] = ICD_INDEX["O80"]
    icd[~female & (age >= 50) & (special > 0.97)] = ICD_INDEX["N40"]
    icd[~inpatient & female & (age >= 18) & (special < 0.02)] = ICD_INDEX["N76.0"]
    # ordinary severity mix: a few high-severity variants
    for base, high in catalog.UPCODE.items():
        hit = (icd == ICD_INDEX[base]) & (rng.random(n) < 0.05)
        icd[hit] = ICD_INDEX[high]
    return icd


def build_episodes(ctx: SynthContext, refs: Refs, rng: np.random.Generator, months: int) -> Skeleton:
    """Clean episodes of the last ``months`` months: at most two per card and month, at most one of
    them inpatient, discharged within the month while the card is valid."""
    cfg = ctx.config
    params = get_parameters()
    ref_date = cfg.reference_date
    threshold = int(
        (
            params.rate("hi_small_visit_share", ref_date) * params.dong("reference_level", ref_date)
        ).to_integral_value()
    )
    keys = (
        "person",
        "card",
        "digit",
        "birth",
        "gender",
        "name",
        "facility",
        "kind",
        "admit",
        "discharge",
        "icd",
        "prac",
        "card_from",
        "card_to",
        "r09",
        "r10",
    )
    e: dict[str, Any] = {k: [] for k in keys}
    fac_index = {str(c): i for i, c in enumerate(refs.codes)}
    birth_all = ctx.arrays["person_birth"]
    female_all = ctx.arrays["person_female"]
    names_all = ctx.tables["persons"]["full_name"]
    for month in range(cfg.end_month - months + 1, cfg.end_month + 1):
        start = _month_start(month)
        end = _month_start(month + 1) - np.timedelta64(1, "D")
        ndays = int((end - start).astype(int)) + 1
        cards = _cards(ctx, start, end)
        p = cards["person"]
        age = ((start - birth_all[p]).astype(int) / 365.25).astype(int)
        lam = 0.30 * np.where(age >= 60, 2.0, np.where(age < 6, 1.6, 1.0))
        count = np.minimum(rng.poisson(lam), 2)
        which = np.repeat(np.arange(len(p)), count)
        n = len(which)
        pp = p[which]
        reg = np.array([fac_index.get(str(f), -1) for f in cards["facility"][which]])
        hospital = refs.hospitals[rng.integers(0, len(refs.hospitals), n)]
        at_home = (rng.random(n) < 0.55) & (reg >= 0)
        fac = np.where(at_home, reg, hospital)
        is_hospital = refs.levels[fac] < 4
        inpatient = is_hospital & (rng.random(n) < 0.17)
        # at most one inpatient stay per card and month: the second episode is outpatient
        second = np.r_[False, which[1:] == which[:-1]]
        inpatient &= ~second
        day = rng.integers(0, ndays, n)
        los = np.where(inpatient, 1 + rng.geometric(0.28, n), 0)
        day = np.where(inpatient, np.minimum(day, np.maximum(0, ndays - 1 - los)), day)
        los = np.where(inpatient, np.minimum(los, ndays - 1 - day), 0)
        inpatient &= los >= 1
        admit = start.astype("datetime64[m]") + (day * 1440 + 7 * 60 + rng.integers(0, 540, n)).astype(
            "timedelta64[m]"
        )
        discharge = admit + np.where(inpatient, los * 1440, 30 + rng.integers(0, 180, n)).astype(
            "timedelta64[m]"
        )
        female = female_all[pp]
        icd = _icd(rng, n, female, age[which], inpatient)
        digit = np.array([int(str(c)[2]) for c in cards["card"][which]])
        e["person"].append(pp)
        e["card"].append(cards["card"][which])
        e["digit"].append(digit)
        e["birth"].append(birth_all[pp].astype("datetime64[D]"))
        e["gender"].append(np.where(female, 2, 1))
        e["name"].append(np.array(names_all.take(pa.array(pp)).to_pylist(), dtype=object))
        e["facility"].append(fac)
        e["kind"].append(np.where(inpatient, 3, 1))
        e["admit"].append(admit)
        e["discharge"].append(discharge)
        e["icd"].append(icd)
        e["prac"].append(np.zeros(n, dtype=np.int64))
        e["card_from"].append(cards["from"][which])
        card_to = cards["to"][which]
        year_end = (start.astype("datetime64[Y]") + 1).astype("datetime64[D]") - 1
        e["card_to"].append(np.where(card_to > np.datetime64("9000-01-01"), year_end, card_to))
        e["r09"].append(np.zeros(n, dtype=bool))
        e["r10"].append(np.zeros(n, dtype=bool))
    arrays = {k: np.concatenate(v) for k, v in e.items()}
    _practitioners(ctx, refs, rng, arrays, months)
    sk = Skeleton(
        e=arrays,
        ln={
            k: np.array([], dtype=t)
            for k, t in (
                ("ep", np.int64),
                ("item", np.int64),
                ("qty", np.int64),
                ("day", "datetime64[D]"),
                ("performed", "datetime64[m]"),
                ("prac", np.int64),
                ("price_factor", np.float64),
                ("seq_hint", np.int64),
            )
        },
        year_end=date(cfg.reference_date.year, 12, 31),
        threshold=threshold,
    )
    _lines_for(sk, refs, rng, np.arange(sk.n))
    return sk


def _practitioners(
    ctx: SynthContext, refs: Refs, rng: np.random.Generator, e: dict[str, np.ndarray], months: int
) -> None:
    """About one practitioner per 120 episodes a month at each facility (at least two)."""
    fac = e["facility"]
    per = np.bincount(fac, minlength=len(refs.codes))
    count = np.maximum(2, per // (120 * months))
    first = np.r_[0, np.cumsum(count)[:-1]]
    total = int(count.sum())
    refs.prac_facility = np.repeat(np.arange(len(refs.codes)), count)
    refs.prac_codes = np.array(
        [f"{i + 1:06d}/{ctx.config.province}-CCHN" for i in range(total)], dtype=object
    )
    e["prac"] = first[fac] + (rng.random(len(fac)) * count[fac]).astype(np.int64)
    refs.tables["claim_practitioners"] = pa.table(
        {
            "id": pa.array(np.arange(1, total + 1), pa.int64()),
            "code": pa.array(list(refs.prac_codes), pa.string()),
            "name": pa.array([f"Bác sĩ {i + 1}" for i in range(total)], pa.string()),
            "facility_code": pa.array(list(refs.codes[refs.prac_facility]), pa.string()),
            "valid_from": _dates(total, VALID_FROM),
            "valid_to": pa.nulls(total, pa.date32()),
        }
    )
    # annual allocations: about the expected yearly spending of each facility
    yearly = (
        per / months * 12 * np.where(refs.levels == 4, 150_000, np.where(refs.levels == 3, 420_000, 650_000))
    )
    year = ctx.config.reference_date.year
    refs.tables["claim_allocations"] = pa.table(
        {
            "id": pa.array(np.arange(1, len(refs.codes) + 1), pa.int64()),
            "facility_code": pa.array(list(refs.codes), pa.string()),
            "year": pa.array(np.full(len(refs.codes), year), pa.int16()),
            "amount": pa.array(np.round(yearly / 1e6).astype(np.int64) * 1_000_000, pa.int64()),
        }
    )
