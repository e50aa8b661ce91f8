"""The coverage batch on the operational database: read the facts, compute, write the snapshot.

    $ ansinh coverage compute --to 2026-10 --months 36

:func:`read_facts` reads the registry (the participations only for the spells that meet the
window, in :data:`PART_SLICES` id ranges at once), the denominators, the ledger (pre-aggregated
per commune, period and posting month in the database, and only the entries posted since the last
run) and — when issue 8's tables exist — the benefits tables into Arrow
(:func:`ansinh.core.arrow_io.read_query` for the big results, through SQLite worker processes;
:func:`ansinh.core.arrow_io.read_small` in this process for the small ones);
:func:`compute_and_write` runs :func:`ansinh.coverage.indicators.compute`, projects every headline
indicator of every area to its target year (:mod:`ansinh.coverage.projection`) and replaces the
snapshot in one transaction (:func:`write_snapshot`). Running it twice gives the same snapshot.

The registry is read afresh every run: participations are effective-dated but not append-only (a
declaration closes a spell with a past date, a merge or a correction rewrites rows) and carry no
change stamp, so a cache of counts could not know which months a change touched. On the 1.3M-person
province the reads are about two thirds of the batch's CPU time (``bench/bench_coverage.py``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from ansinh.core.arrow_io import bulk_write, read_query, read_small
from ansinh.core.db import unit_of_work
from ansinh.coverage import indicators as ind
from ansinh.coverage.definitions import HEADLINE, INDICATORS
from ansinh.coverage.models import Run
from ansinh.coverage.projection import MODEL, project
from ansinh.coverage.targets import governing, targets
from ansinh.law.periods import Period

BENEFIT_TABLES = ("benefit_cases", "beneficiaries", "benefit_payments")
PROJECTION_SCHEMA = pa.schema(
    [
        ("area_code", pa.string()),
        ("indicator", pa.string()),
        ("last_period", pa.string()),
        ("last_value", pa.float64()),
        ("slope_per_year", pa.float64()),
        ("target_year", pa.int16()),
        ("target", pa.float64()),
        ("target_source", pa.string()),
        ("projected", pa.float64()),
        ("lower", pa.float64()),
        ("upper", pa.float64()),
        ("status", pa.string()),
        ("needed_per_month", pa.int64()),
        ("path", pa.string()),
        ("model", pa.string()),
    ]
)


@dataclass
class RunReport:
    first: str
    last: str
    rows: int = 0
    projections: int = 0
    missing: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: CPU seconds of each step: this process (all its threads) and its finished child processes
    #: (the SQLite workers). On a shared machine it says what a step costs, whatever the load.
    cpu: dict[str, float] = field(default_factory=dict)


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have finished."""
    t = os.times()
    return time.process_time() + t.children_user + t.children_system


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def existing_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _as_days(schema: pa.Schema) -> pa.Schema:
    """The schema with its date columns read as integers (days since 1970-01-01)."""
    return pa.schema([pa.field(f.name, pa.int64()) if pa.types.is_date(f.type) else f for f in schema])


def _dates(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Integer days back to date32 (zero copy: a date32 is a day count)."""
    for f in schema:
        if pa.types.is_date(f.type):
            i = table.schema.get_field_index(f.name)
            table = table.set_column(i, f.name, pc.cast(pc.cast(table[f.name], pa.int32()), pa.date32()))
    return table


LEDGER_CACHE = pa.schema([*ind.LEDGER_CELLS_RAW, pa.field("upto_id", pa.int64())])


def merge_cells(cached: pa.Table | None, new: pa.Table) -> pa.Table:
    """The cached cells plus the cells of the entries posted since (summed per key)."""
    if cached is None or cached.num_rows == 0:
        return new
    both = pa.concat_tables(
        [cached.select(ind.LEDGER_CELLS_RAW.names), new.select(ind.LEDGER_CELLS_RAW.names)]
    )
    summed = both.group_by(["commune_code", "period", "posted"]).aggregate(
        [("receivable", "sum"), ("amount", "sum")]
    )
    return (
        summed.rename_columns(["commune_code", "period", "posted", "receivable", "amount"])
        .select(ind.LEDGER_CELLS_RAW.names)
        .cast(ind.LEDGER_CELLS_RAW)
    )


#: Rows per batch of SQLite's ADBC driver for the big reads (its default, 1,024, makes 4,000
#: batches of the participations).
BATCH_ROWS = 65_536
#: The participations are read in this many id ranges at the same time (a worker process each on
#: SQLite, a connection each on PostgreSQL).
PART_SLICES = 2
#: A benefits table of at most this many rows is read in this process, not by a worker process.
SMALL_ROWS = 100_000


def read_facts(
    engine: Engine, province: str, *, full: bool = False, window: tuple[int, int] | None = None
) -> ind.Facts:
    """Everything the batch needs, as Arrow tables. The big reads run at the same time (each in its
    own worker process on SQLite), the participations in :data:`PART_SLICES` id ranges.

    ``window`` (first, last month index): only the spells in force at some time from the month
    before ``first`` to ``last`` are read — the others give no month of the window (same figures,
    fewer rows once the registry holds decades of spells)."""
    tables = existing_tables(engine)
    sqlite = engine.url.get_backend_name() == "sqlite"

    def days(column: str) -> str:
        """Days since 1970-01-01 as an integer: cheaper to move than ISO text (SQLite keeps dates as
        text; an Arrow date32 is the same integer)."""
        if sqlite:
            return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"
        return f"({column} - DATE '1970-01-01')"

    communes = read_small(
        engine,
        f"SELECT code FROM communes WHERE province_code = {_q(province)} ORDER BY code",
        pa.schema([("code", pa.string())]),
    )
    codes = [str(c) for c in communes["code"].to_pylist()]
    denominators = read_small(
        engine,
        "SELECT area_code, year, population, labour_force, working_age_population FROM coverage_denominators",
        ind.DENOMS,
    )
    big: dict[str, tuple[str, pa.Schema]] = {
        "persons": (
            f"SELECT id, commune_code, gender, {days('birth_date')} AS birth_date, "
            f"{days('death_date')} AS death_date FROM persons WHERE merged_into_id IS NULL",
            _as_days(ind.PERSONS),
        ),
    }
    in_window = ""
    if window is not None:
        since = ind.first_day(window[0] - 1).isoformat()
        until = ind.first_day(window[1] + 1).isoformat()
        in_window = f" AND valid_from < {_q(until)} AND (valid_to IS NULL OR valid_to >= {_q(since)})"
    ids = read_small(
        engine,
        # two sub-queries: SQLite answers MIN and MAX from the primary key only one at a time
        "SELECT (SELECT MIN(id) FROM participations) AS lo, (SELECT MAX(id) FROM participations) AS hi",
        pa.schema([("lo", pa.int64()), ("hi", pa.int64())]),
    )
    lo, hi = (ids[c][0].as_py() or 0 for c in ("lo", "hi"))
    step = (hi - lo) // PART_SLICES + 1
    part_names = []
    for i in range(PART_SLICES):
        name = f"participations_{i}"
        part_names.append(name)
        big[name] = (
            f"SELECT person_id, scheme, {days('valid_from')} AS valid_from, "
            f"{days('valid_to')} AS valid_to, COALESCE(hi_group, '') AS hi_group FROM participations "
            f"WHERE id >= {lo + i * step} AND id < {lo + (i + 1) * step} "
            f"AND scheme IN ('si', 'vsi', 'ui', 'hi'){in_window}",
            _as_days(ind.PARTS),
        )
    watermark = 0
    cached = None
    if "ledger_entries" in tables:
        cached = (
            None
            if full
            else read_small(
                engine,
                "SELECT commune_code, period, posted, receivable, amount, upto_id FROM coverage_ledger_cells",
                LEDGER_CACHE,
            )
        )
        latest = read_small(
            engine, "SELECT MAX(id) AS id FROM ledger_entries", pa.schema([("id", pa.int64())])
        )
        top = latest["id"][0].as_py() or 0
        if cached is not None and cached.num_rows:
            watermark = int(pc.max(cached["upto_id"]).as_py())
            if top < watermark:  # the ledger was rebuilt under us: start again
                cached, watermark = None, 0
        big["ledger_cells"] = (
            "SELECT e.commune_code AS commune_code, le.period AS period, "
            "substr(CAST(le.posted_on AS TEXT), 1, 7) AS posted, "
            "SUM(CASE WHEN le.kind IN ('due', 'adjustment') THEN le.amount ELSE 0 END) AS receivable, "
            "SUM(le.amount) AS amount "
            "FROM ledger_entries le JOIN employers e ON e.id = le.employer_id "
            f"WHERE le.id > {watermark} AND le.id <= {top} "
            "AND le.employer_id IS NOT NULL AND le.item = 'contribution' "
            "GROUP BY e.commune_code, le.period, substr(CAST(le.posted_on AS TEXT), 1, 7)",
            ind.LEDGER_CELLS_RAW,
        )
    benefit_sql = {
        "beneficiaries": (
            "SELECT person_id, kind, start_period, COALESCE(end_period, '') AS end_period FROM beneficiaries",
            ind.BENEFICIARIES,
        ),
        "benefit_cases": (
            "SELECT person_id, kind, status, decided_on FROM benefit_cases WHERE decided_on IS NOT NULL",
            ind.CASES,
        ),
        "benefit_payments": (
            "SELECT person_id, period, channel, status FROM benefit_payments",
            ind.BENEFIT_PAYMENTS,
        ),
    }
    # Aggregated or short results are read in this process (a worker's start costs more than they
    # do): the ledger cells always, a benefits table while it has at most SMALL_ROWS rows.
    small = {name: big.pop(name) for name in ("ledger_cells",) if name in big}
    for name, spec in benefit_sql.items():
        if name in tables:
            rows = read_small(engine, f"SELECT COUNT(*) AS n FROM {name}", pa.schema([("n", pa.int64())]))
            (small if rows["n"][0].as_py() <= SMALL_ROWS else big)[name] = spec
    with ThreadPoolExecutor(max_workers=PART_SLICES + 2) as pool:
        futures = {
            name: pool.submit(read_query, engine, sql, schema, batch_rows=BATCH_ROWS)
            for name, (sql, schema) in big.items()
        }
        futures.update(
            {name: pool.submit(read_small, engine, sql, schema) for name, (sql, schema) in small.items()}
        )
        read = {name: f.result() for name, f in futures.items()}
    facts = ind.Facts(
        province,
        codes,
        _dates(read["persons"], ind.PERSONS),
        _dates(pa.concat_tables([read[name] for name in part_names]), ind.PARTS),
        denominators,
    )
    if "ledger_cells" in read:
        facts.ledger_cells = merge_cells(cached, read["ledger_cells"])
        facts.ledger_upto = top
        facts.ledger_kpis = read_small(
            engine,
            "SELECT period, receivable_ytd, arrears_late, arrears_collectible, arrears_open FROM ledger_kpis",
            ind.KPIS,
        )
    else:
        facts.missing.append("ledger_entries")
    for name in benefit_sql:
        if name in read:
            setattr(facts, name, read[name])
        else:
            facts.missing.append(name)
    return facts


def projections(snapshot: pa.Table, province: str, last: int) -> pa.Table:
    """Trend, projection and status of every headline indicator of every area."""
    at = Period.from_index(last).first_day
    applicable = targets(province, at)
    year = last // 12
    series: dict[tuple[str, str], tuple[list[int], list[float], int, int | None]] = {}
    cols = {
        c: snapshot[c].to_pylist()
        for c in ("area_code", "period", "indicator", "numerator", "denominator", "value")
    }
    for area, period, code, num, den, value in zip(*cols.values(), strict=True):
        if code not in HEADLINE:
            continue
        months, values, _n, _d = series.setdefault((area, code), ([], [], 0, None))
        m = Period.parse(period).index
        months.append(m)
        values.append(value)
        series[(area, code)] = (months, values, num, den)
    rows: dict[str, list[object]] = {name: [] for name in PROJECTION_SCHEMA.names}
    for (area, code), (months, values, num, den) in sorted(series.items()):
        order = sorted(range(len(months)), key=months.__getitem__)
        months = [months[i] for i in order]
        values = [values[i] for i in order]
        target = governing(applicable, code, year)
        result = project(
            months,
            values,
            target.year if target else None,
            float(target.value) if target else None,
            target.direction if target else "min",
            numerator=num,
            denominator=den,
        )
        row = {
            "area_code": area,
            "indicator": code,
            "last_period": ind.period_text(months[-1]),
            "last_value": result.last_value,
            "slope_per_year": result.slope_per_year,
            "target_year": target.year if target else None,
            "target": float(target.value) if target else None,
            "target_source": target.source[:200] if target else None,
            "projected": result.projected,
            "lower": result.lower,
            "upper": result.upper,
            "status": result.status,
            "needed_per_month": result.needed_per_month,
            "path": result.path_json(),
            "model": MODEL,
        }
        for k, v in row.items():
            rows[k].append(v)
    return pa.table(rows, schema=PROJECTION_SCHEMA)


def default_window(months: int = 36, last: str | None = None, today: date | None = None) -> tuple[int, int]:
    """(first, last) month indices: ``last`` (default the month before today) and the months before."""
    end = Period.parse(last).index if last else Period.of(today or date.today()).index - 1
    return end - months + 1, end


def write_snapshot(engine: Engine, tables: dict[str, pa.Table], before: list[str]) -> None:
    """In one transaction: the ``before`` statements, then the tables appended. The snapshot is
    small (communes × months × indicators): on SQLite it goes through this process's own sqlite3
    (prepared inserts), which costs less than starting a worker process; on PostgreSQL through
    :func:`ansinh.core.arrow_io.bulk_write` (binary COPY)."""
    if engine.url.get_backend_name() != "sqlite":
        bulk_write(engine, tables, before=before)
        return
    with engine.begin() as conn:
        for statement in before:
            conn.exec_driver_sql(statement)
        for name, data in tables.items():
            if not data.num_rows:
                continue
            columns = ", ".join(data.column_names)
            marks = ", ".join("?" * data.num_columns)
            rows = list(zip(*(data[c].to_pylist() for c in data.column_names), strict=True))
            conn.exec_driver_sql(f"INSERT INTO {name} ({columns}) VALUES ({marks})", rows)


def compute_and_write(
    engine: Engine,
    province: str,
    first: int,
    last: int,
    *,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
) -> RunReport:
    """Compute the snapshot of months ``first``..``last`` and replace it in the database. The ledger
    is read incrementally (the entries posted since the last run) unless ``full``."""
    report = RunReport(ind.period_text(first), ind.period_text(last))
    t0 = time.perf_counter()
    t, c = t0, cpu_seconds()

    def lap(name: str) -> None:
        nonlocal t, c
        now, cpu = time.perf_counter(), cpu_seconds()
        report.timings[name] = round(now - t, 3)
        report.cpu[name] = round(cpu - c, 3)
        t, c = now, cpu
        if progress:
            progress(name)

    facts = read_facts(engine, province, full=full, window=(first, last))
    report.missing = facts.missing
    lap("read")
    snapshot = ind.compute(facts, first, last)
    lap("indicators")
    proj = projections(snapshot, province, last)
    lap("projections")
    tables = {"coverage_indicators": snapshot, "coverage_projections": proj}
    before = []
    if facts.ledger_cells is not None:
        cells = facts.ledger_cells
        tables["coverage_ledger_cells"] = cells.append_column(
            "upto_id", pa.array([facts.ledger_upto] * cells.num_rows, pa.int64())
        )
        before.append("DELETE FROM coverage_ledger_cells")
    write_snapshot(
        engine,
        tables,
        before=[
            *before,
            f"DELETE FROM coverage_indicators WHERE period BETWEEN {_q(report.first)} AND {_q(report.last)}",
            "DELETE FROM coverage_projections",
        ],
    )
    lap("write")
    report.rows, report.projections = snapshot.num_rows, proj.num_rows
    with unit_of_work(engine) as session:
        session.add(
            Run(
                first_period=report.first,
                last_period=report.last,
                rows=report.rows,
                seconds=round(time.perf_counter() - t0, 3),
                notes=("no data: " + ", ".join(facts.missing)) if facts.missing else "",
                computed_at=datetime.now(UTC),
            )
        )
    return report


def known_indicator(code: str) -> bool:
    return code in INDICATORS
