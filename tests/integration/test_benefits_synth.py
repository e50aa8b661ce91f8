"""The synthetic province's benefits, once written, are what the database path would produce: the
drafts equal the rules re-run on the written history, next month's payroll pays the same people as the
last synthetic month (less the deaths), the cash share falls over the year, and the indicators for the
coverage report read the written tables."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ansinh.benefits.cases import _case_rows, evaluate_rows
from ansinh.benefits.indicators import noncash_share_by_commune, one_time_withdrawals_by_commune
from ansinh.benefits.models import BenefitCase, BenefitPayment
from ansinh.benefits.payroll import run_monthly
from ansinh.core.db import unit_of_work
from ansinh.law.periods import Period
from ansinh.synth.context import SynthConfig
from ansinh.synth.province import generate
from ansinh.synth.writer import write_province


def test_synthetic_benefits_are_consistent(engine: Engine) -> None:
    ctx = generate(SynthConfig(people=6_000, seed=5), parts=["ledger", "benefits"])
    write_province(engine, ctx)
    share = noncash_share_by_commune(engine, "2025-11", "2026-10").to_pylist()
    by_month: dict[str, list[int]] = {}
    for r in share:
        m = by_month.setdefault(r["period"], [0, 0])
        m[0] += r["payments"]
        m[1] += r["noncash_payments"]
    first, last = by_month["2025-11"], by_month["2026-10"]
    assert first[0] > 200
    assert 1 - first[1] / first[0] > 1 - last[1] / last[0] + 0.03  # the cash share falls

    # drafts written by synth = the rules on the written history (decided at the same date)
    with unit_of_work(engine) as s:
        drafted = s.scalars(
            select(BenefitCase).where(BenefitCase.status == "drafted", BenefitCase.kind == "one_time")
        ).all()
        decided = {c.id: c for c in s.scalars(select(BenefitCase).where(BenefitCase.status == "paid"))}
        assert decided and all(c.amount and c.amount > 0 for c in decided.values())
        outcomes = {
            c.counselling_outcome
            for c in s.scalars(select(BenefitCase).where(BenefitCase.kind == "one_time"))
        }
        assert {"withdrew", "stayed"} <= outcomes
    ids = [c.id for c in decided.values()][:40]
    rows = _case_rows(engine, f"c.id IN ({', '.join(map(str, ids))})", small=True)
    for case_id, _version, draft in evaluate_rows(engine, rows, date(2026, 10, 31)):
        case = decided[case_id]
        recorded = json.loads(case.explanation or "{}")
        if case.kind in ("one_time", "maternity", "sickness"):
            assert recorded["amount"] == case.amount
        assert draft.eligible == recorded["eligible"], case_id
    assert drafted is not None

    # next month's payroll: the same beneficiaries as October, less those who died
    report = run_monthly(engine, Period(2026, 11), actor="test")
    with unit_of_work(engine) as s:
        october = int(s.scalar(select(func.count()).where(BenefitPayment.period == "2026-10")) or 0)
    assert (
        report.created and abs(report.payments + sum(report.exceptions.values()) - october) <= october * 0.02
    )
    assert run_monthly(engine, Period(2026, 11), actor="test").created is False
    assert one_time_withdrawals_by_commune(engine, "2024-01", "2026-10").num_rows > 0
