"""A close starts from the previous close's snapshot plus the entries posted since; that opening must
equal the one summed from every entry, also after reversals touched the snapshot's months, and a
close that raced another posting must write nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ansinh.core.db import unit_of_work
from ansinh.ledger.close import LedgerChanged, close_month, load_book
from ansinh.ledger.models import LedgerBalance, LedgerClose, LedgerEntry, Payment
from ansinh.ledger.opening import Opening, open_ledger
from ansinh.ledger.payments import reverse_payment
from ansinh.ledger.periods import period_index
from ansinh.ledger.queries import check
from ansinh.synth.context import SynthConfig
from ansinh.synth.province import generate
from ansinh.synth.writer import write_province

YEAR = [f"2026-{m:02d}" for m in range(1, 11)]


def _rows(table: pa.Table, keys: list[str]) -> list[tuple[object, ...]]:
    return sorted(tuple(r[k] for k in keys) for r in table.to_pylist())


def _same(a: Opening, b: Opening, window: date) -> None:
    assert _rows(a.cells, ["employer_id", "period", "scheme", "item", "amount"]) == _rows(
        b.cells, ["employer_id", "period", "scheme", "item", "amount"]
    )
    assert _rows(a.months, ["employer_id", "period", "due", "surcharge"]) == _rows(
        b.months, ["employer_id", "period", "due", "surcharge"]
    )
    assert a.period_dues == b.period_dues

    def pays(o: Opening) -> list[tuple[object, ...]]:
        rows = [r for r in o.payments.to_pylist() if r["left_amount"] > 0 or r["value_date"] >= window]
        return sorted((r["id"], r["employer_id"], r["amount"], r["left_amount"]) for r in rows)

    assert pays(a) == pays(b)


def test_opening_from_snapshot_equals_full_sum(engine: Engine) -> None:
    ctx = generate(SynthConfig(people=4_000, seed=3), parts=["ledger"])
    write_province(engine, ctx)
    window = date(2026, 11, 1)
    # No close recorded yet: the first close sums everything and leaves the snapshot and its mark.
    assert close_month(engine, "2026-10").entries == 0
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(LedgerClose)) == 1
    _same(open_ledger(engine, YEAR, window), open_ledger(engine, YEAR, window, full=True), window)

    # Reversals after the close re-open months the snapshot had as paid: the delta path.
    with unit_of_work(engine) as s:
        paid = list(
            s.scalars(
                select(Payment.id)
                .join(LedgerEntry, LedgerEntry.payment_id == Payment.id)
                .where(Payment.status == "matched")
                .group_by(Payment.id)
                .order_by(Payment.id)
                .limit(3)
            )
        )
        assert len(paid) == 3
        for pid in paid:
            reverse_payment(s, pid, actor="test", reason="bank recall", on=date(2026, 11, 3))
    incremental = open_ledger(engine, YEAR, window)
    assert not incremental.full and incremental.read > 0
    _same(incremental, open_ledger(engine, YEAR, window, full=True), window)

    # A new payment and the next month's close, from the snapshot; the ledger still balances.
    with unit_of_work(engine) as s:
        employer_id = s.scalar(
            select(LedgerBalance.employer_id).where(LedgerBalance.open_amount > 0).limit(1)
        )
        s.add(
            Payment(
                bank_txn_id="TEST-NOV-1",
                value_date=date(2026, 11, 20),
                amount=5_000_000,
                employer_id=employer_id,
                matched_by="manual",
                status="matched",
                source="test",
                imported_at=datetime.now(UTC),
            )
        )
    report = close_month(engine, "2026-11")
    assert report.entries > 0
    with unit_of_work(engine) as s:
        result = check(s)
        assert result.ok, result.problems[:5]
    _same(open_ledger(engine, YEAR, window), open_ledger(engine, YEAR, window, full=True), window)
    assert close_month(engine, "2026-11").entries == 0


def test_close_refuses_when_entries_arrive_meanwhile(engine: Engine) -> None:
    ctx = generate(SynthConfig(people=2_000, seed=5), parts=["ledger"])
    write_province(engine, ctx)
    close_month(engine, "2026-10")
    last = period_index("2026-11")
    book, opening = load_book(engine, last, last, "close")
    # Another officer reverses a payment while this close is computing.
    with unit_of_work(engine) as s:
        pid = s.scalar(
            select(Payment.id)
            .join(LedgerEntry, LedgerEntry.payment_id == Payment.id)
            .where(Payment.status == "matched")
            .limit(1)
        )
        assert pid is not None
        reverse_payment(s, pid, actor="test", reason="recall", on=date(2026, 11, 2))
    from ansinh.ledger.close import CloseReport, Timer, _write

    book.close(date(2026, 11, 30))
    with unit_of_work(engine) as s:
        before = s.scalar(select(func.count()).select_from(LedgerEntry))
    with pytest.raises(LedgerChanged):
        _write(
            engine,
            book,
            opening,
            "2026-11",
            date(2026, 11, 30),
            [],
            Timer(CloseReport("2026-11", "2026-11", date(2026, 11, 30))),
        )
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(LedgerEntry)) == before
        assert s.scalar(select(func.count()).select_from(LedgerClose)) == 1
    # Run again, it goes through and the ledger balances.
    close_month(engine, "2026-11")
    with unit_of_work(engine) as s:
        assert check(s).ok


def test_posted_dues_summed_by_the_database_or_in_arrow(engine: Engine) -> None:
    """A month's posted dues are summed by the database, a repricing's many months in Arrow: the
    same cells; and repricing every month of the synthetic ledger posts nothing."""
    from ansinh.ledger.close import _posted_dues

    ctx = generate(SynthConfig(people=2_000, seed=4), parts=["ledger"])
    write_province(engine, ctx)
    first, last = period_index("2026-01"), period_index("2026-06")
    keys = ["employer_id", "period", "scheme", "party", "kind", "amount", "entries"]
    by_month = [r for m in range(first, last + 1) for r in _rows(_posted_dues(engine, m, m), keys)]
    assert len(by_month) > 500
    assert sorted(by_month) == _rows(_posted_dues(engine, first, last), keys)
    assert close_month(engine, "2026-10", reprice_from="2025-01").entries == 0
