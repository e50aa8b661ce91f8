"""Collection figures per commune (ledger_area_kpis): every employer has a commune, so each month's
commune figures add up to the province's, figure by figure — after the synthetic replay, after a
month-end close that reads the year's earlier dues per employer (the close path), and after a full
rebuild. A commune-scoped dashboard shows its commune's row, the province scope the whole ledger."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from ansinh.core.db import unit_of_work
from ansinh.core.scope import AreaScope
from ansinh.ledger.close import close_month, rebuild
from ansinh.ledger.debt_ratio import Variant
from ansinh.ledger.models import LedgerAreaKpi, LedgerKpi
from ansinh.ledger.queries import dashboard
from ansinh.synth.context import SynthConfig
from ansinh.synth.province import generate
from ansinh.synth.writer import write_province

FIGURES = (
    "receivable",
    "receivable_ytd",
    "collected",
    "arrears_late",
    "arrears_collectible",
    "arrears_open",
    "surcharge_accrued",
    "employers_late",
)


def _compare(engine: Engine) -> set[str]:
    """Every period's commune rows summed against its province row; the periods compared."""
    with unit_of_work(engine) as s:
        whole = {k.period: k for k in s.scalars(select(LedgerKpi))}
        sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
        communes: dict[str, set[str]] = defaultdict(set)
        for row in s.scalars(select(LedgerAreaKpi)):
            communes[row.period].add(row.area_code)
            for name in FIGURES:
                sums[row.period][name] += getattr(row, name)
    assert set(sums) == set(whole)
    for period, k in whole.items():
        assert len(communes[period]) > 1, period
        assert sums[period] == {name: getattr(k, name) for name in FIGURES}, period
    return set(whole)


def test_commune_figures_add_up_to_the_province(engine: Engine) -> None:
    ctx = generate(SynthConfig(people=4_000, seed=5), parts=["ledger"])
    write_province(engine, ctx)
    periods = _compare(engine)  # the synthetic replay
    assert len(periods) >= 12

    # The close of the next month reads January–October's dues per employer (not in its window).
    assert close_month(engine, "2026-11", as_of=date(2026, 11, 30)).entries > 0
    assert "2026-11" in _compare(engine)
    with unit_of_work(engine) as s:
        nov = s.get(LedgerKpi, "2026-11")
        assert nov is not None and nov.receivable_ytd > 11 * nov.receivable // 2  # the year's dues

    # A full rebuild into an emptied ledger gives the same figures, per commune too.
    with unit_of_work(engine) as s:
        before = {(r.period, r.area_code): r.arrears_late for r in s.scalars(select(LedgerAreaKpi))}
        first = min(k.period for k in s.scalars(select(LedgerKpi)))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE ledger_entries DISABLE TRIGGER USER"))
        for table in (
            "ledger_entries",
            "ledger_balances",
            "ledger_kpis",
            "ledger_area_kpis",
            "ledger_closes",
            "ledger_period_dues",
            "ledger_payment_allocations",
        ):
            conn.execute(text(f"DELETE FROM {table}"))
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE ledger_entries ENABLE TRIGGER USER"))
    rebuild(engine, first, "2026-11")
    _compare(engine)
    with unit_of_work(engine) as s:
        after = {(r.period, r.area_code): r.arrears_late for r in s.scalars(select(LedgerAreaKpi))}
    assert after == before


def test_dashboard_by_scope(engine: Engine) -> None:
    ctx = generate(SynthConfig(people=3_000, seed=6), parts=["ledger"])
    write_province(engine, ctx)
    variant = Variant()
    with unit_of_work(engine) as s:
        commune = s.scalars(select(LedgerAreaKpi.area_code).order_by(LedgerAreaKpi.area_code)).first()
        assert commune is not None
        province = dashboard(s, variant, 6, AreaScope(province_code="42"))
        local = dashboard(s, variant, 6, AreaScope(province_code="42", commune_code=commune))
        row = s.get(LedgerAreaKpi, (province[-1].period, commune))
        assert row is not None
    assert [r.period for r in local] == [r.period for r in province]
    assert local[-1].receivable == row.receivable < province[-1].receivable
    assert local[-1].collected == row.collected
