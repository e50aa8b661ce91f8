"""The same bank statement imported by two processes at the same moment is credited once (the unique
transaction id and ``ON CONFLICT DO NOTHING``), and two closes racing each other post nothing twice."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ansinh.core.db import make_engine, unit_of_work
from ansinh.ledger.close import close_month, rebuild
from ansinh.ledger.models import LedgerEntry, Payment
from ansinh.ledger.queries import check
from tests.integration.test_ledger_core import TAX, seed_ledger, statement


def _import(url: str, path: str, barrier: mp.synchronize.Barrier, out: mp.Queue) -> None:  # type: ignore[type-arg]
    from ansinh.ledger.payments import import_statement

    engine = make_engine(url)
    barrier.wait()
    report = import_statement(engine, Path(path), actor="proc")
    out.put(report.credited)
    engine.dispose()


def _close(url: str, barrier: mp.synchronize.Barrier, out: mp.Queue) -> None:  # type: ignore[type-arg]
    engine = make_engine(url)
    barrier.wait()
    try:
        out.put(close_month(engine, "2026-04").entries)
    except Exception as exc:  # the loser of the race fails on the unique keys: nothing is posted twice
        out.put(type(exc).__name__)
    engine.dispose()


def _run(target, args_of, n: int = 2) -> list[object]:  # type: ignore[no-untyped-def]
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(n)
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args_of(i), barrier, out)) for i in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    return [out.get(timeout=5) for _ in procs]


def test_two_processes_import_the_same_statement(engine: Engine, tmp_path: Path) -> None:
    seed_ledger(engine)
    rebuild(engine, "2026-01", "2026-03")
    rows = [(f"FT{i:04d}", "15/04/2026", "1.000.000", f"MST {TAX}") for i in range(200)]
    path = statement(tmp_path, rows)
    other = statement(tmp_path, rows, name="same_transactions_other_file.csv")
    url = engine.url.render_as_string(hide_password=False)
    credited = _run(_import, lambda i: (url, str(path if i == 0 else other)))
    assert sorted(credited) == [0, 200] or sum(int(str(c)) for c in credited) == 200
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 200
        assert s.scalar(select(func.sum(Payment.amount))) == 200_000_000
    results = _run(_close, lambda i: (url,))
    with unit_of_work(engine) as s:

        def total(*where: object) -> int:
            return int(s.scalar(select(func.sum(LedgerEntry.amount)).where(*where)) or 0)

        # the first employer's dues Jan–Apr (4 × 3,200,000) are paid once, then its surcharges
        assert -total(LedgerEntry.kind == "payment", LedgerEntry.item == "contribution") == 4 * 3_200_000
        surcharges = total(LedgerEntry.kind == "surcharge")
        assert surcharges > 0
        assert -total(LedgerEntry.kind == "payment", LedgerEntry.item == "surcharge") == surcharges
        assert check(s).ok
    assert any(isinstance(r, int) and r > 0 for r in results)
