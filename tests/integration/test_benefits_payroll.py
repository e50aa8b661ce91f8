"""Payments on SQLite and PostgreSQL: channels with validity dates and account checks, the monthly
payroll (idempotent, exceptions), one-off payments of approved cases, bank files, returned-payment
files (all or nothing, idempotent), retry after a channel switch, stop on death with recovery, and the
non-cash and one-time indicators for the coverage report."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.benefits.cases import approve, draft_cases, open_case
from ansinh.benefits.indicators import (
    cash_recipients,
    noncash_share_by_commune,
    one_time_withdrawals_by_commune,
)
from ansinh.benefits.models import Beneficiary, BenefitCase, BenefitPayment, Overpayment, PaymentChannel
from ansinh.benefits.payroll import (
    PaymentError,
    confirm_run,
    import_returns,
    pay_approved_cases,
    payment_files,
    recover,
    retry,
    run_monthly,
    set_channel,
    stop_on_death,
)
from ansinh.core.db import unit_of_work
from ansinh.law.periods import Period
from ansinh.registry.models import Person
from tests.integration.test_benefits_cases import COMMUNE_A, COMMUNE_B, seed_benefits

MARCH = Period(2026, 3)


def _beneficiary(s: Session, person: int, amount: int, start: str = "2025-01") -> int:
    b = Beneficiary(
        person_id=person,
        kind="pension",
        monthly_amount=amount,
        start_period=start,
        created_at=datetime.now(UTC),
    )
    s.add(b)
    s.flush()
    return b.id


def _seed_payroll(engine: Engine) -> dict[str, int]:
    seed = seed_benefits(engine)
    with unit_of_work(engine) as s:
        ids = {
            "bank": seed.pensioner,
            "wallet": seed.withdrawer,
            "cash": seed.nobody,
            "bad": seed.unpaid,
            "none": seed.mother,
        }
        amounts = {
            "bank": 5_000_000,
            "wallet": 4_000_000,
            "cash": 3_000_000,
            "bad": 2_000_000,
            "none": 1_000_000,
        }
        for k, person in ids.items():
            _beneficiary(s, person, amounts[k])
        set_channel(
            s,
            person_id=ids["bank"],
            channel="bank",
            account="0123 4567 8901",
            provider="vcb",
            valid_from=date(2025, 1, 1),
            actor="o",
        )
        set_channel(
            s,
            person_id=ids["wallet"],
            channel="ewallet",
            account="0912345678",
            provider="momo",
            valid_from=date(2025, 1, 1),
            actor="o",
        )
        set_channel(
            s,
            person_id=ids["cash"],
            channel="cash",
            account=None,
            provider="BD42001",
            valid_from=date(2025, 1, 1),
            actor="o",
        )
        # A malformed account that reached the table before the checks (legacy import): an exception.
        s.add(
            PaymentChannel(
                person_id=ids["bad"],
                channel="bank",
                provider="AGRIBANK",
                account="12AB",
                valid_from=date(2025, 1, 1),
                created_by="legacy",
                created_at=datetime.now(UTC),
            )
        )
    return ids


def test_channel_checks_and_validity(engine: Engine) -> None:
    ids = _seed_payroll(engine)
    with (
        unit_of_work(engine) as s,
        pytest.raises(PaymentError, match=r"account: a bank account number is 6–19 digits"),
    ):
        set_channel(
            s,
            person_id=ids["cash"],
            channel="bank",
            account="12-AB-34",
            provider="VCB",
            valid_from=date(2026, 4, 1),
            actor="o",
        )
    with unit_of_work(engine) as s:
        set_channel(
            s,
            person_id=ids["cash"],
            channel="bank",
            account="9704 0000 1111",
            provider="BIDV",
            valid_from=date(2026, 4, 1),
            actor="o",
        )
    with Session(engine) as s:
        rows = s.scalars(
            select(PaymentChannel)
            .where(PaymentChannel.person_id == ids["cash"])
            .order_by(PaymentChannel.valid_from)
        ).all()
        assert [(r.channel, r.valid_from, r.valid_to) for r in rows] == [
            ("cash", date(2025, 1, 1), date(2026, 3, 31)),
            ("bank", date(2026, 4, 1), None),
        ]


def test_monthly_payroll_idempotent_with_exceptions(engine: Engine) -> None:
    ids = _seed_payroll(engine)
    first = run_monthly(engine, MARCH, actor="o")
    assert first.created
    assert (first.payments, first.total_amount, first.noncash_payments) == (3, 12_000_000, 2)
    assert first.exceptions == {"invalid_account": 1, "no_channel": 1}
    again = run_monthly(engine, MARCH, actor="o")
    assert (again.created, again.run_id, again.payments) == (False, first.run_id, 3)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(BenefitPayment)) == 3
        files = payment_files(s, first.run_id)
    assert sorted(files) == ["bank-VCB", "cash-BD42001", "ewallet-MOMO"]
    assert "012345678901" in files["bank-VCB"] and ",5000000,2026-03" in files["bank-VCB"]

    # Non-cash share for the coverage report: commune A has bank + wallet (9,000,000), B has cash.
    share = noncash_share_by_commune(engine, "2026-01", "2026-12").to_pylist()
    assert share == [
        {
            "commune_code": COMMUNE_A,
            "period": "2026-03",
            "payments": 2,
            "noncash_payments": 2,
            "amount": 9_000_000,
            "noncash_amount": 9_000_000,
        },
        {
            "commune_code": COMMUNE_B,
            "period": "2026-03",
            "payments": 1,
            "noncash_payments": 0,
            "amount": 3_000_000,
            "noncash_amount": 0,
        },
    ]
    cash = cash_recipients(engine, date(2026, 3, 15)).to_pylist()
    assert [(r["person_id"], r["monthly_amount"]) for r in cash] == [(ids["cash"], 3_000_000)]


def test_returns_all_or_nothing_idempotent_and_retry(engine: Engine) -> None:
    ids = _seed_payroll(engine)
    run = run_monthly(engine, MARCH, actor="o")
    with unit_of_work(engine) as s:
        assert confirm_run(s, run.run_id, date(2026, 3, 20)) == 3
    with Session(engine) as s:
        wallet = s.scalar(select(BenefitPayment).where(BenefitPayment.person_id == ids["wallet"]))
        assert wallet is not None
        ref = wallet.reference
    bad = (
        f"reference,status,reason\n{ref},returned,account closed\nCT202603B999999999901,failed,unknown\n"
    ).encode()
    with (
        unit_of_work(engine) as s,
        pytest.raises(PaymentError, match="row 3, reference 'CT202603B999999999901'"),
    ):
        import_returns(s, bad, "returns.csv", actor="o")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).where(BenefitPayment.status == "paid")) == 3  # nothing changed
    good = f"reference,status,reason\n{ref},returned,account closed\n".encode()
    with unit_of_work(engine) as s:
        report = import_returns(s, good, "returns.csv", actor="o")
        assert (report.rows, report.applied, report.already) == (1, 1, False)
    with unit_of_work(engine) as s:
        assert import_returns(s, good, "returns-again.csv", actor="o").already
    with unit_of_work(engine) as s:
        set_channel(
            s,
            person_id=ids["wallet"],
            channel="bank",
            account="1903 5555 6666",
            provider="TCB",
            valid_from=date(2026, 3, 25),
            actor="o",
        )
        new = retry(s, wallet.id, actor="o", day=date(2026, 3, 26))
        assert (new.attempt, new.channel, new.amount, new.period, new.status) == (
            2,
            "bank",
            4_000_000,
            "2026-03",
            "pending",
        )
    with unit_of_work(engine) as s, pytest.raises(PaymentError, match="already retried"):
        retry(s, wallet.id, actor="o", day=date(2026, 3, 26))
    # The retry keeps the month paid once in the non-cash share (the returned one no longer counts).
    share = {r["commune_code"]: r for r in noncash_share_by_commune(engine, "2026-03", "2026-03").to_pylist()}
    assert share[COMMUNE_A]["payments"] == 2 and share[COMMUNE_A]["amount"] == 9_000_000


def test_stop_on_death_and_recovery(engine: Engine) -> None:
    ids = _seed_payroll(engine)
    for month in (2, 3):
        run = run_monthly(engine, Period(2026, month), actor="o")
        with unit_of_work(engine) as s:
            confirm_run(s, run.run_id, date(2026, month, 20))
    with unit_of_work(engine) as s:
        s.execute(update(Person).where(Person.id == ids["bank"]).values(death_date=date(2026, 2, 10)))
    with unit_of_work(engine) as s:
        report = stop_on_death(s, today=date(2026, 3, 28))
        assert (report.stopped, report.overpayments, report.overpaid_amount) == (1, 1, 5_000_000)
    with unit_of_work(engine) as s:
        assert stop_on_death(s, today=date(2026, 3, 29)).overpayments == 0  # twice: nothing new
    with Session(engine) as s:
        ben = s.scalar(select(Beneficiary).where(Beneficiary.person_id == ids["bank"]))
        assert ben is not None and (ben.end_period, ben.stop_reason) == ("2026-02", "death")
        over = s.scalars(select(Overpayment)).one()
    with unit_of_work(engine) as s:
        recover(s, over.id, on=date(2026, 4, 5))
    with Session(engine) as s:
        pay = s.get(BenefitPayment, over.payment_id)
        assert pay is not None and (pay.period, pay.status) == ("2026-03", "recovered")
    april = run_monthly(engine, Period(2026, 4), actor="o")
    assert april.payments == 2  # the deceased is no longer in the payroll


def test_one_off_payment_of_approved_case_once(engine: Engine) -> None:
    seed = seed_benefits(engine)
    with unit_of_work(engine) as s:
        case = open_case(
            s,
            person_id=seed.withdrawer,
            kind="one_time",
            received_on=date(2026, 2, 13),
            actor="o",
            facts={"ground": "dd"},
        )
        set_channel(
            s,
            person_id=seed.withdrawer,
            channel="bank",
            account="0123456789",
            provider="VCB",
            valid_from=date(2025, 1, 1),
            actor="o",
        )
        case_id = case.id
    draft_cases(engine, actor="o", decided=date(2026, 3, 2))
    with unit_of_work(engine) as s:
        approve(s, case_id, actor="an", on=date(2026, 3, 2))
    for _ in range(2):
        with unit_of_work(engine) as s:
            report = pay_approved_cases(s, date(2026, 3, 5), actor="o")
    assert report.payments == 0  # the second call finds it paid already
    with unit_of_work(engine) as s:
        confirm_run(s, report.run_id, date(2026, 3, 6))
    with Session(engine) as s:
        pays = s.scalars(select(BenefitPayment).where(BenefitPayment.case_id == case_id)).all()
        assert [(p.amount, p.status) for p in pays] == [(175_680_000, "paid")]
        assert s.get(BenefitCase, case_id).status == "paid"  # type: ignore[union-attr]
    assert one_time_withdrawals_by_commune(engine, "2026-01", "2026-12").to_pylist() == [
        {"commune_code": COMMUNE_A, "period": "2026-03", "cases": 1}
    ]
