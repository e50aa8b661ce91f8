"""The indicator batch: every coverage indicator, for every commune and the province, month by month.

Facts are read into Arrow (:func:`read_facts`, through :mod:`ansinh.core.arrow_io`) and computed as
Ibis expressions on DuckDB (:func:`compute`); the same function runs on the synthetic province's
tables in memory (:mod:`ansinh.coverage.synth`). Definitions: :mod:`ansinh.coverage.definitions`.

How stocks are counted without expanding person × month (1.3M people × 36 months): each spell of a
person becomes the months ``[a, b]`` in which it is in force on the month's last day — ``a`` =
month of ``valid_from``, ``b`` = month of (``valid_to`` + 1 day) − 1, cut at the month before
death — written as a bit mask over the window (bit 0 = the month before it). The masks of one
person are OR-ed per series (si, vsi, si∪vsi, ui, hi, benefit, elderly) in one hash aggregate, so a
person with overlapping spells counts once; persons with the same commune, series and mask are
then counted together, and the few distinct masks are expanded into months with numpy: the stock
is bit k, new participants bit k and not bit k − 1, participants lost bit k − 1 and not bit k.
(tests/unit/test_coverage_synth.py checks the stocks against a plain count of the spells in force.)

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

    def people(self) -> Any:
        """Persons with their commune, month of death (FAR if alive) and month of retirement age."""
        persons = self.load("persons", self.facts.persons, PERSONS)
        persons = persons.mutate(
            dm=ibis.least(ibis.coalesce(month_index(persons.death_date), ibis.literal(FAR, "int64")), FAR),
            birth_m=month_index(persons.birth_date),
        )
        retire = self.load(
            "retire",
            retirement_table(self.facts.persons),
            pa.schema([("gender", pa.string()), ("birth_m", pa.int64()), ("reached_m", pa.int64())]),
        )
        return persons.left_join(retire, ["gender", "birth_m"]).select(
            persons.id, persons.commune_code, persons.dm, reached_m=retire.reached_m
        )

    def spells(self) -> Any:
        """Every spell as (person_id, kind, a, b): kind si, vsi, ui, hi, or ben (a benefit in force:
        HI group HT/BT, or a beneficiaries row)."""
        parts = self.load("parts", self.facts.participations, PARTS)
        spells = parts.filter(parts.scheme.isin(("si", "vsi", "ui", "hi"))).select(
            "person_id",
            kind=parts.scheme,
            a=month_index(parts.valid_from),
            b=ibis.least(
                ibis.coalesce(
                    month_index(parts.valid_to + ibis.interval(days=1)) - 1, ibis.literal(FAR, "int64")
                ),
                ibis.literal(FAR, "int64"),
            ),
            ben=(parts.scheme == "hi") & parts.hi_group.isin(("HT", "BT")),
        )
        if self.facts.beneficiaries is not None and self.facts.beneficiaries.num_rows:
            ben = self.load("beneficiaries", self.facts.beneficiaries, BENEFICIARIES)
            spells = spells.union(
                ben.filter(ben.kind.isin(("pension", "survivor", "monthly_allowance"))).select(
                    "person_id",
                    kind=ibis.literal("ben"),
                    a=period_month(ben.start_period),
                    b=ibis.coalesce(period_month(ben.end_period.nullif("")), ibis.literal(FAR, "int64")),
                    ben=ibis.literal(True),
                ),
                distinct=False,
            )
        return spells

    def stocks(self) -> pa.Table:
        """Per series × commune × month: stock at the month's end, starts and ends of the month.

        Each spell becomes a bit mask over the months ``first − 1 .. last`` (bit 0 = the month
        before the window, so that the first month's new and lost participants are known), cut at
        the month before death; the masks of one person are OR-ed per series (one hash aggregate,
        no sort), so a person counts once however many spells overlap. Persons with the same
        commune, series and mask are counted together in DuckDB, and the few distinct masks are
        expanded into months with numpy: stock = bit k, new = bit k and not bit k−1, lost = bit
        k−1 and not bit k. Windows longer than 62 months are done in blocks."""
        blocks = []
        people = self.materialise("people", self.people())
        spells = self.spells()
        for lo_m in range(self.first, self.last + 1, 62):
            hi_m = min(lo_m + 61, self.last)
            blocks.append(self._stock_block(people, spells, lo_m, hi_m))
        return pa.concat_tables(blocks)

    def _stock_block(self, people: Any, spells: Any, lo_m: int, hi_m: int) -> pa.Table:
        base = lo_m - 1
        one = ibis.literal(1, "int64")
        zero = ibis.literal(0, "int64")

        def mask(a: Any, b: Any) -> Any:
            """Bits of the months a..b within base..hi_m (0 when they do not meet)."""
            lo = ibis.greatest(a, ibis.literal(base, "int64")) - base
            hi = ibis.least(b, ibis.literal(hi_m, "int64")) - base
            return ibis.ifelse((a <= hi_m) & (b >= base) & (a <= b), (one << (hi + 1)) - (one << lo), 0)

        # spells → masks OR-ed per person (no join on the big table) ...
        x = spells.select(spells.person_id, spells.kind, spells.ben, m=mask(spells.a, spells.b))
        per_person = x.group_by("person_id").aggregate(
            si=ibis.ifelse(x.kind == "si", x.m, zero).bit_or(),
            vsi=ibis.ifelse(x.kind == "vsi", x.m, zero).bit_or(),
            ui=ibis.ifelse(x.kind == "ui", x.m, zero).bit_or(),
            hi=ibis.ifelse(x.kind == "hi", x.m, zero).bit_or(),
            ben=ibis.ifelse(x.ben, x.m, zero).bit_or(),
        )
        # ... then cut at death (months before the month of death) and, for benefits, at the
        # retirement age (months from the month it is reached)
        alive = mask(ibis.literal(base, "int64"), people.dm - 1)
        elder = ibis.ifelse(people.reached_m.notnull(), mask(people.reached_m, people.dm - 1), zero)
        p = people.left_join(per_person, people.id == per_person.person_id).select(
            people.commune_code,
            elderly=elder,
            si=ibis.coalesce(per_person.si, zero) & alive,
            vsi=ibis.coalesce(per_person.vsi, zero) & alive,
            ui=ibis.coalesce(per_person.ui, zero) & alive,
            hi=ibis.coalesce(per_person.hi, zero) & alive,
            benefit=ibis.coalesce(per_person.ben, zero) & elder,
        )
        p = p.mutate(si_vsi=p.si | p.vsi)
        names = ("si", "vsi", "si_vsi", "ui", "hi", "benefit", "elderly")
        long = None
        for name in names:
            part = p.filter(p[name] != 0).select("commune_code", series=ibis.literal(name), mask=p[name])
            long = part if long is None else long.union(part, distinct=False)
        assert long is not None
        counted: pa.Table = (
            long.group_by(["series", "commune_code", "mask"]).aggregate(n=long.count()).to_pyarrow()
        )
        return _expand(counted, base, hi_m - lo_m + 1)

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


def _expand(counted: pa.Table, base: int, n: int) -> pa.Table:
    """(series, commune, mask, n) → per series × commune × month k = 1..n: stock, new, lost."""
    series = counted["series"].to_numpy(zero_copy_only=False).astype(str)
    commune = counted["commune_code"].to_numpy(zero_copy_only=False).astype(str)
    mask = counted["mask"].to_numpy(zero_copy_only=False).astype(np.int64)
    weight = counted["n"].to_numpy(zero_copy_only=False).astype(np.int64)
    keys = np.char.add(np.char.add(series, "|"), commune)
    uniq, group = np.unique(keys, return_inverse=True)
    ks = np.arange(n + 1, dtype=np.int64)
    bits = (mask[:, None] >> ks[None, :]) & 1  # rows × (n + 1)
    now, before = bits[:, 1:], bits[:, :-1]
    out = {}
    for name, values in (("stock", now), ("new", now * (1 - before)), ("lost", before * (1 - now))):
        acc = np.zeros((len(uniq), n), np.int64)
        np.add.at(acc, group, values * weight[:, None])
        out[name] = acc.reshape(-1)
    split = [u.split("|", 1) for u in uniq.tolist()]
    return pa.table(
        {
            "series": np.repeat([s for s, _ in split], n),
            "commune_code": np.repeat([c for _, c in split], n),
            "m": np.tile(np.arange(base + 1, base + n + 1, dtype=np.int64), len(uniq)),
            "stock": out["stock"],
            "new": out["new"],
            "lost": out["lost"],
        }
    )


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
