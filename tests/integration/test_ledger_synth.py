"""The synthetic province's ledger, once written, is the one the database path would post: the balance
check holds, closing the last month again posts nothing, and the demo shows realistic arrears."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ansinh.core.db import unit_of_work
from ansinh.ledger.close import close_month
from ansinh.ledger.models import LedgerBalance, LedgerKpi, Payment, Reminder
from ansinh.ledger.queries import check
from ansinh.synth.context import SynthConfig
from ansinh.synth.province import generate
from ansinh.synth.writer import write_province


def test_synthetic_ledger_balances_and_is_stable(engine: Engine) -> None:
    ctx = generate(SynthConfig(people=4_000, seed=3), parts=["ledger"])
    write_province(engine, ctx)
    with unit_of_work(engine) as s:
        result = check(s)
        assert result.ok, result.problems[:5]
        assert s.scalar(select(func.count()).select_from(Payment)) > 100
        assert s.scalar(select(func.count()).select_from(Reminder)) > 0
        statuses = set(s.scalars(select(LedgerBalance.status).distinct()))
        assert {"late", "due"} <= statuses
        last = s.scalar(select(LedgerKpi).order_by(LedgerKpi.period.desc()).limit(1))
        assert last is not None and last.period == "2026-10" and last.arrears_late > 0
    assert close_month(engine, "2026-10").entries == 0
