"""The indicator batch: every coverage indicator, for every commune and the province, month by month.

Facts are read into Arrow (:func:`ansinh.coverage.service.read_facts`, through
:mod:`ansinh.core.arrow_io`) and computed by :func:`compute`: the stocks with numpy (below), the
ledger and benefit figures as Ibis expressions on DuckDB; the same function runs on the synthetic
province's tables in memory (:mod:`ansinh.coverage.synth`). Definitions:
:mod:`ansinh.coverage.definitions`.

How stocks are counted without expanding person × month (1.3M people × 36 months): each spell of a
person becomes the months ``[a, b]`` in which it is in force on the month's last day — ``a`` =
month of ``valid_from``, ``b`` = month of (``valid_to`` + 1 day) − 1 — written as a bit mask over
the window (bit 0 = the month before it). The masks of one person are OR-ed per series (si, vsi,
si∪vsi, ui, hi, benefit, elderly) by a scatter into arrays indexed by person, so a person with
overlapping or consecutive spells counts once, then cut at the month before death. Per commune,
only each person's changes are counted — new participants at bit k and not bit k − 1,
participants lost at bit k − 1 and not bit k — and the stock of month k is the stock of the month
before the window plus the new minus the lost up to k. The stocks were Ibis (a hash aggregate
of the spells per person) until the 1.3M-person province needed the CPU second it cost; the scatter
has no Spark equivalent as such, but the Ibis version (git history) does. (tests/unit/
test_coverage_stocks.py checks every series against a person-by-person, month-by-month count;
tests/unit/test_coverage_synth.py against a plain count of the spells in force.)

People past retirement age: the month the age is reached comes from the retirement-age calculator
(Labour Code 2019 Art. 169; Decree 135/2020/NĐ-CP), evaluated once per distinct gender × birth
month and joined. Debt ratio: :mod:`ansinh.ledger.debt_ratio` (the ledger's own variant) for the
province; for communes the same numerator (open past the deadline, Law 41/2024/QH15 Art. 34.4:
the last day of the month after the period) over the receivable for the year projected from the
year to date.

Worked example (tests/unit/test_coverage_indicators.py): a commune of 12 people, labour force 8,
population 12, three in compulsory SI and one in voluntary SI at the end of 2026-03 → SI share of
the labour force 4 ÷ 8 = 50%.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import ibis
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _ as col

from ansinh.law.calculators.retirement_age import PARAMETER
from ansinh.law.parameters import ParameterSet, get_parameters
from ansinh.law.periods import Period
from ansinh.ledger.debt_ratio import Variant, debt_ratio

FAR = 10**6
_SERIAL = itertools.count()

PERSONS = pa.schema(
    [
        ("id", pa.int64()),
        ("commune_code", pa.string()),
        ("gender", pa.string()),
        ("birth_date", pa.date32()),
        ("death_date", pa.date32()),
    ]
)
PARTS = pa.schema(
    [
        ("person_id", pa.int64()),
        ("scheme", pa.string()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
        ("hi_group", pa.string()),
    ]
)
DENOMS = pa.schema(
    [
        ("area_code", pa.string()),
        ("year", pa.int64()),
        ("population", pa.int64()),
        ("labour_force", pa.int64()),
        ("working_age_population", pa.int64()),
    ]
)
BENEFICIARIES = pa.schema(
    [
        ("person_id", pa.int64()),
        ("kind", pa.string()),
        ("start_period", pa.string()),
        ("end_period", pa.string()),
    ]
)
CASES = pa.schema(
    [("person_id", pa.int64()), ("kind", pa.string()), ("status", pa.string()), ("decided_on", pa.date32())]
)
BENEFIT_PAYMENTS = pa.schema(
    [("person_id", pa.int64()), ("period", pa.string()), ("channel", pa.string()), ("status", pa.string())]
)
#: Ledger entries of employer accounts (contributions), summed per employer commune × period ×
#: posting month ('YYYY-MM'): dues and adjustments (``receivable``) and all entries (``amount``).
LEDGER_CELLS_RAW = pa.schema(
    [
        ("commune_code", pa.string()),
        ("period", pa.string()),
        ("posted", pa.string()),
        ("receivable", pa.int64()),
        ("amount", pa.int64()),
    ]
)
KPIS = pa.schema(
    [
        ("period", pa.string()),
        ("receivable_ytd", pa.int64()),
        ("arrears_late", pa.int64()),
        ("arrears_collectible", pa.int64()),
        ("arrears_open", pa.int64()),
    ]
)
OUT = pa.schema(
    [
        ("area_code", pa.string()),
        ("period", pa.string()),
        ("indicator", pa.string()),
        ("numerator", pa.int64()),
        ("denominator", pa.int64()),
        ("value", pa.float64()),
    ]
)


@dataclass
class Facts:
    """The inputs of the batch, as Arrow tables. ``None`` = the source table does not exist (the
    indicators that need it are reported as missing, never invented)."""

    province: str
    communes: list[str]
    persons: pa.Table
    participations: pa.Table
    denominators: pa.Table
    beneficiaries: pa.Table | None = None
    benefit_cases: pa.Table | None = None
    benefit_payments: pa.Table | None = None
    ledger_cells: pa.Table | None = None
    ledger_kpis: pa.Table | None = None
    missing: list[str] = field(default_factory=list)
    #: The last ledger entry id summed into ``ledger_cells``.
    ledger_upto: int = 0


def month_index(d: Any) -> Any:
    return d.year().cast("int64") * 12 + d.month().cast("int64") - 1


def period_month(text: Any) -> Any:
    """'YYYY-MM' (Ibis string) → month index."""
    return text.substr(0, 4).cast("int64") * 12 + text.substr(5, 2).cast("int64") - 1


def period_text(index: int) -> str:
    return str(Period.from_index(int(index)))


def retirement_table(persons: pa.Table, params: ParameterSet | None = None) -> pa.Table:
    """Month index in which each distinct (gender, birth month) reaches the retirement age."""
    params = params or get_parameters()
    birth = persons["birth_date"]
    if persons.num_rows == 0:
        return pa.table(
            {
                "gender": pa.array([], pa.string()),
                "birth_m": pa.array([], pa.int64()),
                "reached_m": pa.array([], pa.int64()),
            }
        )
    years = pc.year(birth).to_numpy(zero_copy_only=False).astype(np.int64)
    months = pc.month(birth).to_numpy(zero_copy_only=False).astype(np.int64)
    female = pc.equal(persons["gender"], "female").to_numpy(zero_copy_only=False).astype(np.int64)
    codes = np.unique(female * FAR + years * 12 + months - 1)
    genders = ["female" if c >= FAR else "male" for c in codes.tolist()]
    birth_m = [int(c % FAR) for c in codes.tolist()]
    reached = np.empty(len(codes), np.int64)
    is_female = codes >= FAR
    for gender, mask in (("female", is_female), ("male", ~is_female)):
        reached[mask] = reached_months(params, gender, codes[mask] % FAR)
    return pa.table(
        {
            "gender": pa.array(genders, pa.string()),
            "birth_m": pa.array(birth_m, pa.int64()),
            "reached_m": pa.array(reached, pa.int64()),
        }
    )


def reached_months(
    params: ParameterSet, gender: str, birth_m: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Month in which people born in the months ``birth_m`` reach the retirement age: the rule of
    :func:`ansinh.law.calculators.retirement_age.retirement_age` (the age in force in the calendar
    year in which it is reached: the first year Y with birth month + age(Y) in Y; Decree 135/2020
    Art. 4, Appendix I), vectorised over the birth months; the age of each year is read once from
    the parameter. Before the schedule's first year, its first age applies.
    (tests/unit/test_coverage_indicators.py checks it against the calculator for every month.)"""
    if len(birth_m) == 0:
        return np.zeros(0, np.int64)
    name = PARAMETER[gender]
    first_year = params.history(name)[0].valid_from.year
    base_years, base_months = params.age(name, params.history(name)[0].valid_from)
    lo, hi = int(birth_m.min()) // 12 + 40, int(birth_m.max()) // 12 + 81
    years = np.arange(lo, hi + 1, dtype=np.int64)
    ages = np.array(
        [_age_months(params, name, int(y)) if y >= first_year else -1 for y in years.tolist()], np.int64
    )
    reached = birth_m[:, None] + ages[None, :]  # people × candidate years
    hit = (ages[None, :] >= 0) & (reached // 12 == years[None, :])
    first_hit = hit.argmax(axis=1)
    found = hit[np.arange(len(birth_m)), first_hit]
    out: npt.NDArray[np.int64] = np.where(
        found, reached[np.arange(len(birth_m)), first_hit], birth_m + base_years * 12 + base_months
    )
    return out


def _age_months(params: ParameterSet, name: str, year: int) -> int:
    years, months = params.age(name, date(year, 1, 1))
    return years * 12 + months


class Batch:
    """One computation on a DuckDB connection (registered Arrow tables, zero copy)."""

    def __init__(self, facts: Facts, first: int, last: int, con: Any = None) -> None:
        self.facts = facts
        self.first, self.last = first, last
        self.con = con or ibis.duckdb.connect()
        self.serial = next(_SERIAL)

    def load(self, name: str, table: pa.Table, schema: pa.Schema) -> Any:
        full = f"cov_{name}_{self.serial}"
        self.con.con.register(full, table.select(schema.names).cast(schema))
        return self.con.table(full)

    def materialise(self, name: str, expr: Any) -> Any:
        return self.con.create_table(f"cov_{name}_{self.serial}_m", expr, temp=True)

    # --- stocks ---------------------------------------------------------------------------------

    def stocks(self) -> pa.Table:
        """Per series × commune × month: stock at the month's end, starts and ends of the month.

        Each spell becomes a bit mask over the months ``first − 1 .. last`` (bit 0 = the month
        before the window, so that the first month's new and lost participants are known); the
        masks of one person are OR-ed per series, so a person counts once however many spells
        overlap or follow each other, then cut at the month before death (and, for benefits, from
        the month the retirement age is reached). Windows longer than 62 months are done in blocks.

        This step is numpy, not Ibis: the OR per person is a scatter into an array indexed by
        person (``np.bitwise_or.at``), which costs a tenth of a hash aggregate of the 4.4M spells
        of the 1.3M-person province into 1.3M groups; the counting per commune and month then
        only looks at each person's starts and ends (:func:`_count_masks`)."""
        people = _People.of(self.facts.persons)
        spells = _spells(self.facts, people)
        blocks = []
        for lo_m in range(self.first, self.last + 1, 62):
            hi_m = min(lo_m + 61, self.last)
            blocks.append(_stock_block(people, spells, lo_m, hi_m))
        return pa.concat_tables(blocks)

    # --- debt ratio, benefits ------------------------------------------------------------------

    def ledger(self) -> pa.Table | None:
        """Per commune × month: arrears past the deadline and receivable of the year to date."""
        cells = self.facts.ledger_cells
        if cells is None:
            return None
        raw = self.load("ledger", cells, LEDGER_CELLS_RAW)
        t = raw.select(
            "commune_code", "receivable", "amount", p=period_month(raw.period), pm=period_month(raw.posted)
        )
        months = self.load(
            "months",
            pa.table({"m": pa.array(range(self.first, self.last + 1), pa.int64())}),
            pa.schema([("m", pa.int64())]),
        )
        lag = get_parameters().integer(
            "contribution_deadline_months_after", Period.from_index(self.last).first_day
        )
        pairs = t.cross_join(months)
        late = pairs.filter((pairs.p + lag < pairs.m) & (pairs.pm <= pairs.m))
        arrears = late.group_by(["commune_code", "m"]).aggregate(arrears=late.amount.sum())
        ytd = pairs.filter((pairs.p <= pairs.m) & (pairs.p // 12 == pairs.m // 12) & (pairs.pm <= pairs.m))
        receivable = ytd.group_by(["commune_code", "m"]).aggregate(receivable=ytd.receivable.sum())
        joined = receivable.outer_join(arrears, ["commune_code", "m"]).select(
            commune_code=ibis.coalesce(receivable.commune_code, arrears.commune_code),
            m=ibis.coalesce(receivable.m, arrears.m),
            receivable=ibis.coalesce(receivable.receivable, 0),
            arrears=ibis.coalesce(arrears.arrears, 0),
        )
        result: pa.Table = joined.to_pyarrow()
        return result

    def benefits(self) -> tuple[pa.Table | None, pa.Table | None]:
        """(one-time withdrawals, non-cash payments) per commune × month, or None without the table."""
        persons = self.load("persons_b", self.facts.persons, PERSONS)
        one_time = None
        if self.facts.benefit_cases is not None:
            c = self.load("cases", self.facts.benefit_cases, CASES)
            c = c.filter(
                (c.kind == "one_time") & c.status.isin(("approved", "paid")) & c.decided_on.notnull()
            )
            c = c.join(persons, c.person_id == persons.id).mutate(m=month_index(c.decided_on))
            c = c.filter((col.m >= self.first) & (col.m <= self.last))
            one_time = c.group_by(["commune_code", "m"]).aggregate(n=c.count()).to_pyarrow()
        non_cash = None
        if self.facts.benefit_payments is not None:
            p = self.load("bpay", self.facts.benefit_payments, BENEFIT_PAYMENTS)
            p = p.filter(p.status == "paid").join(persons, p.person_id == persons.id)
            p = p.mutate(m=period_month(p.period)).filter((col.m >= self.first) & (col.m <= self.last))
            non_cash = (
                p.group_by(["commune_code", "m"])
                .aggregate(non_cash=p.channel.isin(("bank", "ewallet")).sum().cast("int64"), paid=p.count())
                .to_pyarrow()
            )
        return one_time, non_cash


MaskArray = npt.NDArray[np.uint64]
IntArray = npt.NDArray[np.int64]


def _months(days: pa.ChunkedArray | pa.Array, plus_days: int = 0) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Month indices (year × 12 + month − 1) of a date32 column, ``plus_days`` later, and where it
    is null. Through a table of the month of each day between the earliest and the latest date
    (one look-up per value instead of calendar arithmetic)."""
    as_int = pc.cast(days, pa.int32())
    null = pc.is_null(as_int).to_numpy(zero_copy_only=False)
    d = pc.fill_null(as_int, 0).to_numpy(zero_copy_only=False).astype(np.int64) + plus_days
    if not len(d):
        return d, null
    lo, hi = int(d.min()), int(d.max())
    table = np.arange(lo, hi + 1, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]")
    months: IntArray = table.astype(np.int64)[d - lo] + 1970 * 12
    return months, null


def _period_months(text: pa.ChunkedArray | pa.Array) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """'YYYY-MM' → month index; null or '' → null."""
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    null = pc.is_null(text).to_numpy(zero_copy_only=False)
    text = pc.fill_null(text, "0000-01")
    years = pc.cast(pc.utf8_slice_codeunits(text, 0, 4), pa.int64()).to_numpy(zero_copy_only=False)
    months = pc.cast(pc.utf8_slice_codeunits(text, 5, 7), pa.int64()).to_numpy(zero_copy_only=False)
    out: IntArray = years * 12 + months - 1
    return out, null


def _mask(a: IntArray, b: IntArray, base: int, hi_m: int) -> MaskArray:
    """Bits of the months a..b within base..hi_m (0 when they do not meet); bit 0 = month base."""
    meets = (a <= hi_m) & (b >= base) & (a <= b)
    lo = np.maximum(a, base) - base
    hi = np.minimum(b, hi_m) - base
    lo = np.where(meets, lo, 0).astype(np.uint64)
    hi = np.where(meets, hi, 0).astype(np.uint64)
    one = np.uint64(1)
    # (1 << (hi + 1)) − (1 << lo) without overflow at 64 bits: ones from lo to hi
    ones = ((one << hi) - (one << lo)) | (one << hi)
    out: MaskArray = np.where(meets, ones, np.uint64(0))
    return out


@dataclass
class _People:
    """The persons as arrays: commune (index into ``communes``), month of death (FAR if alive),
    month the retirement age is reached (-1 if unknown), and a way from person id to row."""

    ids: IntArray
    commune: IntArray
    communes: list[str]
    dm: IntArray
    reached: IntArray

    @classmethod
    def of(cls, persons: pa.Table) -> _People:
        persons = persons.select(PERSONS.names).cast(PERSONS)
        ids = persons["id"].to_numpy().astype(np.int64)
        encoded = pc.dictionary_encode(persons["commune_code"]).combine_chunks()
        communes = [str(c) for c in encoded.dictionary.to_pylist()]
        commune = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        death, no_death = _months(persons["death_date"])
        dm = np.where(no_death, FAR, np.minimum(death, FAR))
        birth, no_birth = _months(persons["birth_date"])
        reached = np.full(len(ids), -1, np.int64)
        if len(ids):
            female = pc.equal(persons["gender"], "female").to_numpy(zero_copy_only=False).astype(np.int64)
            # distinct gender × birth month by counting (a few thousand), not by sorting
            birth = np.where(no_birth, birth[~no_birth].min() if (~no_birth).any() else 0, birth)
            low = int(birth.min())
            span = int(birth.max()) - low + 1
            key = female * span + birth - low
            codes = np.flatnonzero(np.bincount(key, minlength=2 * span))
            is_female = codes >= span
            per_code = np.empty(len(codes), np.int64)
            params = get_parameters()
            for gender, sel in (("female", is_female), ("male", ~is_female)):
                per_code[sel] = reached_months(params, gender, codes[sel] % span + low)
            position = np.zeros(2 * span, np.int64)
            position[codes] = np.arange(len(codes), dtype=np.int64)
            reached = np.where(no_birth, -1, per_code[position[key]])
        return cls(ids, commune, communes, dm, reached)

    def rows(self, person_id: IntArray) -> IntArray:
        """Row of each person id, −1 for ids that are not persons (merged records)."""
        if not len(self.ids) or not len(person_id):
            return np.full(len(person_id), -1, np.int64)
        top = int(self.ids.max())
        if int(self.ids.min()) >= 0 and top <= 4 * len(self.ids) + 1_000_000:
            where = np.full(top + 1, -1, np.int64)
            where[self.ids] = np.arange(len(self.ids), dtype=np.int64)
            if int(person_id.min()) >= 0 and int(person_id.max()) <= top:
                inside: IntArray = where[person_id]
                return inside
            out: IntArray = np.where(
                (person_id >= 0) & (person_id <= top), where[np.clip(person_id, 0, top)], -1
            )
            return out
        order = np.argsort(self.ids, kind="stable")
        pos = np.clip(np.searchsorted(self.ids[order], person_id), 0, len(order) - 1)
        found = self.ids[order][pos] == person_id
        out = np.where(found, order[pos], -1)
        return out


#: Spell kinds: compulsory SI, voluntary SI, UI, HI, a benefit in force only (beneficiaries row).
KINDS = ("si", "vsi", "ui", "hi", "ben")


Spells = tuple[IntArray, IntArray, IntArray, IntArray, npt.NDArray[np.bool_]]


def _spells(facts: Facts, people: _People) -> Spells:
    """Every spell of a known person as arrays (row of the person, kind index in :data:`KINDS`, first
    month a, last month b, benefit flag): a spell is in force in month m when it is on the last
    day of m. Benefit: HI group HT/BT (pensioners, social pensioners), or a beneficiaries row."""
    parts = facts.participations.select(PARTS.names).cast(PARTS)
    encoded = pc.dictionary_encode(parts["scheme"]).combine_chunks()
    code_of = np.array([KINDS.index(k) if k in KINDS[:4] else -1 for k in encoded.dictionary.to_pylist()])
    kind = code_of[encoded.indices.to_numpy(zero_copy_only=False)] if len(code_of) else np.zeros(0, np.int64)
    a, _ = _months(parts["valid_from"])
    end, open_ended = _months(parts["valid_to"], plus_days=1)
    b = np.where(open_ended, FAR, np.minimum(end - 1, FAR))
    ben = (kind == 3) & pc.is_in(parts["hi_group"], pa.array(["HT", "BT"])).to_numpy(zero_copy_only=False)
    pid = parts["person_id"].to_numpy().astype(np.int64)
    pieces = [(pid, kind, a, b, ben)]
    beneficiaries = facts.beneficiaries
    if beneficiaries is not None and beneficiaries.num_rows:
        bt = beneficiaries.select(BENEFICIARIES.names).cast(BENEFICIARIES)
        bt = bt.filter(pc.is_in(bt["kind"], pa.array(["pension", "survivor", "monthly_allowance"])))
        start, _ = _period_months(bt["start_period"])
        stop, open_b = _period_months(bt["end_period"])
        pieces.append(
            (
                bt["person_id"].to_numpy().astype(np.int64),
                np.full(bt.num_rows, 4, np.int64),
                start,
                np.where(open_b, FAR, stop),
                np.ones(bt.num_rows, np.bool_),
            )
        )
    if len(pieces) > 1:
        pid, kind, a, b, ben = (np.concatenate([p[i] for p in pieces]) for i in range(5))
    row = people.rows(pid)
    keep = (row >= 0) & (kind >= 0)
    if keep.all():
        return row, kind, a, b, ben
    return row[keep], kind[keep], a[keep], b[keep], ben[keep]


def _stock_block(
    people: _People,
    spells: Spells,
    lo_m: int,
    hi_m: int,
) -> pa.Table:
    base = lo_m - 1
    row, kind, a, b, ben = spells
    m = _mask(a, b, base, hi_m)
    n_people = len(people.ids)
    # one OR per person and kind (columns of KINDS), and one over the benefit spells
    acc = np.zeros((n_people, len(KINDS)), np.uint64)
    np.bitwise_or.at(acc.reshape(-1), row * len(KINDS) + kind, m)
    per_person = {name: acc[:, i] for i, name in enumerate(KINDS[:4])}
    benefit = np.zeros(n_people, np.uint64)
    np.bitwise_or.at(benefit, row[ben], m[ben])
    # cut at death (months before the month of death) and, for benefits, at the retirement age
    alive = _mask(np.full(n_people, base, np.int64), people.dm - 1, base, hi_m)
    elder = np.where(people.reached >= 0, _mask(people.reached, people.dm - 1, base, hi_m), np.uint64(0))
    series = {name: per_person[name] & alive for name in ("si", "vsi", "ui", "hi")}
    series["si_vsi"] = series["si"] | series["vsi"]
    series["benefit"] = benefit & elder
    series["elderly"] = elder
    names = ("si", "vsi", "si_vsi", "ui", "hi", "benefit", "elderly")
    return _count_masks({k: series[k] for k in names}, people, base, hi_m - lo_m + 1)


def _bit_positions(masks: MaskArray, owner: IntArray) -> tuple[IntArray, IntArray]:
    """(owner, bit position) of every set bit of ``masks`` (few per mask: starts and ends)."""
    owners, positions = [], []
    m, o = masks, owner
    nonzero = m != 0
    m, o = m[nonzero], o[nonzero]
    while len(m):
        low = m & (~m + np.uint64(1))
        owners.append(o)
        positions.append(np.log2(low.astype(np.float64)).astype(np.int64))  # exact for a power of two
        m = m ^ low
        nonzero = m != 0
        m, o = m[nonzero], o[nonzero]
    if not owners:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(owners), np.concatenate(positions)


def _count_masks(series: dict[str, MaskArray], people: _People, base: int, n: int) -> pa.Table:
    """Per series × commune × month k = 1..n (month base + k): stock (persons with bit k), new (bit
    k and not bit k − 1) and lost (bit k − 1 and not bit k). Counted from the starts and ends of
    each person's months: stock k = stock 0 + new 1..k − lost 1..k, so only a person's changes are
    looked at, not each of the n months. Only communes with someone in the series are listed."""
    n_communes = len(people.communes)
    window = (np.uint64(1) << np.uint64(n)) - np.uint64(1)
    full = window | (window << np.uint64(1))  # bits 0..n
    out: dict[str, list[Any]] = {k: [] for k in ("series", "commune_code", "m", "stock", "new", "lost")}
    months = np.arange(base + 1, base + n + 1, dtype=np.int64)
    for name, x in series.items():
        present = np.bincount(people.commune[x != 0], minlength=n_communes)
        communes = np.flatnonzero(present)
        if not len(communes):
            continue
        start = np.bincount(people.commune[(x & np.uint64(1)) != 0], minlength=n_communes)
        shifted = (x << np.uint64(1)) & full
        counts = {}
        for label, events in (("new", x & ~shifted), ("lost", shifted & ~x)):
            events = events & ~np.uint64(1)  # bit 0 is the month before the window
            who, bit = _bit_positions(events, people.commune)
            counts[label] = np.bincount(who * (n + 1) + bit, minlength=n_communes * (n + 1)).reshape(
                n_communes, n + 1
            )[:, 1:]
        stock = start[:, None] + np.cumsum(counts["new"] - counts["lost"], axis=1)
        k = len(communes)
        out["series"].append(np.full(k * n, name, dtype=object))
        out["commune_code"].append(np.repeat(np.array(people.communes, dtype=object)[communes], n))
        out["m"].append(np.tile(months, k))
        for label, values in (("stock", stock), ("new", counts["new"]), ("lost", counts["lost"])):
            out[label].append(values[communes].reshape(-1).astype(np.int64))
    schema = pa.schema(
        [
            ("series", pa.string()),
            ("commune_code", pa.string()),
            ("m", pa.int64()),
            ("stock", pa.int64()),
            ("new", pa.int64()),
            ("lost", pa.int64()),
        ]
    )
    if not out["series"]:
        return schema.empty_table()
    return pa.table({k: np.concatenate(v) for k, v in out.items()}, schema=schema)


def _denominator_lookup(facts: Facts, years: range) -> dict[tuple[str, int], dict[str, int]]:
    """Figures per (area, year): the year's row, else the latest earlier year, else the earliest.
    The province's own row when imported, else the sum of its communes' rows."""
    rows = facts.denominators.select(DENOMS.names).cast(DENOMS).to_pylist()
    by_area: dict[str, dict[int, dict[str, int]]] = {}
    for r in rows:
        by_area.setdefault(r["area_code"], {})[int(r["year"])] = {
            k: int(r[k]) for k in ("population", "labour_force", "working_age_population")
        }
    out: dict[tuple[str, int], dict[str, int]] = {}
    for area, per_year in by_area.items():
        known = sorted(per_year)
        for y in years:
            earlier = [k for k in known if k <= y]
            out[(area, y)] = per_year[earlier[-1] if earlier else known[0]]
    if facts.province not in by_area:
        for y in years:
            parts = [out[(c, y)] for c in facts.communes if (c, y) in out]
            if parts and len(parts) == len(facts.communes):
                out[(facts.province, y)] = {
                    k: sum(p[k] for p in parts)
                    for k in ("population", "labour_force", "working_age_population")
                }
    return out


SERIES_OF = {
    "si_participants": "si_vsi",
    "si_working_age": "si_vsi",
    "si_compulsory": "si",
    "si_voluntary": "vsi",
    "ui": "ui",
    "hi": "hi",
}


def compute(
    facts: Facts, first: int, last: int, *, progress: Callable[[str], None] | None = None
) -> pa.Table:
    """Every indicator for every commune of ``facts`` and the province, months ``first``..``last``."""
    batch = Batch(facts, first, last)
    step = progress or (lambda _name: None)
    step("stocks")
    stocks = batch.stocks()
    step("ledger")
    ledger = batch.ledger()
    step("benefits")
    one_time, non_cash = batch.benefits()
    step("assemble")
    return assemble(facts, first, last, stocks, ledger, one_time, non_cash)


def _index(
    table: pa.Table | None, key_cols: tuple[str, ...], value_cols: tuple[str, ...]
) -> dict[Any, tuple[int, ...]]:
    if table is None:
        return {}
    cols = [table[c].to_pylist() for c in key_cols + value_cols]
    k = len(key_cols)
    return {tuple(row[:k]): tuple(int(v or 0) for v in row[k:]) for row in zip(*cols, strict=True)}


def assemble(
    facts: Facts,
    first: int,
    last: int,
    stocks: pa.Table,
    ledger: pa.Table | None,
    one_time: pa.Table | None,
    non_cash: pa.Table | None,
) -> pa.Table:
    """Long table area × period × indicator (small: communes × months × indicators)."""
    areas = [*facts.communes, facts.province]
    months = range(first, last + 1)
    years = range(first // 12, last // 12 + 1)
    denoms = _denominator_lookup(facts, years)
    # province totals are sums over communes (a person is in one commune)
    s = _index(stocks, ("series", "commune_code", "m"), ("stock", "new", "lost"))
    totals: dict[tuple[str, str, int], list[int]] = {}
    for (series, commune, m), values in s.items():
        for area in (commune, facts.province):
            acc = totals.setdefault((series, area, m), [0, 0, 0])
            for i, v in enumerate(values):
                acc[i] += v
    led = _index(ledger, ("commune_code", "m"), ("receivable", "arrears"))
    led_totals: dict[tuple[str, int], list[int]] = {}
    for (commune, m), values in led.items():
        for area in (commune, facts.province):
            acc = led_totals.setdefault((area, m), [0, 0])
            acc[0] += values[0]
            acc[1] += values[1]
    kpis = {r["period"]: r for r in facts.ledger_kpis.to_pylist()} if facts.ledger_kpis is not None else {}
    variant = Variant.parse(None)
    ot = _index(one_time, ("commune_code", "m"), ("n",))
    nc = _index(non_cash, ("commune_code", "m"), ("non_cash", "paid"))

    def add_totals(index: dict[Any, tuple[int, ...]]) -> dict[tuple[str, int], list[int]]:
        out: dict[tuple[str, int], list[int]] = {}
        for (commune, m), values in index.items():
            for area in (commune, facts.province):
                acc = out.setdefault((area, m), [0] * len(values))
                for i, v in enumerate(values):
                    acc[i] += v
        return out

    ot_t, nc_t = add_totals(ot), add_totals(nc)
    rows: dict[str, list[Any]] = {name: [] for name in OUT.names}

    def emit(area: str, m: int, code: str, num: int, den: int | None) -> None:
        rows["area_code"].append(area)
        rows["period"].append(period_text(m))
        rows["indicator"].append(code)
        rows["numerator"].append(num)
        rows["denominator"].append(den)
        if den is None:
            rows["value"].append(float(num))
        else:
            rows["value"].append(num / den if den > 0 else None)

    for area in areas:
        for m in months:
            d = denoms.get((area, m // 12))
            stock = {
                series: totals.get((series, area, m), [0, 0, 0])
                for series in ("si_vsi", "si", "vsi", "ui", "hi", "benefit", "elderly")
            }
            for code, series in SERIES_OF.items():
                den_key = (
                    "working_age_population"
                    if code == "si_working_age"
                    else ("population" if code == "hi" else "labour_force")
                )
                emit(area, m, code, stock[series][0], d[den_key] if d else None)
            emit(area, m, "pension", stock["benefit"][0], stock["elderly"][0])
            new, lost = stock["si_vsi"][1], stock["si_vsi"][2]
            emit(area, m, "new_participants", new, None)
            emit(area, m, "lost_participants", lost, None)
            emit(area, m, "net_growth", new - lost, None)
            if area == facts.province and kpis:
                k = kpis.get(period_text(m))
                if k is not None:
                    ratio = debt_ratio(k, m % 12 + 1, variant)
                    emit(area, m, "arrears", ratio.numerator, None)
                    emit(area, m, "debt_ratio", ratio.numerator, ratio.denominator)
            elif ledger is not None:
                receivable, arrears = led_totals.get((area, m), [0, 0])
                emit(area, m, "arrears", arrears, None)
                emit(area, m, "debt_ratio", arrears, receivable * 12 // (m % 12 + 1))
            if one_time is not None:
                emit(area, m, "one_time", ot_t.get((area, m), [0])[0], None)
            if non_cash is not None:
                n_cash, paid = nc_t.get((area, m), [0, 0])
                emit(area, m, "non_cash", n_cash, paid)
    return pa.table(rows, schema=OUT)


def share(numerator: int, denominator: int | None) -> Decimal | None:
    """Exact share for display (Decimal), None without a denominator."""
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def first_day(m: int) -> date:
    return Period.from_index(m).first_day
