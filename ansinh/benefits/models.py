"""Benefit tables (chế độ BHXH): cases and decisions, recurring beneficiaries, payment channels,
payroll runs and payments, returned-payment files and overpayments.

- ``benefit_cases`` (hồ sơ hưởng chế độ): one dossier of one person for one benefit — pension
  (hưu trí), one-time withdrawal (BHXH một lần), unemployment (trợ cấp thất nghiệp), sickness (ốm đau),
  maternity (thai sản), funeral (mai táng) or survivor (tử tuất). Its status moves
  ``received → drafted → approved → paid`` (or ``returned`` / ``rejected``); every move is a
  conditional ``UPDATE … WHERE status = … AND version = …`` so two officers approving at once
  cannot both win. ``explanation`` keeps the draft decision's steps and legal basis (JSON).
- ``benefit_case_events``: the case's history (who did what, when, with which note). Append-only.
- ``beneficiaries``: recurring monthly benefits (lương hưu, trợ cấp tuất hằng tháng, trợ cấp hằng
  tháng Art. 23) from ``start_period`` to ``end_period``; stopping sets ``end_period`` and
  ``stop_reason``.
- ``payment_channels``: how a person is paid (chi trả qua tài khoản ngân hàng, ví điện tử, tiền mặt
  tại điểm bưu điện), with validity dates; a change closes the old row and opens a new one.
- ``payroll_runs`` (danh sách chi trả): one run per period and kind (monthly / one_off); its key is
  unique, so running the same payroll twice finds the existing run and changes nothing.
- ``benefit_payments``: one payment per beneficiary (or case) and period and attempt; ``key`` is
  unique (idempotency); ``reference`` is what the bank file carries and what comes back in the
  returned-payment file.
- ``payment_return_files``: each returned/failed-payment file imported (its SHA-256 is unique, so the
  same file twice changes nothing).
- ``overpayments`` (truy thu): payments made for periods after the beneficiary's death, to recover.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ansinh.core.db import Base

IdType = BigInteger().with_variant(Integer, "sqlite")

CASE_KINDS = ("pension", "one_time", "unemployment", "sickness", "maternity", "funeral", "survivor")
CASE_STATUSES = ("received", "drafted", "approved", "returned", "rejected", "paid")
COUNSELLING_OUTCOMES = ("withdrew", "stayed")
BENEFICIARY_KINDS = ("pension", "survivor", "monthly_allowance")
CHANNELS = ("bank", "ewallet", "cash")
PAYMENT_STATUSES = ("pending", "paid", "failed", "returned", "recovered")
RUN_KINDS = ("monthly", "one_off")
RUN_STATUSES = ("open", "sent", "closed")
OVERPAYMENT_STATUSES = ("open", "recovered")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class BenefitCase(Base):
    """A benefit dossier (hồ sơ giải quyết chế độ) and its draft/approved decision (quyết định)."""

    __tablename__ = "benefit_cases"
    __table_args__ = (
        CheckConstraint(_in("kind", CASE_KINDS), name="kind"),
        CheckConstraint(_in("status", CASE_STATUSES), name="status"),
        CheckConstraint(
            "counselling_outcome IS NULL OR " + _in("counselling_outcome", COUNSELLING_OUTCOMES),
            name="counselling_outcome",
        ),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount"),
        Index("ix_benefit_cases_person", "person_id"),
        Index("ix_benefit_cases_status", "status", "due_on"),
        Index("ix_benefit_cases_kind_received", "kind", "received_on"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    #: Dossier number (số hồ sơ), unique; also the idempotency key of an intake.
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(10))
    received_on: Mapped[date] = mapped_column(Date)
    #: Statutory deadline (working days from ``received_on``, public holidays as data).
    due_on: Mapped[date] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    #: The amount decided: the lump sum, or the first month of a recurring benefit, in đồng.
    amount: Mapped[int | None] = mapped_column(BigInteger)
    #: Monthly amount of a recurring benefit (pension, survivor allowance), in đồng.
    monthly_amount: Mapped[int | None] = mapped_column(BigInteger)
    counselling_outcome: Mapped[str | None] = mapped_column(String(8))
    counselled_on: Mapped[date | None] = mapped_column(Date)
    #: The event: retirement month start, contract end, leave start, birth, death (by kind).
    event_date: Mapped[date | None] = mapped_column(Date)
    #: Ground of a one-time withdrawal (Law 41/2024 Art. 70.1 point a…e) or other kind detail.
    ground: Mapped[str | None] = mapped_column(String(16))
    #: Inputs of the dossier beyond the event (JSON: leave days, children, relatives…).
    facts: Mapped[str] = mapped_column(Text, default="{}")
    #: Documents received (JSON list of names).
    documents: Mapped[str] = mapped_column(Text, default="[]")
    #: The draft decision: eligibility checks, steps, legal basis (JSON).
    explanation: Mapped[str | None] = mapped_column(Text)
    #: A second approval is needed (amount above the threshold in benefits.yaml).
    needs_second: Mapped[bool] = mapped_column(Boolean, default=False)
    first_approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BenefitCaseEvent(Base):
    """One step in a case's history (tiếp nhận, dự thảo, duyệt, trả lại…). Never edited."""

    __tablename__ = "benefit_case_events"
    __table_args__ = (Index("ix_benefit_case_events_case", "case_id", "at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("benefit_cases.id"))
    action: Mapped[str] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(String(500))


class Beneficiary(Base):
    """A recurring monthly benefit (người hưởng hằng tháng): pension, survivor or Art. 23 allowance."""

    __tablename__ = "beneficiaries"
    __table_args__ = (
        CheckConstraint(_in("kind", BENEFICIARY_KINDS), name="kind"),
        CheckConstraint("monthly_amount > 0", name="monthly_amount"),
        Index("ix_beneficiaries_person", "person_id"),
        Index("ix_beneficiaries_period", "start_period", "end_period"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(18))
    monthly_amount: Mapped[int] = mapped_column(BigInteger)
    start_period: Mapped[str] = mapped_column(String(7))
    end_period: Mapped[str | None] = mapped_column(String(7))
    stop_reason: Mapped[str | None] = mapped_column(String(20))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("benefit_cases.id"), unique=True)
    #: For a survivor allowance: the deceased member whose record grants it.
    source_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentChannel(Base):
    """How a person is paid, with validity dates (phương thức chi trả)."""

    __tablename__ = "payment_channels"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint("channel = 'cash' OR account IS NOT NULL", name="account"),
        Index("ix_payment_channels_person", "person_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    channel: Mapped[str] = mapped_column(String(7))
    #: Bank or wallet code (e.g. VCB, AGRIBANK, MOMO, VIETTELPAY) or post-office point code.
    provider: Mapped[str | None] = mapped_column(String(20))
    account: Mapped[str | None] = mapped_column(String(34))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PayrollRun(Base):
    """One payment list (danh sách chi trả) for a period: the monthly recurring one, or one-offs."""

    __tablename__ = "payroll_runs"
    __table_args__ = (
        CheckConstraint(_in("kind", RUN_KINDS), name="kind"),
        CheckConstraint(_in("status", RUN_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    #: ``monthly:2026-03`` or ``one_off:2026-03-17``: unique, so a run is never made twice.
    key: Mapped[str] = mapped_column(String(40), unique=True)
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(6))
    payments: Mapped[int] = mapped_column(Integer)
    total_amount: Mapped[int] = mapped_column(BigInteger)
    noncash_payments: Mapped[int] = mapped_column(Integer)
    exceptions: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BenefitPayment(Base):
    """One payment to one person for one period (khoản chi), through one channel."""

    __tablename__ = "benefit_payments"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("status", PAYMENT_STATUSES), name="status"),
        CheckConstraint("amount > 0", name="amount"),
        Index("ix_benefit_payments_run", "run_id", "status"),
        Index("ix_benefit_payments_person", "person_id", "period"),
        Index("ix_benefit_payments_period", "period", "status"),
        # the self-reference: without it, deleting a payment scans the table for retries of it
        Index("ix_benefit_payments_retry_of", "retry_of_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    #: Idempotency: ``b{beneficiary}:{period}:{attempt}`` or ``c{case}:{attempt}``.
    key: Mapped[str] = mapped_column(String(48), unique=True)
    #: The payment reference carried by the bank file and the returned-payment file.
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payroll_runs.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("beneficiaries.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("benefit_cases.id"))
    period: Mapped[str] = mapped_column(String(7))
    amount: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(7))
    provider: Mapped[str | None] = mapped_column(String(20))
    account: Mapped[str | None] = mapped_column(String(34))
    status: Mapped[str] = mapped_column(String(9))
    attempt: Mapped[int] = mapped_column(SmallInteger, default=1)
    #: The payment this one retries (after a failure or return).
    retry_of_id: Mapped[int | None] = mapped_column(ForeignKey("benefit_payments.id"))
    failure_reason: Mapped[str | None] = mapped_column(String(120))
    paid_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentReturnFile(Base):
    """A returned/failed payments file from a bank (or the post office), imported once."""

    __tablename__ = "payment_return_files"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    rows: Mapped[int] = mapped_column(Integer)
    applied: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Overpayment(Base):
    """A payment to recover (truy thu): paid for a period after the beneficiary's death."""

    __tablename__ = "overpayments"
    __table_args__ = (CheckConstraint(_in("status", OVERPAYMENT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("benefit_payments.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(9))
    detected_on: Mapped[date] = mapped_column(Date)
    recovered_on: Mapped[date | None] = mapped_column(Date)
