"""Where a close starts from (số dư đầu kỳ): the previous close's snapshot plus what was posted since.

Summing every entry ever posted to learn what is open costs time in proportion to the ledger's
history (4M entries after three years of a 1.3M-person province). Each close therefore leaves a
snapshot that sums the entries up to a mark (``ledger_closes.through_entry_id``):

- ``ledger_balances``: per open employer-month, the open contribution and surcharge of each scheme,
  the month's dues and the surcharge posted on it;
- ``ledger_period_dues``: dues and adjustments per period, all employers (the debt ratio's
  receivable);
- ``ledger_payment_allocations``: how much of each bank payment is allocated.

The next close reads that snapshot and the entries posted after the mark (the *delta*: reversals,
late postings). Employers the delta touches are summed again from their own entries (an index
look-up), so a month the snapshot had as paid and a reversal re-opened comes back whole. With no
close recorded yet (a new or synthetic ledger), everything is summed from the entries: the *full*
path.

The close writes its snapshot in the same transaction as its entries, and records the mark with a
count check: the entries after the previous mark must be exactly those the close read plus those it
posted. If anything else was posted meanwhile the close fails and changes nothing (on PostgreSQL the
write also locks ``ledger_entries`` against inserts, so the count and the mark are exact).

Example: after the close of 2026-09, closing 2026-10 reads ~105k open employer-months instead of
grouping 4M entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ansinh.core.arrow_io import read_query, read_small
from ansinh.ledger.periods import period_indices

SCHEMES = ("si", "hi", "ui")
CELL_SCHEMA = pa.schema(
    [
        ("employer_id", pa.int64()),
        ("period", pa.string()),
        ("scheme", pa.string()),
        ("item", pa.string()),
        ("amount", pa.int64()),
    ]
)
MONTH_SCHEMA = pa.schema(
    [("employer_id", pa.int64()), ("period", pa.string()), ("due", pa.int64()), ("surcharge", pa.int64())]
)
_FULL_SCHEMA = pa.schema(
    [
        ("employer_id", pa.int64()),
        ("period", pa.string()),
        ("scheme", pa.string()),
        ("item", pa.string()),
        ("amount", pa.int64()),
        ("due", pa.int64()),
        ("surcharge", pa.int64()),
        ("n", pa.int64()),
    ]
)
_DELTA_SCHEMA = pa.schema(
    [
        ("employer_id", pa.int64()),
        ("period", pa.string()),
        ("kind", pa.string()),
        ("amount", pa.int64()),
        ("payment_id", pa.int64()),
    ]
)
_SNAPSHOT_SCHEMA = pa.schema(
    [("employer_id", pa.int64()), ("period", pa.string()), ("due", pa.int64()), ("surcharge", pa.int64())]
    + [(f"open_{s}", pa.int64()) for s in SCHEMES]
    + [(f"surcharge_{s}", pa.int64()) for s in SCHEMES]
)
PAY_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("employer_id", pa.int64()),
        ("value_date", pa.date32()),
        ("amount", pa.int64()),
        ("left_amount", pa.int64()),
    ]
)


@dataclass
class Opening:
    """What is open when a close starts, and what it read to know it.

    ``cells``: open contribution/surcharge per employer × period × scheme × item (non-zero);
    ``months``: dues and posted surcharge of the employer-months with an open cell;
    ``period_dues``: dues and adjustments per period (only the periods asked for);
    ``payments``: matched payments with money left, or received from ``window_start`` on;
    ``mark``: the entries with a larger id are not in the snapshot; ``read``: how many entries of
    employer accounts after ``mark`` this opening includes (the count check of the close);
    ``full``: no snapshot was used."""

    cells: pa.Table
    months: pa.Table
    period_dues: dict[str, int]
    payments: pa.Table
    mark: int
    read: int
    full: bool


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ids(values: np.ndarray) -> str:
    return ", ".join(str(int(v)) for v in values)


def last_mark(engine: Engine) -> int | None:
    """The mark of the last close (0 for a close of an empty ledger), or None if none was recorded."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT through_entry_id FROM ledger_closes ORDER BY id DESC LIMIT 1")
        ).first()
    if row is None:
        return None
    return int(row[0] or 0)


def _summed(engine: Engine, employers: np.ndarray | None) -> tuple[pa.Table, pa.Table, int]:
    """Cells and months summed from the entries (of ``employers`` only, when given)."""
    where = "employer_id IS NOT NULL"
    if employers is not None:
        if not len(employers):
            return CELL_SCHEMA.empty_table(), MONTH_SCHEMA.empty_table(), 0
        where += f" AND employer_id IN ({_ids(employers)})"
    rows = read_query(
        engine,
        "SELECT employer_id, period, scheme, item, SUM(amount) AS amount, "
        "SUM(CASE WHEN kind IN ('due', 'adjustment') THEN amount ELSE 0 END) AS due, "
        "SUM(CASE WHEN kind = 'surcharge' THEN amount ELSE 0 END) AS surcharge, COUNT(*) AS n "
        f"FROM ledger_entries WHERE {where} GROUP BY employer_id, period, scheme, item",
        _FULL_SCHEMA,
    )
    read = int(pc.sum(rows["n"]).as_py() or 0)
    cells = rows.filter(pc.not_equal(rows["amount"], 0)).select(CELL_SCHEMA.names)
    open_months = cells.group_by(["employer_id", "period"]).aggregate([])
    months = (
        rows.group_by(["employer_id", "period"])
        .aggregate([("due", "sum"), ("surcharge", "sum")])
        .rename_columns(["employer_id", "period", "due", "surcharge"])
        .join(open_months, ["employer_id", "period"], join_type="inner")
        .select(MONTH_SCHEMA.names)
    )
    return cells.cast(CELL_SCHEMA), months.cast(MONTH_SCHEMA), read


def _from_snapshot(engine: Engine, skip: np.ndarray) -> tuple[pa.Table, pa.Table]:
    """Cells and months from the last close's ``ledger_balances``, except the ``skip`` employers."""
    cols = ", ".join(_SNAPSHOT_SCHEMA.names[4:])
    snap = read_small(
        engine,
        f"SELECT employer_id, period, due, surcharge_posted AS surcharge, {cols} FROM ledger_balances",
        _SNAPSHOT_SCHEMA,
    )
    if len(skip):
        snap = snap.filter(pc.invert(pc.is_in(snap["employer_id"], pa.array(skip, pa.int64()))))
    parts = []
    for item, prefix in (("contribution", "open_"), ("surcharge", "surcharge_")):
        for scheme in SCHEMES:
            column = snap[prefix + scheme]
            nonzero = pc.not_equal(column, 0)
            part = snap.filter(nonzero)
            n = part.num_rows
            parts.append(
                pa.table(
                    {
                        "employer_id": part["employer_id"],
                        "period": part["period"],
                        "scheme": pa.array([scheme] * n, pa.string()),
                        "item": pa.array([item] * n, pa.string()),
                        "amount": part[prefix + scheme],
                    },
                    schema=CELL_SCHEMA,
                )
            )
    return pa.concat_tables(parts), snap.select(MONTH_SCHEMA.names)


def _delta(engine: Engine, mark: int) -> pa.Table:
    return read_small(
        engine,
        "SELECT employer_id, period, kind, amount, payment_id FROM ledger_entries "
        f"WHERE id > {mark} AND employer_id IS NOT NULL",
        _DELTA_SCHEMA,
    )


def _period_dues_full(engine: Engine, periods: list[str]) -> dict[str, int]:
    if not periods:
        return {}
    rows = read_query(
        engine,
        "SELECT period, SUM(amount) AS amount FROM ledger_entries "
        "WHERE kind IN ('due', 'adjustment') AND employer_id IS NOT NULL "
        f"AND period IN ({', '.join(_q(p) for p in periods)}) GROUP BY period",
        pa.schema([("period", pa.string()), ("amount", pa.int64())]),
    )
    return dict(zip(rows["period"].to_pylist(), rows["amount"].to_pylist(), strict=True))


def _period_dues_snapshot(engine: Engine, periods: list[str], delta: pa.Table) -> dict[str, int]:
    if not periods:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT period, amount FROM ledger_period_dues "
                f"WHERE period IN ({', '.join(_q(p) for p in periods)})"
            )
        ).all()
    out = {str(p): int(a) for p, a in rows}
    missing = [p for p in periods if p not in out]
    out.update(_period_dues_full(engine, missing))  # a period no close has summed yet
    dues = delta.filter(pc.is_in(delta["kind"], pa.array(["due", "adjustment"])))
    for period in periods:
        if period in missing:
            continue
        extra = pc.sum(dues.filter(pc.equal(dues["period"], period))["amount"]).as_py()
        out[period] = out.get(period, 0) + int(extra or 0)
    return out


def _payments(engine: Engine, window_start: date, full: bool, delta: pa.Table) -> pa.Table:
    """Matched payments with money left, or received from ``window_start`` (the months closed)."""
    # The full path reads every matched payment: its allocations become the snapshot.
    if full:
        allocated = (
            "(SELECT payment_id, -SUM(amount) AS allocated FROM ledger_entries "
            "WHERE kind = 'payment' AND payment_id IS NOT NULL GROUP BY payment_id)"
        )
        which = ""
    else:
        allocated = "ledger_payment_allocations"
        which = (
            f"AND (p.amount > COALESCE(a.allocated, 0) OR p.value_date >= {_q(window_start.isoformat())}) "
        )
    pays = (read_query if full else read_small)(
        engine,
        "SELECT p.id, p.employer_id, p.value_date, p.amount, "
        "p.amount - COALESCE(a.allocated, 0) AS left_amount "
        f"FROM payments p LEFT JOIN {allocated} a ON a.payment_id = p.id "
        f"WHERE p.status = 'matched' AND p.employer_id IS NOT NULL {which}ORDER BY p.id",
        PAY_SCHEMA,
    )
    moves = delta.filter(pc.and_(pc.equal(delta["kind"], "payment"), pc.is_valid(delta["payment_id"])))
    if full or not moves.num_rows or not pays.num_rows:
        return pays
    # Allocations posted after the snapshot (``amount`` is negative: money taken from the payment).
    per = moves.group_by("payment_id").aggregate([("amount", "sum")])
    ids = pays["id"].to_numpy()
    left = pays["left_amount"].to_numpy().copy()
    where = np.searchsorted(ids, per["payment_id"].to_numpy())
    where = np.minimum(where, len(ids) - 1)
    hit = ids[where] == per["payment_id"].to_numpy()
    np.add.at(left, where[hit], per["amount_sum"].to_numpy()[hit])
    return pays.set_column(4, "left_amount", pa.array(left, pa.int64()))


def open_ledger(
    engine: Engine, year_periods: list[str], window_start: date, *, full: bool = False
) -> Opening:
    """What is open, the dues of ``year_periods`` and the payments the close needs (``full``: summed
    from every entry, whatever the snapshot says)."""
    mark = None if full else last_mark(engine)
    if mark is None:
        cells, months, read = _summed(engine, None)
        return Opening(
            cells,
            months,
            _period_dues_full(engine, year_periods),
            _payments(engine, window_start, True, _DELTA_SCHEMA.empty_table()),
            0,
            read,
            True,
        )
    delta = _delta(engine, mark)
    touched = np.unique(delta["employer_id"].to_numpy())
    snap_cells, snap_months = _from_snapshot(engine, touched)
    cells, months, _ = _summed(engine, touched)
    return Opening(
        pa.concat_tables([snap_cells, cells]),
        pa.concat_tables([snap_months, months]),
        _period_dues_snapshot(engine, year_periods, delta),
        _payments(engine, window_start, False, delta),
        mark,
        delta.num_rows,
        False,
    )


def with_month_index(table: pa.Table) -> pa.Table:
    """``table`` with the month index ``m`` of its ``period`` column."""
    return table.append_column("m", pa.array(period_indices(table["period"]), pa.int64()))


def snapshot_statements(
    is_postgres: bool,
    opening: Opening,
    period: str,
    as_of: date,
    source: str,
    posted: int,
    period_dues: dict[str, int],
    payments_changed: list[int],
) -> tuple[list[str], list[str]]:
    """The statements around the close's write: replace the snapshot rows the close recomputed, and
    record the mark — refused (NOT NULL) unless the entries after the previous mark are exactly those
    the close read plus the ``posted`` ones."""
    before = ["LOCK TABLE ledger_entries IN SHARE ROW EXCLUSIVE MODE"] if is_postgres else []
    before.append("DELETE FROM ledger_balances")
    if period_dues:
        before.append(
            f"DELETE FROM ledger_period_dues WHERE period IN ({', '.join(_q(p) for p in period_dues)})"
        )
    if opening.full:
        before.append("DELETE FROM ledger_payment_allocations")
    elif payments_changed:
        before.append(
            f"DELETE FROM ledger_payment_allocations WHERE payment_id IN ({_ids(np.array(payments_changed))})"
        )
    expected = opening.read + posted
    now = datetime.now(UTC).isoformat(sep=" ")
    after = [
        "INSERT INTO ledger_closes (period, as_of, source, through_entry_id, entries, closed_at) "
        f"SELECT {_q(period)}, {_q(as_of.isoformat())}, {_q(source)}, "
        f"COALESCE(MAX(id), {opening.mark}), CASE WHEN COUNT(*) = {expected} THEN {posted} END, {_q(now)} "
        f"FROM ledger_entries WHERE id > {opening.mark} AND employer_id IS NOT NULL"
    ]
    return before, after


def period_dues_table(period_dues: dict[str, int]) -> pa.Table:
    return pa.table(
        {
            "period": pa.array(list(period_dues), pa.string()),
            "amount": pa.array(list(period_dues.values()), pa.int64()),
        }
    )


def allocations_table(ids: np.ndarray, allocated: np.ndarray) -> pa.Table:
    return pa.table({"payment_id": pa.array(ids, pa.int64()), "allocated": pa.array(allocated, pa.int64())})


__all__ = [
    "Opening",
    "allocations_table",
    "last_mark",
    "open_ledger",
    "period_dues_table",
    "snapshot_statements",
    "with_month_index",
]
