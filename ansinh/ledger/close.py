"""Month-end close (khóa sổ tháng) and rebuild, on the operational database.

The batch reads the operational tables into Arrow (:func:`ansinh.core.arrow_io.read_query`), prices
the months with the Ibis/DuckDB job of :mod:`ansinh.ledger.dues`, runs the in-memory
:class:`~ansinh.ledger.engine.Book` and writes, in ONE transaction (:func:`bulk_write`), the new
entries, the rebuilt arrears snapshot and the month's collection figures. The entries' unique keys
make a close that races another (or runs twice) fail or post nothing; never post twice.

- :func:`close_month` ``(period, as_of, reprice_from)``: prices ``period`` (and, after late
  declarations, every month from ``reprice_from``: the differences are posted as adjustments on
  ``as_of``), allocates every payment received by ``as_of`` and rebuilds the snapshot;
- :func:`rebuild` ``(first, last)``: closes each month in turn at its last day — the initial load of
  a ledger (or the synthetic province); on a ledger already posted it posts nothing.

    $ ansinh ledger close --period 2026-10
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.engine import Engine

import ansinh.all_models  # noqa: F401  (table metadata for the Arrow schemas)
from ansinh.core.arrow_io import BulkIOError, bulk_write, read_query, read_small
from ansinh.core.db import Base
from ansinh.law.parameters import get_parameters
from ansinh.ledger.dues import compute_dues
from ansinh.ledger.engine import Book
from ansinh.ledger.models import check_entries
from ansinh.ledger.opening import (
    Opening,
    allocations_table,
    open_ledger,
    period_dues_table,
    snapshot_statements,
    with_month_index,
)
from ansinh.ledger.periods import last_day, period_index, period_indices, period_text
from ansinh.ledger.snapshot import balances, kpis


@dataclass
class CloseReport:
    """What a close did, with the time of each step (seconds)."""

    first: str
    last: str
    as_of: date
    entries: int = 0
    arrears_rows: int = 0
    timings: dict[str, float] = field(default_factory=dict)


class Timer:
    def __init__(self, report: CloseReport) -> None:
        self.report = report
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.report.timings[name] = round(self.report.timings.get(name, 0.0) + now - self.t, 3)
        self.t = now


def _schema(table: str, *columns: str, **computed: pa.DataType) -> pa.Schema:
    """Arrow types of some columns of a table, plus computed columns (typed results on SQLite too)."""
    cols = Base.metadata.tables[table].c
    fields = [pa.field(c, _arrow(cols[c].type.python_type)) for c in columns]
    return pa.schema(fields + [pa.field(n, t) for n, t in computed.items()])


def _arrow(python_type: type) -> pa.DataType:
    return {int: pa.int64(), str: pa.string(), date: pa.date32()}[python_type]


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


#: Rows per batch of the SQLite driver for reads of millions of rows (its default 1,024 costs ~25%
#: more CPU for the 3.2M participations of the 1.3M-person province).
BIG_BATCH = 65_536


def read_facts(engine: Engine, first: int, last: int) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Participations in force in the months, wage regions, unpaid-leave months."""
    start, end = period_text(first) + "-01", last_day(last).isoformat()
    parts = read_query(
        engine,
        "SELECT person_id, employer_id, scheme, valid_from, valid_to, salary FROM participations "
        f"WHERE employer_id IS NOT NULL AND scheme IN ('si', 'ui', 'hi') AND valid_from <= {_q(end)} "
        f"AND (valid_to IS NULL OR valid_to >= {_q(start)})",
        _schema("participations", "person_id", "employer_id", "scheme", "valid_from", "valid_to", "salary"),
        batch_rows=BIG_BATCH,
    )
    regions = read_small(
        engine,
        "SELECT employer_id, region, valid_from, valid_to FROM employer_regions",
        _schema("employer_regions", "employer_id", "region", "valid_from", "valid_to"),
    )
    leave_rows = read_small(
        engine,
        "SELECT person_id, employer_id, from_period, to_period FROM declarations WHERE kind = 'unpaid_leave'",
        _schema("declarations", "person_id", "employer_id", "from_period", "to_period"),
    ).to_pylist()
    person, employer, month = [], [], []
    for row in leave_rows:
        a = period_index(row["from_period"])
        b = period_index(row["to_period"] or row["from_period"])
        for m in range(max(a, first), min(b, last) + 1):
            person.append(row["person_id"])
            employer.append(row["employer_id"])
            month.append(m)
    leave = pa.table(
        {
            "person_id": pa.array(person, pa.int64()),
            "employer_id": pa.array(employer, pa.int64()),
            "m": pa.array(month, pa.int64()),
        }
    )
    return parts, regions, leave


def load_book(engine: Engine, first: int, last: int, source: str) -> tuple[Book, Opening]:
    """The book as the posted entries, payments, reminders and employer statuses leave it, and the
    opening it started from (:mod:`ansinh.ledger.opening`)."""
    employers = read_small(
        engine,
        "SELECT id, commune_code FROM employers ORDER BY id",
        _schema("employers", "id", "commune_code"),
    )
    year_start = last - last % 12  # the year's months count in the receivable
    opening = open_ledger(
        engine,
        [period_text(m) for m in range(year_start, last + 1) if not first <= m <= last],
        date.fromisoformat(period_text(first) + "-01"),
    )
    dues = with_month_index(_posted_dues(engine, first, last))
    cells = with_month_index(opening.cells)
    months = with_month_index(opening.months)
    known = np.concatenate([dues["m"].to_numpy(), cells["m"].to_numpy()])
    start = min(first, year_start)
    m0 = int(min(start, known.min())) if len(known) else start
    m1 = int(max(last, known.max())) if len(known) else last
    book = Book(
        np.asarray(employers["id"].to_numpy(zero_copy_only=False), np.int64),
        m0,
        m1 - m0 + 1,
        get_parameters(),
        source,
    )
    book.set_areas(employers["commune_code"].to_pylist())
    for period, amount in opening.period_dues.items():
        book.period_dues[period_index(period) - m0] = amount
    book.dues_known[:] = False
    book.dues_known[first - m0 : last - m0 + 1] = True
    book.load_dues(dues)
    if year_start < first:
        _load_dues_outside(engine, book, year_start, first - 1)
    book.load_open(cells, months)
    pays = opening.payments
    if pays.num_rows:
        book.add_payments(
            pays["id"].to_numpy(zero_copy_only=False),
            pays["employer_id"].to_numpy(zero_copy_only=False),
            pays["value_date"].to_numpy(zero_copy_only=False),
            pays["amount"].to_numpy(zero_copy_only=False),
            pays["left_amount"].to_numpy(zero_copy_only=False),
        )
    rem = read_small(
        engine,
        "SELECT employer_id, sent_on, period_from, period_to FROM reminders",
        _schema("reminders", "employer_id", "sent_on", "period_from", "period_to"),
    )
    if rem.num_rows:
        book.add_reminders(
            rem["employer_id"].to_numpy(zero_copy_only=False),
            rem["sent_on"].to_numpy(zero_copy_only=False),
            period_indices(rem["period_from"]),
            period_indices(rem["period_to"]),
        )
    gone = read_small(
        engine,
        "SELECT employer_id, MIN(valid_from) AS valid_from FROM employer_statuses "
        "WHERE status IN ('dissolved', 'absconded') GROUP BY employer_id",
        _schema("employer_statuses", "employer_id", "valid_from"),
    )
    if gone.num_rows:
        idx = book.employer_index(gone["employer_id"].to_numpy(zero_copy_only=False))
        book.closed_on[idx] = gone["valid_from"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    return book, opening


def _posted_dues(engine: Engine, first: int, last: int) -> pa.Table:
    """Dues and adjustments already posted per employer × period × scheme × party × kind for the
    months being priced (the close posts only differences), with the number of entries.

    One month (~60k cells at 1.3M people): summed by the database, the employers driving the query
    so that it walks the (employer_id, period) index. Many months (a repricing): the entries are
    scanned and summed in Arrow — SQLite's GROUP BY into 2M groups took twice as long."""
    window = f"period BETWEEN {_q(period_text(first))} AND {_q(period_text(last))}"
    schema = _schema(
        "ledger_entries",
        "employer_id",
        "period",
        "scheme",
        "party",
        "kind",
        amount=pa.int64(),
        entries=pa.int64(),
    )
    if last - first < 3:
        return read_small(
            engine,
            "SELECT employer_id, period, scheme, party, kind, SUM(amount) AS amount, COUNT(*) AS entries "
            f"FROM ledger_entries WHERE employer_id IN (SELECT id FROM employers) AND {window} "
            "AND kind IN ('due', 'adjustment') GROUP BY employer_id, period, scheme, party, kind",
            schema,
        )
    if engine.dialect.name == "sqlite":
        window = "+" + window  # a unary + keeps SQLite from a skip-scan of the index: a plain scan
    rows = read_query(
        engine,
        "SELECT employer_id, period, scheme, party, kind, amount FROM ledger_entries "
        f"WHERE {window} AND kind IN ('due', 'adjustment')",
        _schema("ledger_entries", "employer_id", "period", "scheme", "party", "kind", "amount"),
        batch_rows=BIG_BATCH,
    )
    rows = rows.filter(pc.is_valid(rows["employer_id"]))
    keys = ["employer_id", "period", "scheme", "party", "kind"]
    sums = rows.group_by(keys).aggregate([("amount", "sum"), ("amount", "count")])
    sums = sums.select([*keys, "amount_sum", "amount_count"]).rename_columns([*keys, "amount", "entries"])
    return sums.cast(schema)


def _load_dues_outside(engine: Engine, book: Book, first: int, last: int) -> None:
    """Dues and adjustments per employer of months ``first``..``last`` (the year's months before
    those priced), summed from the entries: each commune's receivable of the year."""
    sums = read_small(
        engine,
        "SELECT employer_id, period, SUM(amount) AS amount FROM ledger_entries "
        "WHERE employer_id IN (SELECT id FROM employers) "
        f"AND period BETWEEN {_q(period_text(first))} AND {_q(period_text(last))} "
        "AND kind IN ('due', 'adjustment') GROUP BY employer_id, period",
        _schema("ledger_entries", "employer_id", "period", amount=pa.int64()),
    )
    if sums.num_rows:
        e = book.employer_index(sums["employer_id"].to_numpy(zero_copy_only=False))
        m = book.month_index(period_indices(sums["period"]))
        np.add.at(book.dues_outside, (e, m), sums["amount"].to_numpy(zero_copy_only=False))


def _write(
    engine: Engine,
    book: Book,
    opening: Opening,
    period: str,
    as_of: date,
    kpi_rows: list[tuple[pa.Table, pa.Table]],
    timer: Timer,
) -> None:
    """The new entries, the arrears snapshot, the collection figures and the snapshot the next close
    starts from, in one transaction."""
    loaded_left = opening.payments["left_amount"].to_numpy(zero_copy_only=False)
    # In key order, the unique index on the key grows at its end instead of everywhere (3x less work
    # for SQLite on a million entries).
    entries = book.entries().sort_by("key")
    check_entries(entries)
    snapshot = balances(book, as_of)
    kpi = pa.concat_tables([whole for whole, _ in kpi_rows]) if kpi_rows else None
    periods = ", ".join(_q(p) for p in kpi["period"].to_pylist()) if kpi is not None else "''"
    year_start = period_index(period) - period_index(period) % 12
    known = np.flatnonzero(book.dues_known | (np.arange(book.n_months) + book.m0 >= year_start))
    totals = book.period_totals()
    period_dues = {period_text(book.m0 + int(k)): int(totals[k]) for k in known}
    n_loaded = len(loaded_left)
    changed = np.flatnonzero(book.pay_left[:n_loaded] != loaded_left)
    allocated = book.pay_amount[:n_loaded] - book.pay_left[:n_loaded]
    keep = np.arange(n_loaded) if opening.full else changed
    keep = keep[allocated[keep] > 0]
    before, after = snapshot_statements(
        engine.dialect.name == "postgresql",
        opening,
        period,
        as_of,
        book.source,
        entries.num_rows,
        period_dues,
        book.pay_id[changed].tolist(),
    )
    before.append(f"DELETE FROM ledger_kpis WHERE period IN ({periods})")
    before.append(f"DELETE FROM ledger_area_kpis WHERE period IN ({periods})")
    if opening.full and opening.read == 0 and entries.num_rows >= BULK_LOAD_ROWS:
        # The first load of an empty ledger: building the (employer, period) index once, after the
        # rows are in, is several times faster than growing it row by row. Same transaction.
        before.append("DROP INDEX ix_ledger_entries_employer_period")
        after.insert(
            0, "CREATE INDEX ix_ledger_entries_employer_period ON ledger_entries (employer_id, period)"
        )
    tables = {
        "ledger_entries": entries,
        "ledger_balances": snapshot,
        "ledger_period_dues": period_dues_table(period_dues),
        "ledger_payment_allocations": allocations_table(book.pay_id[keep], allocated[keep]),
    }
    if kpi is not None:
        tables["ledger_kpis"] = kpi
        tables["ledger_area_kpis"] = pa.concat_tables([areas for _, areas in kpi_rows])
    timer.lap("entries and snapshot (Arrow)")
    try:
        bulk_write(engine, tables, before=before, after=after, prechecked=["ledger_entries"])
    except BulkIOError as exc:
        if "ledger_closes" in str(exc):
            raise LedgerChanged(
                "entries were posted to the ledger while the close ran; nothing was written — "
                "run the close again"
            ) from exc
        raise
    timer.lap("write (SQLite)")
    timer.report.entries = entries.num_rows
    timer.report.arrears_rows = snapshot.num_rows


#: From this many entries into an empty ledger, the write rebuilds the (employer, period) index after.
BULK_LOAD_ROWS = 500_000


class LedgerChanged(RuntimeError):
    """Entries were posted while a close ran: its snapshot would miss them, so it wrote nothing."""


def close_month(
    engine: Engine,
    period: str,
    *,
    as_of: date | None = None,
    reprice_from: str | None = None,
    source: str = "close",
) -> CloseReport:
    """Close ``period``: post its dues (and the adjustments of ``reprice_from``..``period``), allocate
    payments received by ``as_of`` (default: the period's last day), rebuild the arrears snapshot."""
    last = period_index(period)
    first = period_index(reprice_from) if reprice_from else last
    as_of = as_of or last_day(last)
    report = CloseReport(period_text(first), period, as_of)
    timer = Timer(report)
    parts, regions, leave = read_facts(engine, first, last)
    timer.lap("read facts")
    dues = compute_dues(parts, regions, leave, first=first, last=last)
    timer.lap("dues (Ibis/DuckDB)")
    book, opening = load_book(engine, first, last, source)
    timer.lap("read ledger")
    book.close(as_of, dues, np.arange(first, last + 1, dtype=np.int64))
    kpi = kpis(book, last, as_of)
    timer.lap("post and allocate")
    _write(engine, book, opening, period, as_of, [kpi], timer)
    return report


def rebuild(
    engine: Engine,
    first_period: str,
    last_period: str,
    *,
    source: str = "rebuild",
    progress: Callable[[str], None] | None = None,
) -> CloseReport:
    """Close every month from ``first_period`` to ``last_period`` at its last day, in memory, then
    write everything in one transaction."""
    first, last = period_index(first_period), period_index(last_period)
    report = CloseReport(first_period, last_period, last_day(last))
    timer = Timer(report)
    parts, regions, leave = read_facts(engine, first, last)
    timer.lap("read facts")
    dues = compute_dues(parts, regions, leave, first=first, last=last)
    timer.lap("dues (Ibis/DuckDB)")
    book, opening = load_book(engine, first, last, source)
    timer.lap("read ledger")
    kpi_rows = replay(book, dues, first, last, progress)
    timer.lap("post and allocate")
    _write(engine, book, opening, last_period, last_day(last), kpi_rows, timer)
    return report


def replay(
    book: Book,
    dues: pa.Table,
    first: int,
    last: int,
    progress: Callable[[str], None] | None = None,
    after_close: Callable[[Book, int, date], None] | None = None,
) -> list[tuple[pa.Table, pa.Table]]:
    """Close each month in turn (dues of the month, payments received by its last day); the
    collection figures of each month, for the whole ledger and per commune."""
    rows = []
    prepared = book.prepare(dues)
    for m in range(first, last + 1):
        as_of = last_day(m)
        book.close(as_of, prepared, np.array([m], np.int64))
        if after_close is not None:
            after_close(book, m, as_of)
        rows.append(kpis(book, m, as_of))
        if progress:
            progress(period_text(m))
    return rows
