"""Payments (chi trả): channels, the monthly payroll of recurring benefits, one-off payments, bank
files, returned-payment reconciliation, stop on death and recovery of overpayments.

- **Channels** (phương thức nhận): bank account, e-wallet or cash at a post-office point, with
  validity dates; a new channel closes the previous one the day before. Account formats are checked
  (bank: 6–19 digits; e-wallet: the mobile number, 10 digits starting with 0).
- **Monthly payroll** for period P: every beneficiary whose months cover P, alive on the first day
  of P, with a channel valid on that day → one ``pending`` payment (key ``b{id}:{P}:1``). Computed on
  Arrow tables with numpy (100k beneficiaries in one read and one bulk write); the run row and its
  payments are written in one transaction under the unique run key ``monthly:P``, so running the same
  payroll twice — even at once — writes it once. Beneficiaries left out (no valid channel, a malformed
  account, died) are the run's exceptions.
- **One-off payments**: approved cases with a lump amount (one-time withdrawal, unemployment,
  sickness, maternity, funeral) → one payment each (key ``c{id}:1``); paid cases become ``paid``.
- **Bank files**: one CSV per provider (bank, wallet, post-office point) of a run's pending payments.
- **Confirmation**: the bank's acknowledgement turns ``pending`` into ``paid``.
- **Returns** (chi trả không thành công): a CSV ``reference,status,reason`` (status ``failed`` or
  ``returned``). Every row is checked first (unknown reference, bad status, a payment not sent): one
  bad row and nothing changes. The same file twice (SHA-256) changes nothing.
- **Retry / switch channel**: a failed or returned payment is paid again as attempt n+1 on the
  person's channel in force (switch the channel first), in the day's one-off run.
- **Stop on death** (Law 41/2024/QH15 Art. 71.1(c): the pension stops from the month after death):
  beneficiaries of persons who died get ``end_period`` = the month of death; pending payments for later
  months fail with reason ``deceased``; paid ones become overpayments to recover (truy thu, Art. 71.3).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.benefits.models import (
    CHANNELS,
    BenefitCase,
    BenefitPayment,
    Overpayment,
    PaymentChannel,
    PaymentReturnFile,
    PayrollRun,
)
from ansinh.core.arrow_io import BulkIOError, bulk_write, read_query
from ansinh.core.audit import audit_rows
from ansinh.core.audit import record as audit
from ansinh.core.scope import AreaScope
from ansinh.core.spreadsheet import csv_writer
from ansinh.law.periods import Period
from ansinh.registry.models import Person

BANK_ACCOUNT = re.compile(r"^\d{6,19}$")
WALLET_ACCOUNT = re.compile(r"^0\d{9}$")
ONE_OFF_KINDS = ("one_time", "unemployment", "sickness", "maternity", "funeral")
NONCASH = ("bank", "ewallet")


class PaymentError(ValueError):
    """A payment request or file that cannot be applied: the record, the field and why."""

    def __init__(self, record: str, field_name: str, message: str) -> None:
        self.record = record
        self.field = field_name
        self.message = message
        super().__init__(f"{record}, {field_name}: {message}")


def _rowcount(result: Any) -> int:
    """Rows changed by an UPDATE (a CursorResult's rowcount)."""
    return int(getattr(result, "rowcount", 0) or 0)


def now() -> datetime:
    return datetime.now(UTC)


# --- channels ------------------------------------------------------------------------------------


def check_account(channel: str, account: str | None, record: str = "channel") -> str | None:
    """Validate an account for its channel; returns it normalised (spaces and dashes removed)."""
    if channel not in CHANNELS:
        raise PaymentError(record, "channel", f"must be one of {CHANNELS}, got {channel!r}")
    if channel == "cash":
        return None
    text = re.sub(r"[\s\-.]", "", account or "")
    if channel == "bank" and not BANK_ACCOUNT.match(text):
        raise PaymentError(record, "account", f"a bank account number is 6–19 digits, got {account!r}")
    if channel == "ewallet" and not WALLET_ACCOUNT.match(text):
        raise PaymentError(
            record, "account", f"an e-wallet is the 10-digit mobile number starting with 0, got {account!r}"
        )
    return text


def set_channel(
    session: Session,
    *,
    person_id: int,
    channel: str,
    account: str | None,
    provider: str | None,
    valid_from: date,
    actor: str,
) -> PaymentChannel:
    """Give a person a new payment channel from ``valid_from``; the one in force ends the day before."""
    record = f"person {person_id}"
    if session.get(Person, person_id) is None:
        raise PaymentError(record, "person_id", "no such person")
    normalised = check_account(channel, account, record)
    if channel != "cash" and not (provider or "").strip():
        raise PaymentError(record, "provider", "name the bank or wallet")
    current = session.scalars(
        select(PaymentChannel).where(
            PaymentChannel.person_id == person_id,
            (PaymentChannel.valid_to.is_(None)) | (PaymentChannel.valid_to >= valid_from),
        )
    ).all()
    for ch in current:
        if ch.valid_from >= valid_from:
            raise PaymentError(
                record, "valid_from", f"a channel already starts on {ch.valid_from}; choose a later date"
            )
        ch.valid_to = valid_from - timedelta(days=1)
    new = PaymentChannel(
        person_id=person_id,
        channel=channel,
        provider=(provider or "").strip().upper() or None,
        account=normalised,
        valid_from=valid_from,
        valid_to=None,
        created_by=actor,
        created_at=now(),
    )
    session.add(new)
    session.flush()
    return new


# --- monthly payroll -------------------------------------------------------------------------------

ACTIVE_SCHEMA = pa.schema(
    [
        ("beneficiary_id", pa.int64()),
        ("person_id", pa.int64()),
        ("monthly_amount", pa.int64()),
        ("death_date", pa.date32()),
        ("channel", pa.string()),
        ("provider", pa.string()),
        ("account", pa.string()),
    ]
)


@dataclass
class RunReport:
    run_id: int
    key: str
    period: str
    created: bool
    payments: int = 0
    total_amount: int = 0
    noncash_payments: int = 0
    exceptions: dict[str, int] = field(default_factory=dict)


def _active(engine: Engine, period: Period) -> pa.Table:
    p = str(period)
    day = period.first_day.isoformat()
    sql = f"""
        SELECT b.id AS beneficiary_id, b.person_id, b.monthly_amount, p.death_date,
               ch.channel, ch.provider, ch.account
        FROM beneficiaries b
        JOIN persons p ON p.id = b.person_id
        LEFT JOIN payment_channels ch
          ON ch.person_id = b.person_id AND ch.valid_from <= '{day}'
         AND (ch.valid_to IS NULL OR ch.valid_to >= '{day}')
        WHERE b.start_period <= '{p}' AND (b.end_period IS NULL OR b.end_period >= '{p}')
        ORDER BY b.id
    """
    return read_query(engine, sql, ACTIVE_SCHEMA)


def classify(active: pa.Table, period: Period) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Which active beneficiaries are paid (mask), and the exceptions by reason (vectorised)."""
    n = active.num_rows
    death = active["death_date"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    first = np.datetime64(period.first_day, "D")
    dead = ~np.isnat(death) & (death < first)
    channel = active["channel"].fill_null("")

    def mask(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
        return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)

    no_channel = mask(pc.equal(channel, ""))
    account = active["account"].fill_null("")
    bank_ok = mask(pc.match_substring_regex(account, BANK_ACCOUNT.pattern))
    wallet_ok = mask(pc.match_substring_regex(account, WALLET_ACCOUNT.pattern))
    is_bank = mask(pc.equal(channel, "bank"))
    is_wallet = mask(pc.equal(channel, "ewallet"))
    bad_account = (is_bank & ~bank_ok) | (is_wallet & ~wallet_ok)
    dup = np.zeros(n, bool)
    if n:
        ids = active["beneficiary_id"].to_numpy()
        dup[1:] = ids[1:] == ids[:-1]  # two channels valid on the same day: pay once, flag it
    exceptions = {
        "deceased": dead,
        "no_channel": ~dead & no_channel,
        "invalid_account": ~dead & ~no_channel & bad_account,
        "overlapping_channels": dup,
    }
    pay = ~dead & ~no_channel & ~bad_account & ~dup
    return pay, exceptions


def reserve_ids(engine: Engine, table: str, n: int) -> np.ndarray:
    """``n`` new ids for a bulk write: from the identity sequence on PostgreSQL (so later ORM inserts
    never collide), after the largest id on SQLite (whose writers are serialised anyway)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, {int(n)})"
            ).scalars()
            return np.sort(np.fromiter(rows, np.int64, count=n))
        start = int(conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar() or 0) + 1
    return np.arange(start, start + n, dtype=np.int64)


def _existing_run(engine: Engine, key: str) -> PayrollRun | None:
    with Session(engine) as session:
        run = session.scalar(select(PayrollRun).where(PayrollRun.key == key))
        if run is not None:
            session.expunge(run)
        return run


def reference_for(period: Period, beneficiary_or_case: str, ident: int, attempt: int) -> str:
    """The payment reference in the bank file: ``CT`` + period + B/C + id + attempt (≤ 24 chars)."""
    return f"CT{period.year:04d}{period.month:02d}{beneficiary_or_case}{ident:010d}{attempt:02d}"


def run_monthly(engine: Engine, period: Period, *, actor: str) -> RunReport:
    """The monthly payroll of ``period`` (idempotent: the second call returns the first run)."""
    key = f"monthly:{period}"
    existing = _existing_run(engine, key)
    if existing is not None:
        return RunReport(
            existing.id,
            key,
            existing.period,
            False,
            existing.payments,
            existing.total_amount,
            existing.noncash_payments,
        )
    active = _active(engine, period)
    pay, exceptions = classify(active, period)
    paid = active.filter(pa.array(pay))
    n = paid.num_rows
    stamp = now()
    run_id = int(reserve_ids(engine, "payroll_runs", 1)[0])
    payment_ids = reserve_ids(engine, "benefit_payments", n)
    ben = paid["beneficiary_id"].to_numpy()
    amounts = paid["monthly_amount"].to_numpy()
    noncash = int(pc.sum(pc.is_in(paid["channel"], pa.array(NONCASH))).as_py() or 0)
    total = int(amounts.sum()) if n else 0
    p = str(period)
    prefix = f"CT{period.year:04d}{period.month:02d}B"
    refs = pc.binary_join_element_wise(
        prefix, pc.utf8_lpad(pc.cast(pa.array(ben), pa.string()), 10, "0"), "01", ""
    )
    keys = pc.binary_join_element_wise("b", pc.cast(pa.array(ben), pa.string()), f":{p}:1", "")
    payments = pa.table(
        {
            "id": pa.array(payment_ids),
            "key": keys,
            "reference": refs,
            "run_id": pa.array(np.full(n, run_id, np.int64)),
            "person_id": paid["person_id"],
            "beneficiary_id": paid["beneficiary_id"],
            "case_id": pa.nulls(n, pa.int64()),
            "period": pa.array([p] * n, pa.string()),
            "amount": paid["monthly_amount"],
            "channel": paid["channel"],
            "provider": paid["provider"],
            "account": paid["account"],
            "status": pa.array(["pending"] * n, pa.string()),
            "attempt": pa.array(np.ones(n, np.int16)),
            "retry_of_id": pa.nulls(n, pa.int64()),
            "failure_reason": pa.nulls(n, pa.string()),
            "paid_on": pa.nulls(n, pa.date32()),
            "created_at": pa.array([stamp] * n, pa.timestamp("us", tz="UTC")),
        }
    )
    n_exc = {k: int(v.sum()) for k, v in exceptions.items() if v.any()}
    run = pa.table(
        {
            "id": pa.array([run_id], pa.int64()),
            "key": [key],
            "period": [p],
            "kind": ["monthly"],
            "status": ["open"],
            "payments": pa.array([n], pa.int32()),
            "total_amount": pa.array([total], pa.int64()),
            "noncash_payments": pa.array([noncash], pa.int32()),
            "exceptions": pa.array([sum(n_exc.values())], pa.int32()),
            "created_by": [actor],
            "created_at": pa.array([stamp], pa.timestamp("us", tz="UTC")),
        }
    )
    try:
        entry = audit_rows(
            actor=actor,
            action="payroll_run",
            entity="payroll_run",
            entity_ids=[str(run_id)],
            details=[{"key": key, "payments": n, "total_amount": total}],
        )
        bulk_write(engine, {"payroll_runs": run, "benefit_payments": payments, "audit_log": entry})
    except BulkIOError:
        again = _existing_run(engine, key)
        if again is None:
            raise
        return RunReport(
            again.id, key, again.period, False, again.payments, again.total_amount, again.noncash_payments
        )
    return RunReport(run_id, key, p, True, n, total, noncash, n_exc)


def run_exceptions(engine: Engine, run: PayrollRun) -> list[dict[str, Any]]:
    """The run's exceptions: active beneficiaries left out, and its failed or returned payments."""
    out: list[dict[str, Any]] = []
    if run.kind == "monthly":
        period = Period.parse(run.period)
        active = _active(engine, period)
        _, exceptions = classify(active, period)
        for reason, mask in exceptions.items():
            for row in active.filter(pa.array(mask)).to_pylist():
                out.append({"reason": reason, **row})
    with Session(engine) as session:
        for pay in session.scalars(
            select(BenefitPayment).where(
                BenefitPayment.run_id == run.id, BenefitPayment.status.in_(("failed", "returned"))
            )
        ):
            out.append(
                {
                    "reason": pay.status,
                    "beneficiary_id": pay.beneficiary_id,
                    "person_id": pay.person_id,
                    "monthly_amount": pay.amount,
                    "channel": pay.channel,
                    "account": pay.account,
                    "payment_id": pay.id,
                    "detail": pay.failure_reason,
                }
            )
    return out


# --- one-off payments ------------------------------------------------------------------------------


def _one_off_run(session: Session, day: date, actor: str) -> PayrollRun:
    key = f"one_off:{day.isoformat()}"
    run = session.scalar(select(PayrollRun).where(PayrollRun.key == key))
    if run is None:
        run = PayrollRun(
            key=key,
            period=str(Period.of(day)),
            kind="one_off",
            status="open",
            payments=0,
            total_amount=0,
            noncash_payments=0,
            exceptions=0,
            created_by=actor,
            created_at=now(),
        )
        session.add(run)
        session.flush()
    return run


def _channel_on(session: Session, person_id: int, day: date) -> PaymentChannel | None:
    return session.scalar(
        select(PaymentChannel)
        .where(
            PaymentChannel.person_id == person_id,
            PaymentChannel.valid_from <= day,
            (PaymentChannel.valid_to.is_(None)) | (PaymentChannel.valid_to >= day),
        )
        .order_by(PaymentChannel.valid_from.desc())
    )


def _add_to_run(session: Session, run: PayrollRun, payment: BenefitPayment) -> None:
    session.add(payment)
    run.payments += 1
    run.total_amount += payment.amount
    run.noncash_payments += 1 if payment.channel in NONCASH else 0


def pay_approved_cases(session: Session, day: date, *, actor: str) -> RunReport:
    """One payment for each approved one-off case not paid yet, in the day's one-off run."""
    run = _one_off_run(session, day, actor)
    cases = session.scalars(
        select(BenefitCase).where(BenefitCase.status == "approved", BenefitCase.kind.in_(ONE_OFF_KINDS))
    ).all()
    report = RunReport(run.id, run.key, run.period, True)
    paid_already = set(
        session.scalars(
            select(BenefitPayment.case_id).where(BenefitPayment.case_id.in_([c.id for c in cases]))
        )
    )
    for case in cases:
        if case.id in paid_already or not case.amount:
            continue
        ch = _channel_on(session, case.person_id, day)
        if ch is None:
            report.exceptions["no_channel"] = report.exceptions.get("no_channel", 0) + 1
            continue
        pay = BenefitPayment(
            key=f"c{case.id}:1",
            reference=reference_for(Period.of(day), "C", case.id, 1),
            run_id=run.id,
            person_id=case.person_id,
            beneficiary_id=None,
            case_id=case.id,
            period=str(Period.of(day)),
            amount=case.amount,
            channel=ch.channel,
            provider=ch.provider,
            account=ch.account,
            status="pending",
            attempt=1,
            created_at=now(),
        )
        _add_to_run(session, run, pay)
        report.payments += 1
        report.total_amount += case.amount
        report.noncash_payments += 1 if ch.channel in NONCASH else 0
    audit(
        session,
        actor=actor,
        action="pay_cases",
        entity="payroll_run",
        entity_id=run.id,
        detail={"payments": report.payments, "total_amount": report.total_amount},
    )
    session.flush()
    return report


# --- confirmation, files, returns --------------------------------------------------------------------


def confirm_run(
    session: Session, run_id: int, paid_on: date, *, actor: str = "system", today: date | None = None
) -> int:
    """The bank acknowledged the run: its pending payments are paid; their cases become ``paid``.

    A payment cannot have been made in the future: ``paid_on`` after today is refused. The
    confirmation is audited with the number of payments it settled."""
    run = session.get(PayrollRun, run_id)
    if run is None:
        raise PaymentError(f"run {run_id}", "id", "no such payroll run")
    if paid_on > (today or date.today()):
        raise PaymentError(f"run {run_id}", "paid_on", f"ngày chi trả {paid_on:%d/%m/%Y} chưa đến")
    t = cast(Table, BenefitPayment.__table__)
    result = session.execute(
        update(t).where(t.c.run_id == run_id, t.c.status == "pending").values(status="paid", paid_on=paid_on)
    )
    c = cast(Table, BenefitCase.__table__)
    session.execute(
        update(c)
        .where(
            c.c.status == "approved",
            c.c.id.in_(select(t.c.case_id).where(t.c.run_id == run_id, t.c.status == "paid")),
        )
        .values(status="paid", version=c.c.version + 1, updated_at=now())
    )
    run.status = "sent" if run.status == "open" else run.status
    paid = int(_rowcount(result) or 0)
    audit(
        session,
        actor=actor,
        action="confirm",
        entity="payroll_run",
        entity_id=run_id,
        detail={"paid_on": paid_on.isoformat(), "payments": paid},
    )
    session.flush()
    return paid


def payment_files(session: Session, run_id: int, scope: AreaScope | None = None) -> dict[str, str]:
    """One CSV per provider (bank, e-wallet, post-office point) of the run's pending payments;
    with a commune ``scope``, only the payments of beneficiaries living in that commune."""
    query = (
        select(BenefitPayment, Person.full_name)
        .join(Person, Person.id == BenefitPayment.person_id)
        .where(BenefitPayment.run_id == run_id, BenefitPayment.status == "pending")
        .order_by(BenefitPayment.provider, BenefitPayment.id)
    )
    if scope is not None:
        query = scope.apply(query, Person.commune_code)
    rows = session.execute(query).all()
    files: dict[str, io.StringIO] = {}
    for pay, name in rows:
        provider = pay.provider or ("CASH" if pay.channel == "cash" else "UNKNOWN")
        name_key = f"{pay.channel}-{provider}"
        if name_key not in files:
            files[name_key] = io.StringIO()
            # a name that starts like a formula is written as text (ansinh.core.spreadsheet)
            csv_writer(files[name_key]).writerow(["reference", "account", "name", "amount", "period"])
        csv_writer(files[name_key]).writerow([pay.reference, pay.account or "", name, pay.amount, pay.period])
    return {k: v.getvalue() for k, v in files.items()}


@dataclass
class ReturnReport:
    rows: int
    applied: int
    already: bool = False
    errors: list[str] = field(default_factory=list)


def import_returns(session: Session, data: bytes, filename: str, *, actor: str) -> ReturnReport:
    """Apply a returned/failed payments file (all rows or none; the same file twice changes nothing)."""
    digest = hashlib.sha256(data).hexdigest()
    if session.scalar(select(PaymentReturnFile.id).where(PaymentReturnFile.sha256 == digest)) is not None:
        return ReturnReport(0, 0, already=True)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PaymentError(filename, "encoding", "the file is not UTF-8 text") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = {"reference", "status"} - set(reader.fieldnames or [])
    if missing:
        raise PaymentError(
            filename, "header", f"missing column(s) {sorted(missing)}; expected reference,status,reason"
        )
    rows = list(reader)
    refs = [r["reference"].strip() for r in rows]
    known = (
        {
            p.reference: p
            for p in session.scalars(select(BenefitPayment).where(BenefitPayment.reference.in_(refs)))
        }
        if refs
        else {}
    )
    errors: list[str] = []
    seen: set[str] = set()
    for i, (row, ref) in enumerate(zip(rows, refs, strict=True), start=2):
        status = (row.get("status") or "").strip()
        if ref not in known:
            errors.append(f"row {i}, reference {ref!r}: no payment has this reference")
        elif status not in ("failed", "returned"):
            errors.append(f"row {i}, status {status!r}: expected 'failed' or 'returned'")
        elif known[ref].status not in ("pending", "paid", status):
            errors.append(f"row {i}, reference {ref}: payment is {known[ref].status}, it cannot be {status}")
        if ref in seen:
            errors.append(f"row {i}, reference {ref}: listed twice")
        seen.add(ref)
    if errors:
        raise PaymentError(
            filename,
            "rows",
            "; ".join(errors[:20]) + (f" (+{len(errors) - 20} more)" if len(errors) > 20 else ""),
        )
    applied = 0
    t = cast(Table, BenefitPayment.__table__)
    for row, ref in zip(rows, refs, strict=True):
        status = row["status"].strip()
        result = session.execute(
            update(t)
            .where(t.c.id == known[ref].id, t.c.status.in_(("pending", "paid")))
            .values(
                status=status, failure_reason=(row.get("reason") or "").strip()[:120] or None, paid_on=None
            )
        )
        applied += int(_rowcount(result) or 0)
    session.add(
        PaymentReturnFile(
            sha256=digest,
            filename=filename[:255],
            rows=len(rows),
            applied=applied,
            imported_by=actor,
            imported_at=now(),
        )
    )
    audit(
        session,
        actor=actor,
        action="import_returns",
        entity="payment_return_file",
        entity_id=digest[:16],
        detail={"filename": filename[:255], "rows": len(rows), "applied": applied},
    )
    session.flush()
    return ReturnReport(len(rows), applied)


def retry(session: Session, payment_id: int, *, actor: str, day: date) -> BenefitPayment:
    """Pay a failed or returned payment again (attempt n+1) on the person's channel in force on ``day``."""
    old = session.get(BenefitPayment, payment_id)
    record = f"payment {payment_id}"
    if old is None:
        raise PaymentError(record, "id", "no such payment")
    if old.status not in ("failed", "returned"):
        raise PaymentError(
            record, "status", f"only a failed or returned payment is retried (it is {old.status})"
        )
    if session.scalar(select(BenefitPayment.id).where(BenefitPayment.retry_of_id == old.id)) is not None:
        raise PaymentError(record, "retry_of_id", "already retried")
    if old.failure_reason == "deceased":
        raise PaymentError(record, "failure_reason", "the beneficiary died: nothing to retry")
    ch = _channel_on(session, old.person_id, day)
    if ch is None:
        raise PaymentError(record, "channel", f"person {old.person_id} has no payment channel on {day}")
    run = _one_off_run(session, day, actor)
    attempt = old.attempt + 1
    ident = old.beneficiary_id if old.beneficiary_id is not None else (old.case_id or 0)
    kind = "B" if old.beneficiary_id is not None else "C"
    base = old.key.rsplit(":", 1)[0] if old.beneficiary_id is not None else f"c{old.case_id}"
    new = BenefitPayment(
        key=f"{base}:{attempt}",
        reference=reference_for(Period.parse(old.period), kind, ident, attempt),
        run_id=run.id,
        person_id=old.person_id,
        beneficiary_id=old.beneficiary_id,
        case_id=old.case_id,
        period=old.period,
        amount=old.amount,
        channel=ch.channel,
        provider=ch.provider,
        account=ch.account,
        status="pending",
        attempt=attempt,
        retry_of_id=old.id,
        created_at=now(),
    )
    _add_to_run(session, run, new)
    session.flush()
    audit(
        session,
        actor=actor,
        action="retry",
        entity="benefit_payment",
        entity_id=payment_id,
        detail={"new_payment": new.id, "run": run.id, "attempt": attempt},
    )
    return new


# --- death and overpayments --------------------------------------------------------------------------


@dataclass
class DeathReport:
    stopped: int = 0
    cancelled: int = 0
    overpayments: int = 0
    overpaid_amount: int = 0


def stop_on_death(session: Session, *, today: date) -> DeathReport:
    """Stop the benefits of beneficiaries who died; cancel later pending payments; open overpayments.

    Law 41/2024/QH15 Art. 71.1 (the pension stops when the pensioner dies; it is paid to the month
    of death) and Art. 71.3 (amounts paid wrongly are recovered)."""
    from ansinh.benefits.models import Beneficiary

    report = DeathReport()
    rows = session.execute(
        select(Beneficiary, Person.death_date)
        .join(Person, Person.id == Beneficiary.person_id)
        .where(Person.death_date.is_not(None))
        .where((Beneficiary.end_period.is_(None)) | (Beneficiary.stop_reason.is_(None)))
    ).all()
    for ben, death in rows:
        last = str(Period.of(death))
        if ben.end_period is None or ben.end_period > last:
            ben.end_period = max(last, _prev(ben.start_period))
            ben.stop_reason = "death"
            report.stopped += 1
        elif ben.stop_reason is None:
            continue
        later = session.scalars(
            select(BenefitPayment).where(
                BenefitPayment.beneficiary_id == ben.id, BenefitPayment.period > last
            )
        ).all()
        for pay in later:
            if pay.status == "pending":
                pay.status = "failed"
                pay.failure_reason = "deceased"
                report.cancelled += 1
            elif pay.status == "paid":
                exists = session.scalar(select(Overpayment.id).where(Overpayment.payment_id == pay.id))
                if exists is None:
                    session.add(
                        Overpayment(
                            payment_id=pay.id,
                            person_id=pay.person_id,
                            amount=pay.amount,
                            status="open",
                            detected_on=today,
                        )
                    )
                    report.overpayments += 1
                    report.overpaid_amount += pay.amount
    session.flush()
    return report


def _prev(period: str) -> str:
    p = Period.parse(period)
    return str(Period.from_index(p.index - 1))


def recover(session: Session, overpayment_id: int, *, on: date) -> None:
    """The overpayment was paid back (by the bank's reversal or the family): payment ``recovered``."""
    over = session.get(Overpayment, overpayment_id)
    if over is None:
        raise PaymentError(f"overpayment {overpayment_id}", "id", "no such overpayment")
    if over.status == "recovered":
        return
    over.status = "recovered"
    over.recovered_on = on
    pay = session.get(BenefitPayment, over.payment_id)
    assert pay is not None
    pay.status = "recovered"
    session.flush()


def run_totals(session: Session, run_id: int) -> dict[str, dict[str, int]]:
    """Count and amount of a run's payments by status and by channel."""
    out: dict[str, dict[str, int]] = {"status": {}, "channel": {}, "amount_status": {}, "amount_channel": {}}
    for status, channel, n, amount in session.execute(
        select(BenefitPayment.status, BenefitPayment.channel, func.count(), func.sum(BenefitPayment.amount))
        .where(BenefitPayment.run_id == run_id)
        .group_by(BenefitPayment.status, BenefitPayment.channel)
    ):
        out["status"][status] = out["status"].get(status, 0) + int(n)
        out["channel"][channel] = out["channel"].get(channel, 0) + int(n)
        out["amount_status"][status] = out["amount_status"].get(status, 0) + int(amount or 0)
        out["amount_channel"][channel] = out["amount_channel"].get(channel, 0) + int(amount or 0)
    return out


def person_payments(session: Session, person_id: int, limit: int = 60) -> Sequence[BenefitPayment]:
    return session.scalars(
        select(BenefitPayment)
        .where(BenefitPayment.person_id == person_id)
        .order_by(BenefitPayment.period.desc(), BenefitPayment.id.desc())
        .limit(limit)
    ).all()
