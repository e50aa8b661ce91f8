"""The review batch (giám định tự động): read the tables into Arrow, run every rule and screen with Ibis
(DuckDB in-process by default; Spark through ``ibis.pyspark`` at national scale), decide an outcome per
episode and write findings and outcomes back in one transaction.

Outcome per episode: ``accepted`` (no finding), ``deducted`` (only findings the machine can settle:
the amount is disallowed — xuất toán — and the rest paid) or ``review`` (sent to a reviewer, ranked by
risk × amount claimed).

>>> result = run_review(engine, period=(2026, 10))     # doctest: +SKIP
>>> result.counts
{'accepted': 391204, 'deducted': 2210, 'review': 5403}
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ansinh.claims.rules import RULES, Inputs, all_findings
from ansinh.claims.screening import SCREENS, all_screens
from ansinh.core.arrow_io import bulk_write, read_many
from ansinh.law.parameters import get_parameters

FAR = date(9999, 12, 31)
SOURCES = {
    "episodes": (
        "SELECT id, ma_lk, facility_code, card_number, birth_date, gender, kind, admitted_at, discharged_at, "
        "icd_main, benefit_rate, practitioner, total_hi, fund_claimed, treatment_days, settle_year, "
        "settle_month "
        "FROM claim_episodes WHERE superseded = {false}"
    ),
    "lines": (
        "SELECT l.id, l.episode_id, l.kind, l.item_code, l.quantity_milli, l.unit_price_milli, "
        "l.payment_rate, l.amount_hi, l.practitioner, l.ordered_on, l.performed_at FROM claim_lines l "
        "JOIN claim_episodes e ON e.id = l.episode_id WHERE e.superseded = {false}"
    ),
    "cards": (
        "SELECT hi_card_number AS card, person_id, valid_from, valid_to FROM participations "
        "WHERE scheme = 'hi' AND hi_card_number IS NOT NULL"
    ),
    "persons": "SELECT id, birth_date, gender, death_date FROM persons",
    "facilities": "SELECT code, level FROM claim_facilities",
    "services": (
        "SELECT service_code, facility_level, price, max_per_day, valid_from, valid_to "
        "FROM claim_service_prices"
    ),
    "items": (
        "SELECT facility_code, item_code, tender_price, max_per_day, valid_from, valid_to "
        "FROM claim_item_prices"
    ),
    "licences": "SELECT facility_code, service_code, valid_from, valid_to FROM claim_licences",
    "icd": "SELECT code, sex, min_age, max_age, high_severity FROM claim_icd",
    "practitioners": "SELECT code, facility_code FROM claim_practitioners",
}


#: Read through one ADBC worker, at the same time; the other (small) lists are read in process. (The
#: whole card and person lists: on SQLite, looking up the 400,000 cards of a month costs more CPU than
#: reading all 1.6 million.)
LARGE = ("episodes", "lines", "cards", "persons")


def _read_small(engine: Engine, sql: str) -> pa.Table:
    with engine.connect() as conn:
        result = conn.execute(text(sql))
        names = list(result.keys())
        rows = result.fetchall()
    return pa.table({name: pa.array([row[i] for row in rows]) for i, name in enumerate(names)})


def _lines_sql(engine: Engine, false: str, period: tuple[int, int], parts: int = 2) -> list[str]:
    """The lines of a period's episodes: those of the episode ids from the first to the last of the
    period (index ranges, cheaper than a join on SQLite, read in ``parts`` at the same time);
    :func:`prepare` keeps the lines of the episodes read (its inner join drops those of other periods
    or superseded versions)."""
    where = f"superseded = {false} AND settle_year = {period[0]} AND settle_month = {period[1]}"
    with engine.connect() as conn:
        lo, hi = conn.exec_driver_sql(f"SELECT MIN(id), MAX(id) FROM claim_episodes WHERE {where}").one()
    lo, hi = int(lo or 0), int(hi if hi is not None else -1)
    columns = SOURCES["lines"].split(" FROM ")[0]
    step = max(1, (hi - lo + parts) // parts)
    return [
        f"{columns} FROM claim_lines l WHERE l.episode_id BETWEEN {a} AND {min(hi, a + step - 1)}"
        for a in range(lo, hi + 1, step)
    ] or [f"{columns} FROM claim_lines l WHERE 0 = 1"]


def _read_month(
    engine: Engine, period: tuple[int, int], others: dict[str, str] | None = None
) -> dict[str, pa.Table]:
    """A period's episodes and lines (and the ``others`` queries, read at the same time)."""
    false = "0" if engine.dialect.name == "sqlite" else "false"
    within = f" AND settle_year = {period[0]} AND settle_month = {period[1]}"
    queries = {"episodes": SOURCES["episodes"].replace("{false}", false) + within, **(others or {})}
    parts = _lines_sql(engine, false, period)
    queries.update({f"lines.{i}": sql for i, sql in enumerate(parts)})
    out = read_many(engine, queries)
    pieces = [out.pop(f"lines.{i}") for i in range(len(parts))]
    # (an empty piece may come back with other column types: SQLite types columns by their values)
    filled = [p for p in pieces if p.num_rows] or pieces[:1]
    out["lines"] = pa.concat_tables(filled, promote_options="permissive")
    return out


def load(engine: Engine, period: tuple[int, int] | None = None) -> dict[str, pa.Table]:
    """The review's source tables, as Arrow (episodes and lines of ``period`` only, when given)."""
    false = "0" if engine.dialect.name == "sqlite" else "false"
    sqls = {name: sql.replace("{false}", false) for name, sql in SOURCES.items()}
    if period:
        large = _read_month(engine, period, {name: sqls[name] for name in LARGE if name not in MONTHLY})
    else:
        large = read_many(engine, {name: sqls[name] for name in LARGE})
    small = {name: _read_small(engine, sql) for name, sql in sqls.items() if name not in LARGE}
    return {name: large[name] if name in large else small[name] for name in SOURCES}


def _ts(col: Any) -> pa.Array:
    if col.null_count == len(col):
        return pa.nulls(len(col), pa.timestamp("us"))
    if pa.types.is_timestamp(col.type):
        return (
            pc.cast(col, pa.timestamp("us"))
            if col.type.tz is None
            else pc.cast(pc.cast(col, pa.timestamp("us", "UTC")), pa.timestamp("us"))
        )
    return pc.cast(pc.utf8_slice_codeunits(col, 0, 19), pa.timestamp("us"))


def _date(col: Any) -> pa.Array:
    if col.null_count == len(col):
        return pa.nulls(len(col), pa.date32())
    if pa.types.is_date(col.type):
        return pc.cast(col, pa.date32())
    if pa.types.is_timestamp(col.type):
        return pc.cast(col, pa.date32())
    return pc.cast(pc.utf8_slice_codeunits(col, 0, 10), pa.date32())


def _until(col: Any) -> pa.Array:
    return pc.fill_null(_date(col), pa.scalar(FAR, pa.date32()))


def _s(col: Any) -> pa.Array:
    """A text column (SQLite reports an empty or all-NULL result column as int64)."""
    return pc.cast(col, pa.string())


def _i64(col: Any) -> pa.Array:
    return pc.cast(col, pa.int64())


def _bool(col: Any) -> pa.Array:
    return pc.cast(col, pa.bool_())


def _thresholds(on: date) -> pa.Table:
    """Small-visit threshold (15% of the base salary) for every period between changes of either."""
    params = get_parameters()
    starts = sorted(
        {e.valid_from for e in params.history("reference_level")}
        | {e.valid_from for e in params.history("hi_small_visit_share")}
    )
    starts = [s for s in starts if s >= date(2015, 1, 1)]
    rows = []
    for i, start in enumerate(starts):
        end = date.fromordinal(starts[i + 1].toordinal() - 1) if i + 1 < len(starts) else FAR
        value = params.rate("hi_small_visit_share", start) * params.dong("reference_level", start)
        rows.append((start, end, int(value.to_integral_value())))
    del on
    return pa.table(
        {
            "t_from": pa.array([r[0] for r in rows], pa.date32()),
            "t_to": pa.array([r[1] for r in rows], pa.date32()),
            "threshold": pa.array([r[2] for r in rows], pa.int64()),
        }
    )


def _attach(lines: pa.Table, keyed: pa.Table) -> pa.Table:
    """``lines`` inner-joined with ``keyed`` on ``episode_id`` (unique in ``keyed``)."""
    ids = keyed["episode_id"].to_numpy()
    wanted = lines["episode_id"].to_numpy()
    if not len(ids):
        return lines.slice(0, 0).join(keyed, "episode_id", join_type="inner")
    order = np.argsort(ids, kind="stable")
    at = np.minimum(np.searchsorted(ids[order], wanted), len(ids) - 1)
    found = ids[order][at] == wanted
    rows = pa.array(order[at[found]])
    out = lines.filter(pa.array(found))
    for name in keyed.column_names:
        if name != "episode_id":
            out = out.append_column(name, keyed[name].take(rows))
    return out


def _first_person(cards: pa.Table) -> pa.Table:
    """The lowest person id of each card (DuckDB: twice as fast as Arrow's group-by on 1.6M cards)."""
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        con.register("cards", cards.select(["card", "person_id"]))
        return con.sql("SELECT card, min(person_id) AS person_id FROM cards GROUP BY card").to_arrow_table()
    finally:
        con.close()


def prepare(
    raw: dict[str, pa.Table], on: date, static: dict[str, pa.Table] | None = None
) -> dict[str, pa.Table]:
    """Normalise the source tables to the columns and types the rules read (same on every backend).
    ``static``: the tables other than episodes and lines as an earlier call prepared them (a snapshot
    prepares them once, not once a month)."""
    fac = raw["facilities"]
    fac_codes = _s(fac["code"])
    fac_levels = pc.fill_null(_i64(fac["level"]), 0)
    ep = raw["episodes"]
    ep_fac = _s(ep["facility_code"])
    at = pc.index_in(ep_fac, value_set=fac_codes)
    levels = pc.fill_null(pc.take(fac_levels, pc.fill_null(at, 0)) if len(fac_codes) else at, 0)
    levels = pc.cast(pc.if_else(pc.is_null(at), 0, levels), pa.int64())
    admitted = _ts(ep["admitted_at"])
    discharged = _ts(ep["discharged_at"])
    episodes = pa.table(
        {
            "episode_id": _i64(ep["id"]),
            "ma_lk": _s(ep["ma_lk"]),
            "facility_code": ep_fac,
            "level": levels,
            "card_number": _s(ep["card_number"]),
            "birth_date": _date(ep["birth_date"]),
            "gender": _i64(ep["gender"]),
            "kind": _s(ep["kind"]),
            "admitted_at": admitted,
            "discharged_at": discharged,
            "admitted_on": pc.cast(admitted, pa.date32()),
            "discharged_on": pc.cast(discharged, pa.date32()),
            "icd_main": _s(ep["icd_main"]),
            "benefit_rate": _i64(ep["benefit_rate"]),
            "practitioner": _s(ep["practitioner"]),
            "total_hi": _i64(ep["total_hi"]),
            "fund_claimed": _i64(ep["fund_claimed"]),
            "treatment_days": _i64(ep["treatment_days"]),
        }
    )
    ln = raw["lines"]
    # attach the episode's facility, level, benefit rate and MA_LK to each line (episode ids are unique:
    # a sorted look-up, cheaper than a hash join of three million lines)
    keyed = episodes.select(["episode_id", "facility_code", "level", "benefit_rate", "ma_lk"])
    lines = pa.table(
        {
            "line_id": _i64(ln["id"]),
            "episode_id": _i64(ln["episode_id"]),
            "kind": _s(ln["kind"]),
            "item_code": _s(ln["item_code"]),
            "quantity_milli": _i64(ln["quantity_milli"]),
            "unit_price_milli": _i64(ln["unit_price_milli"]),
            "payment_rate": _i64(ln["payment_rate"]),
            "amount_hi": _i64(ln["amount_hi"]),
            "practitioner": _s(ln["practitioner"]),
            "ordered_on": _date(ln["ordered_on"]),
            "performed_at": _ts(ln["performed_at"]),
        }
    )
    lines = _attach(lines, keyed)
    fund_share = pc.divide(
        pc.add(pc.multiply(lines["amount_hi"], lines["benefit_rate"]), 50), pa.scalar(100, pa.int64())
    )
    # (no sort: every rule aggregates, and the findings are sorted at the end)
    lines = lines.append_column("fund_share", pc.cast(fund_share, pa.int64()))
    if static is not None:
        return {**static, "episodes": episodes, "lines": lines}
    cards = raw["cards"]
    card_person = _first_person(cards)
    persons = raw["persons"]
    gender = pc.if_else(pc.equal(persons["gender"], "female"), 2, 1)
    params = get_parameters()
    rates = params.rate_by_key("hi_benefit_rate_by_card_digit", on)
    return {
        "episodes": episodes,
        "lines": lines,
        "cards": pa.table(
            {
                "card": _s(cards["card"]),
                "valid_from": _date(cards["valid_from"]),
                "valid_to": _until(cards["valid_to"]),
            }
        ),
        "card_person": pa.table(
            {"card": _s(card_person["card"]), "person_id": _i64(card_person["person_id"])}
        ),
        "persons": pa.table(
            {
                "pid": _i64(persons["id"]),
                "p_birth": _date(persons["birth_date"]),
                "p_gender": _i64(gender),
                "p_death": _date(persons["death_date"]),
            }
        ),
        "services": pa.table(
            {
                "service_code": _s(raw["services"]["service_code"]),
                "facility_level": _i64(raw["services"]["facility_level"]),
                "price": _i64(raw["services"]["price"]),
                "max_per_day": _i64(raw["services"]["max_per_day"]),
                "valid_from": _date(raw["services"]["valid_from"]),
                "valid_to": _until(raw["services"]["valid_to"]),
            }
        ),
        "items": pa.table(
            {
                "i_facility": _s(raw["items"]["facility_code"]),
                "item_code": _s(raw["items"]["item_code"]),
                "tender_price": _i64(raw["items"]["tender_price"]),
                "i_max_per_day": _i64(raw["items"]["max_per_day"]),
                "valid_from": _date(raw["items"]["valid_from"]),
                "valid_to": _until(raw["items"]["valid_to"]),
            }
        ),
        "licences": pa.table(
            {
                "l_facility": _s(raw["licences"]["facility_code"]),
                "service_code": _s(raw["licences"]["service_code"]),
                "valid_from": _date(raw["licences"]["valid_from"]),
                "valid_to": _until(raw["licences"]["valid_to"]),
            }
        ),
        "icd": pa.table(
            {
                "code": _s(raw["icd"]["code"]),
                "sex": _s(raw["icd"]["sex"]),
                "min_age": _i64(raw["icd"]["min_age"]),
                "max_age": _i64(raw["icd"]["max_age"]),
                "high_severity": _bool(raw["icd"]["high_severity"]),
            }
        ),
        "practitioners": pa.table(
            {
                "p_code": _s(raw["practitioners"]["code"]),
                "p_facility": _s(raw["practitioners"]["facility_code"]),
            }
        ),
        "digit_rates": pa.table(
            {
                "d": pa.array(list(rates), pa.string()),
                "card_rate": pa.array([int(v * 100) for v in rates.values()], pa.int64()),
            }
        ),
        "thresholds": _thresholds(on),
    }


def connect(backend: str = "duckdb") -> Any:
    if backend == "duckdb":
        con = ibis.duckdb.connect()
        con.raw_sql("SET threads TO 2")
        con.raw_sql("SET enable_progress_bar = false")
        return con
    if backend == "pyspark":
        from ansinh.claims.spark import spark_connection

        return spark_connection()
    raise ValueError(f"unknown backend {backend!r}")


def register(con: Any, name: str, table: pa.Table) -> Any:
    """Make an Arrow table visible to the backend as ``name`` (DuckDB: zero-copy view)."""
    if con.name == "duckdb":
        con.con.register(name, table)
        return con.table(name)
    # Spark: a temporary view (nothing written to a warehouse directory)
    con._session.createDataFrame(table).createOrReplaceTempView(name)
    return con.table(name)


def inputs(con: Any, tables: dict[str, pa.Table], on: date) -> Inputs:
    registered = {name: register(con, f"claims_{name}", table) for name, table in tables.items()}
    params = get_parameters()
    return Inputs(
        **registered,
        outpatient_limit=params.integer("claims_outpatient_visits_per_month", on),
        tolerance=params.dong("claims_amount_tolerance", on),
    )


@dataclass
class ReviewResult:
    findings: pa.Table
    outcomes: pa.Table
    counts: dict[str, int] = field(default_factory=dict)


def _meta(threshold: int) -> pa.Table:
    rules = list(RULES.values()) + list(SCREENS.values())
    del threshold
    return pa.table(
        {
            "m_code": pa.array([r.code for r in rules], pa.string()),
            "mode": pa.array([r.mode for r in rules], pa.string()),
            "weight": pa.array([r.weight for r in rules], pa.int64()),
        }
    )


FINDINGS_SCHEMA = pa.schema(
    [
        ("episode_id", pa.int64()),
        ("rule_code", pa.string()),
        ("amount", pa.int64()),
        ("evidence", pa.string()),
    ]
)
OUTCOMES_SCHEMA = pa.schema(
    [
        ("episode_id", pa.int64()),
        ("outcome", pa.string()),
        ("risk", pa.int64()),
        ("disallowed", pa.int64()),
        ("approved", pa.int64()),
        ("priority", pa.int64()),
    ]
)


def find_all(t: Inputs) -> pa.Table:
    """Every rule's and screen's findings, computed once: (episode_id, rule_code, amount, evidence, z)."""
    rules = all_findings(t).mutate(z=ibis.literal(0.0))
    found = rules.union(all_screens(t)).to_pyarrow()
    return pa.table(
        {
            **{f.name: pc.cast(found[f.name], f.type) for f in FINDINGS_SCHEMA},
            "z": pc.cast(found["z"], pa.float64()),
        }
    )


def decide(con: Any, t: Inputs, found_table: pa.Table, on: date) -> ReviewResult:
    """Each episode's outcome from its findings (``found_table``, see :func:`find_all`)."""
    found = register(con, "claims_found", found_table)
    threshold = get_parameters().integer("claims_review_risk_threshold", on)
    meta = register(con, "claims_rule_meta", _meta(threshold))
    f = found.join(meta, found.rule_code == meta.m_code)
    risk = ibis.ifelse(f.weight > 0, f.weight, ibis.least(100, (50 + 5 * f.z).floor().cast("int64")))
    f = f.mutate(risk=risk.cast("int64"))
    per = f.group_by("episode_id").aggregate(
        deduct=f.amount.sum(where=f.mode == "deduct"),
        all_amount=f.amount.sum(),
        to_review=(f.mode == "review").cast("int64").max(),
        risk=f.risk.max(),
    )
    ep = t.episodes
    x = ep.left_join(per, ep.episode_id == per.episode_id)
    x = x.select(
        episode_id=ep.episode_id,
        fund_claimed=ep.fund_claimed,
        deduct=x.deduct.fill_null(0),
        all_amount=x.all_amount.fill_null(0),
        to_review=x.to_review.fill_null(0),
        risk=x.risk.fill_null(0),
    )
    to_review = (x.to_review == 1) | (x.risk >= threshold)
    outcome = ibis.ifelse(to_review, "review", ibis.ifelse(x.deduct > 0, "deducted", "accepted"))
    disallowed = ibis.least(x.fund_claimed, ibis.ifelse(to_review, x.all_amount, x.deduct))
    out = x.select(
        episode_id=x.episode_id,
        outcome=outcome,
        risk=x.risk.cast("int64"),
        disallowed=disallowed.cast("int64"),
        approved=(x.fund_claimed - disallowed).cast("int64"),
        priority=(x.risk * x.fund_claimed).cast("int64"),
    )
    raw = out.to_pyarrow()
    oa = pa.table({f.name: pc.cast(raw[f.name], f.type) for f in OUTCOMES_SCHEMA}).sort_by("episode_id")
    fa = found_table.select(FINDINGS_SCHEMA.names).sort_by(
        [("episode_id", "ascending"), ("rule_code", "ascending")]
    )
    counts = {k: 0 for k in ("accepted", "deducted", "review")}
    for value, n in zip(*_value_counts(oa["outcome"]), strict=True):
        counts[value] = n
    return ReviewResult(findings=fa, outcomes=oa, counts=counts)


def evaluate_rules(con: Any, t: Inputs, on: date) -> ReviewResult:
    """Run every rule and screen on backend ``con`` (once), then decide each episode's outcome."""
    return decide(con, t, find_all(t), on)


def _value_counts(col: Any) -> tuple[list[str], list[int]]:
    vc = pc.value_counts(col)
    return vc.field("values").to_pylist(), vc.field("counts").to_pylist()


def review_tables(raw: dict[str, pa.Table], on: date, backend: str = "duckdb") -> ReviewResult:
    con = connect(backend)
    prepared = prepare(raw, on)
    return evaluate_rules(con, inputs(con, prepared, on), on)


# --- a year (or more) with bounded memory ------------------------------------------------------
#
# The episodes and lines of a year do not fit in memory next to the engine's work (5 million episodes,
# 37 million lines for 1.3 million people). They are prepared one month at a time and written as a
# Parquet snapshot; DuckDB then reads the snapshot out of core (projection pushdown, spilling to disk
# beyond ``memory_limit``), running the very same expressions as a month's review: the rules that look
# across months (overlapping stays, outpatient visits per month, one practitioner in two places) see
# every month, and the findings equal those of :func:`review_tables` over the whole year.

MONTHLY = ("episodes", "lines")


def write_snapshot(
    directory: Path, static: dict[str, pa.Table], months: Iterable[dict[str, pa.Table]], on: date
) -> int:
    """Prepare the review's tables and write them under ``directory``: ``static`` holds the source
    tables other than episodes and lines; ``months`` yields each month's ``episodes`` and ``lines`` (one
    month in memory at a time). Returns the number of months written."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in MONTHLY:
        (directory / name).mkdir(exist_ok=True)
        for old in (directory / name).glob("*.parquet"):
            old.unlink()
    n = 0
    fixed: dict[str, pa.Table] | None = None
    # a month is written (in a thread: Parquet encoding releases the GIL) while the next is prepared
    with ThreadPoolExecutor(1) as writer:
        writing: Future[None] | None = None
        for month in months:
            prepared = prepare({**static, **month}, on, fixed)
            if fixed is None:
                fixed = {name: table for name, table in prepared.items() if name not in MONTHLY}
                for name, table in fixed.items():
                    pq.write_table(table, directory / f"{name}.parquet")
            if writing is not None:
                writing.result()
            writing = writer.submit(_write_month, directory, n, prepared["episodes"], prepared["lines"])
            n += 1
            del prepared, month
        if writing is not None:
            writing.result()
    return n


def _write_month(directory: Path, n: int, episodes: pa.Table, lines: pa.Table) -> None:
    for name, table in (("episodes", episodes), ("lines", lines)):
        pq.write_table(table, directory / name / f"{n:03d}.parquet", row_group_size=1 << 20)


def snapshot_months(engine: Engine, periods: Iterable[tuple[int, int]]) -> Iterable[dict[str, pa.Table]]:
    """Each period's episodes and lines from the database, one month at a time (the lines of an id
    range: :func:`prepare` keeps those of the month's episodes)."""
    for period in periods:
        yield _read_month(engine, period)


def review_snapshot(
    directory: Path, on: date, *, memory_limit: str = "4GB", temp_directory: Path | None = None
) -> ReviewResult:
    """Review a snapshot written by :func:`write_snapshot` with DuckDB, out of core."""
    con = ibis.duckdb.connect()
    con.raw_sql("SET threads TO 2")
    con.raw_sql("SET enable_progress_bar = false")
    con.raw_sql("SET preserve_insertion_order = false")
    con.raw_sql(f"SET memory_limit = '{memory_limit}'")
    con.raw_sql(f"SET temp_directory = '{temp_directory or directory / 'spill'}'")
    tables = {}
    for path in sorted(directory.glob("*.parquet")):
        tables[path.stem] = con.read_parquet(path, table_name=f"claims_{path.stem}")
    for name in MONTHLY:
        tables[name] = con.read_parquet(str(directory / name / "*.parquet"), table_name=f"claims_{name}")
    params = get_parameters()
    t = Inputs(
        **tables,
        outpatient_limit=params.integer("claims_outpatient_visits_per_month", on),
        tolerance=params.dong("claims_amount_tolerance", on),
    )
    return evaluate_rules(con, t, on)


def _same_time(now: datetime, n: int, engine: Engine) -> pa.Array:
    """``n`` times the timestamp ``now``; for SQLite already as the ISO text bulk_write would make of it
    (formatting 400,000 equal timestamps one by one takes seconds)."""
    if engine.dialect.name != "sqlite":
        return pa.array([now] * n, pa.timestamp("us", "UTC"))
    one = pc.strftime(pa.array([now.replace(tzinfo=None)], pa.timestamp("us")), format="%Y-%m-%d %H:%M:%S")
    return pa.array([one[0].as_py()] * n, pa.string())


def run_review(
    engine: Engine, period: tuple[int, int] | None = None, *, on: date | None = None, backend: str = "duckdb"
) -> ReviewResult:
    """Review the latest versions of the episodes (of ``period`` = (year, month) when given) and store the
    findings and outcomes; episodes a reviewer has closed keep their decision."""
    on = on or date.today()
    raw = load(engine, period)
    result = review_tables(raw, on, backend)
    where = f" WHERE settle_year = {period[0]} AND settle_month = {period[1]}" if period else ""
    store(engine, result, where)
    return result


def run_year_review(
    engine: Engine,
    year: int,
    *,
    on: date | None = None,
    directory: Path | None = None,
    memory_limit: str = "4GB",
) -> ReviewResult:
    """Review the latest versions of a settlement year's episodes together (the rules that look across
    months see all twelve) with bounded memory: the months are read and prepared one at a time into a
    Parquet snapshot (under ``directory``, or a temporary one), which DuckDB reviews out of core; then
    the findings and outcomes are stored as :func:`run_review` stores them."""
    on = on or date.today()
    false = "0" if engine.dialect.name == "sqlite" else "false"
    sqls = {name: sql.replace("{false}", false) for name, sql in SOURCES.items() if name not in MONTHLY}
    static = read_many(engine, {name: sqls[name] for name in LARGE if name not in MONTHLY})
    static.update({name: _read_small(engine, sql) for name, sql in sqls.items() if name not in LARGE})
    periods = [(year, month) for month in range(1, 13)]
    with tempfile.TemporaryDirectory(prefix="ansinh-claims-year-") as tmp:
        where = directory or Path(tmp)
        write_snapshot(where, static, snapshot_months(engine, periods), on)
        result = review_snapshot(where, on, memory_limit=memory_limit)
    store(engine, result, f" WHERE settle_year = {year}")
    return result


def store(engine: Engine, result: ReviewResult, where: str) -> None:
    """Replace the open findings and outcomes of the episodes ``SELECT id FROM claim_episodes{where}``
    by ``result``'s; episodes a reviewer has closed keep their decision."""
    with engine.connect() as conn:  # a reviewer's closed episodes: a short list, read in process
        closed = conn.exec_driver_sql(
            "SELECT episode_id FROM claim_reviews WHERE closed = "
            + ("1" if engine.dialect.name == "sqlite" else "true")
        ).all()
        start = int(conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM claim_findings").scalar_one()) + 1
    closed_ids = pa.array([row[0] for row in closed], pa.int64())
    keep_f = pc.invert(pc.is_in(result.findings["episode_id"], value_set=closed_ids))
    keep_o = pc.invert(pc.is_in(result.outcomes["episode_id"], value_set=closed_ids))
    findings = result.findings.filter(keep_f)
    outcomes = result.outcomes.filter(keep_o)
    now = datetime.now(UTC)
    n = findings.num_rows
    findings_table = pa.table(
        {
            "id": pa.array(range(start, start + n), pa.int64()),
            "episode_id": findings["episode_id"],
            "rule_code": findings["rule_code"],
            "amount": findings["amount"],
            "evidence": findings["evidence"],
            "status": pa.array(["open"] * n, pa.string()),
        }
    )
    m = outcomes.num_rows
    outcome_table = pa.table(
        {
            "episode_id": outcomes["episode_id"],
            "outcome": outcomes["outcome"],
            "risk": pc.cast(outcomes["risk"], pa.int16()),
            "disallowed": outcomes["disallowed"],
            "approved": outcomes["approved"],
            "priority": outcomes["priority"],
            "closed": pa.array([False] * m, pa.bool_()),
            "reviewed_at": _same_time(now, m, engine),
        }
    )
    scope = "SELECT id FROM claim_episodes" + where
    closed_sql = "1" if engine.dialect.name == "sqlite" else "true"
    before = [
        f"DELETE FROM claim_findings WHERE status = 'open' AND episode_id IN ({scope}) AND episode_id NOT IN "
        f"(SELECT episode_id FROM claim_reviews WHERE closed = {closed_sql})",
        f"DELETE FROM claim_reviews WHERE closed <> {closed_sql} AND episode_id IN ({scope})",
    ]
    bulk_write(engine, {"claim_findings": findings_table, "claim_reviews": outcome_table}, before=before)
