"""Ledger tables (sổ thu): declarations, ledger entries, bank payments, reminders, balance snapshot.

- ``declarations`` (kê khai): what an employer declared, from where (web, xlsx, api, synth), with an
  idempotency key; the effective-dated facts themselves are the registry's ``participations`` rows
  that the declaration service closes and opens (see :mod:`ansinh.ledger.declarations`). Unpaid
  leave (nghỉ không lương ≥ 14 working days) lives here only, as it changes no participation.
- ``ledger_entries``: append-only (the database refuses UPDATE, and DELETE on PostgreSQL). One row
  per employer (or person, or household) × period × scheme × kind; ``amount`` in đồng, signed from
  the fund's point of view: dues, adjustments and surcharges are positive (receivable), payment
  allocations negative, reversals restore. ``item`` says which receivable an entry concerns:
  ``contribution`` or ``surcharge`` (lãi chậm đóng). ``key`` is unique: posting twice is impossible.
- ``payments``: bank transactions (giao dịch ngân hàng); the bank transaction id is unique, so a
  statement imported twice — even by two processes at once — credits each transaction once.
- ``reminders``: written reminders (văn bản đôn đốc, Law 41/2024 Art. 35) sent to an employer.
- ``ledger_balances``: a snapshot per employer × period (open amounts, status, days late), rebuilt
  by every close from the entries; never edited by hand.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ansinh.core.db import Base

IdType = BigInteger().with_variant(Integer, "sqlite")

DECLARATION_KINDS = ("join", "leave", "salary", "unpaid_leave")
DECLARATION_SOURCES = ("web", "xlsx", "api", "synth", "cli")
ENTRY_KINDS = ("due", "adjustment", "surcharge", "payment", "reversal")
ENTRY_ITEMS = ("contribution", "surcharge")
LEDGER_SCHEMES = ("si", "hi", "ui", "vsi")
PARTIES = ("employee", "employer", "person", "household", "all")
PAYMENT_STATUSES = ("matched", "unmatched", "reversed")
ARREARS_STATUSES = ("due", "late", "reminded", "evasion", "paid")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Declaration(Base):
    """One declared change (kê khai tăng/giảm/điều chỉnh lao động) of one employee."""

    __tablename__ = "declarations"
    __table_args__ = (
        CheckConstraint(_in("kind", DECLARATION_KINDS), name="kind"),
        CheckConstraint(_in("source", DECLARATION_SOURCES), name="source"),
        Index("ix_declarations_employer_period", "employer_id", "from_period"),
        Index("ix_declarations_person", "person_id", "from_period"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(12))
    #: Comma-separated schemes (si,hi,ui).
    schemes: Mapped[str] = mapped_column(String(12))
    from_period: Mapped[str] = mapped_column(String(7))
    to_period: Mapped[str | None] = mapped_column(String(7))
    salary: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(96), unique=True)
    declared_by: Mapped[str] = mapped_column(String(64))
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerEntry(Base):
    """One posting of the contributions ledger (bút toán sổ thu). Never updated, never deleted."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(_in("kind", ENTRY_KINDS), name="kind"),
        CheckConstraint(_in("item", ENTRY_ITEMS), name="item"),
        CheckConstraint(_in("scheme", LEDGER_SCHEMES), name="scheme"),
        CheckConstraint(
            "(CASE WHEN employer_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN person_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN household_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="account",
        ),
        Index("ix_ledger_entries_employer_period", "employer_id", "period"),
        # Partial: most entries (dues, surcharges) have no payment and no person; leaving them out
        # keeps these indexes small and the month-end write fast.
        Index(
            "ix_ledger_entries_payment",
            "payment_id",
            sqlite_where=text("payment_id IS NOT NULL"),
            postgresql_where=text("payment_id IS NOT NULL"),
        ),
        Index(
            "ix_ledger_entries_person",
            "person_id",
            sqlite_where=text("person_id IS NOT NULL"),
            postgresql_where=text("person_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    period: Mapped[str] = mapped_column(String(7))
    scheme: Mapped[str] = mapped_column(String(3))
    party: Mapped[str] = mapped_column(String(9))
    kind: Mapped[str] = mapped_column(String(10))
    item: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int] = mapped_column(BigInteger)
    #: Business date: the close date for dues, the bank value date for payment allocations.
    posted_on: Mapped[date] = mapped_column(Date)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    source: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(96), unique=True)


def check_entries(entries: pa.Table) -> None:
    """The CHECK constraints of ``ledger_entries``, verified on a whole Arrow table at once (the
    month-end write then tells SQLite not to evaluate them row by row: ``bulk_write(prechecked=)``).
    Raises ``ValueError`` naming the first offending row and column."""
    for column, allowed in (("kind", ENTRY_KINDS), ("item", ENTRY_ITEMS), ("scheme", LEDGER_SCHEMES)):
        values = pc.cast(entries[column], pa.string())
        bad = pc.invert(pc.fill_null(pc.is_in(values, pa.array(allowed)), False))
        _refuse(entries, bad, f"{column} not in {allowed}")
    accounts = [c for c in ("employer_id", "person_id", "household_id") if c in entries.column_names]
    count = pa.array(np.zeros(entries.num_rows, np.int64))
    for name in accounts:
        count = pc.add(count, pc.cast(pc.is_valid(entries[name]), pa.int64()))
    _refuse(entries, pc.not_equal(count, 1), "exactly one of employer_id, person_id, household_id")


def _refuse(entries: pa.Table, bad: Any, rule: str) -> None:
    if pc.any(bad).as_py():
        row = int(pc.index(bad, True).as_py())
        raise ValueError(f"ledger entry {entries['key'][row].as_py()!r} (row {row}): {rule}")


class Payment(Base):
    """A credit on the office's collection account, from a bank statement."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(_in("status", PAYMENT_STATUSES), name="status"),
        CheckConstraint("amount > 0", name="amount"),
        Index("ix_payments_employer", "employer_id", "value_date"),
        Index("ix_payments_status", "status"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    bank_txn_id: Mapped[str] = mapped_column(String(64), unique=True)
    value_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    payer_account: Mapped[str | None] = mapped_column(String(34))
    description: Mapped[str | None] = mapped_column(String(300))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"))
    #: How the employer was found: tax_code, reference, manual, or none.
    matched_by: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_by: Mapped[str | None] = mapped_column(String(64))


class Reminder(Base):
    """A written reminder (văn bản đôn đốc) sent to an employer for its open periods."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_employer", "employer_id", "sent_on"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"))
    sent_on: Mapped[date] = mapped_column(Date)
    period_from: Mapped[str] = mapped_column(String(7))
    period_to: Mapped[str] = mapped_column(String(7))
    amount: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerBalance(Base):
    """Snapshot per employer × period as of the last close (derived; rebuilt, never edited)."""

    __tablename__ = "ledger_balances"
    __table_args__ = (
        CheckConstraint(_in("status", ARREARS_STATUSES), name="status"),
        Index("ix_ledger_balances_status", "status", "open_amount"),
    )

    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    due: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[int] = mapped_column(BigInteger)
    open_amount: Mapped[int] = mapped_column(BigInteger)
    surcharge_posted: Mapped[int] = mapped_column(BigInteger)
    surcharge_open: Mapped[int] = mapped_column(BigInteger)
    #: The open amounts per scheme (contribution, then surcharge): the next close starts from them
    #: instead of summing every entry ever posted (see :class:`LedgerClose`).
    open_si: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    open_hi: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    open_ui: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    surcharge_si: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    surcharge_hi: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    surcharge_ui: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: Surcharge accrued to ``as_of`` on the open amount, not yet posted (it is posted when paid).
    surcharge_accrued: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[date] = mapped_column(Date)
    days_late: Mapped[int] = mapped_column(Integer)
    aging: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(10))
    as_of: Mapped[date] = mapped_column(Date)


class CollectionFigures:
    """The figures of one month's close (:func:`ansinh.ledger.snapshot.kpis`)."""

    receivable: Mapped[int] = mapped_column(BigInteger)
    receivable_ytd: Mapped[int] = mapped_column(BigInteger)
    collected: Mapped[int] = mapped_column(BigInteger)
    arrears_late: Mapped[int] = mapped_column(BigInteger)
    arrears_collectible: Mapped[int] = mapped_column(BigInteger)
    arrears_open: Mapped[int] = mapped_column(BigInteger)
    surcharge_accrued: Mapped[int] = mapped_column(BigInteger)
    employers_late: Mapped[int] = mapped_column(BigInteger)
    as_of: Mapped[date] = mapped_column(Date)


class LedgerKpi(CollectionFigures, Base):
    """Collection figures of one month at its close (derived; replaced by the month's next close)."""

    __tablename__ = "ledger_kpis"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)


class LedgerAreaKpi(CollectionFigures, Base):
    """The collection figures of one month for the employers of one commune (a commune-scoped
    officer's dashboard); same columns and derivation as :class:`LedgerKpi`, replaced with it."""

    __tablename__ = "ledger_area_kpis"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(5), primary_key=True)


class LedgerClose(Base):
    """One close (khóa sổ) and what its snapshot covers.

    The snapshot a close leaves — ``ledger_balances`` (open amounts per employer-month and scheme),
    ``ledger_period_dues`` and ``ledger_payment_allocations`` — sums every entry up to and including
    ``through_entry_id``. The next close reads the snapshot and only the entries posted after it,
    so its cost follows what is open, not the ledger's whole history."""

    __tablename__ = "ledger_closes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    as_of: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(64))
    #: The highest ``ledger_entries.id`` the snapshot includes (None: the ledger was empty).
    through_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    entries: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerPeriodDues(Base):
    """Dues and adjustments posted for a period, all employers (derived, kept by each close)."""

    __tablename__ = "ledger_period_dues"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class LedgerPaymentAllocation(Base):
    """How much of a bank payment has been allocated to receivables (derived, kept by each close)."""

    __tablename__ = "ledger_payment_allocations"

    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), primary_key=True)
    allocated: Mapped[int] = mapped_column(BigInteger)
