"""Bank statements (sao kê ngân hàng): import, matching to employers, the unmatched queue, reversals.

A statement is CSV (UTF-8; ``,`` ``;`` or tab) or .xlsx with the columns transaction id, date, amount,
payer account, description — found by their headings in any order (English or Vietnamese: "Mã giao
dịch", "Ngày giao dịch", "Số tiền", "Tài khoản", "Nội dung"), read with the registry's readers.
Every bad row is reported with its row number and reason; by default a file with a bad row credits
nothing (``skip_invalid`` credits the good rows and lists the others). The file is read, checked and
written in batches in one transaction (:func:`import_statement`), so that memory does not grow with
the file.

Matching (in this order): a tax code (mã số thuế, 10 digits or 10-3) in the description that names
an employer; else the employer reference ``DV`` + employer number printed on statements and
reminders; else the payment waits in the unmatched queue for an officer to assign.

Idempotency: ``payments.bank_txn_id`` is unique and rows are inserted with ``ON CONFLICT DO
NOTHING``, so a transaction imported twice — in one file, in two files, or by two imports running at
the same time on PostgreSQL — is stored, hence credited, once.

A reversal (the bank takes a credit back) marks the payment ``reversed`` and posts, for each of its
ledger entries, the opposite amount (kind ``reversal``): the months it had paid are open again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.core.audit import record
from ansinh.core.db import unit_of_work
from ansinh.core.money import check_amount
from ansinh.ledger.models import LedgerEntry, Payment
from ansinh.ledger.streaming import NO_ROW, ErrorTally, KeyIndex, TableFile
from ansinh.registry.importing import fields
from ansinh.registry.importing.base import Column, Item, RowError, RowReader
from ansinh.registry.models import Employer

COLUMNS = (
    Column(
        "transaction_id",
        ("Mã giao dịch", "Số giao dịch", "Số tham chiếu", "Transaction ID", "txn_id"),
        required=True,
    ),
    Column("date", ("Ngày giao dịch", "Ngày", "Ngày hiệu lực", "Value date"), required=True),
    Column("amount", ("Số tiền", "Số tiền ghi có", "Ghi có", "Credit"), required=True),
    Column("payer_account", ("Tài khoản", "Số tài khoản", "Tài khoản người nộp", "Account")),
    Column("description", ("Nội dung", "Diễn giải", "Nội dung giao dịch", "Memo")),
)
TAX_CODE = re.compile(r"(?<!\d)(\d{10}(?:-\d{3})?)(?![\d])")
REFERENCE = re.compile(r"\bDV0*(\d{1,12})\b", re.IGNORECASE)


def reference_of(employer_id: int) -> str:
    """The payment reference of an employer, printed on its statements and reminder letters."""
    return f"DV{employer_id:06d}"


@dataclass
class BankRow:
    txn_id: str
    value_date: date
    amount: int
    payer_account: str | None
    description: str | None


@dataclass
class BankImportReport:
    filename: str
    rows_total: int = 0
    credited: int = 0
    amount: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0
    #: The first :data:`~ansinh.registry.importing.base.MAX_ERRORS_KEPT` errors, in row order.
    errors: list[RowError] = field(default_factory=list)
    written: bool = False
    #: Every error found (``errors`` may keep fewer).
    error_count: int = 0
    #: Rows with at least one error: refused (nothing credited) or, with ``skip_invalid``, left out.
    rows_with_errors: int = 0


#: Rows read, checked, matched and inserted at a time: a batch of parsed rows weighs a few MB.
BATCH_ROWS = 10_000
#: Rows per executemany of the INSERT (SQLAlchemy splits it into statements within the bound-parameter
#: limits of SQLite and PostgreSQL).
INSERT_ROWS = 2_000


def _amount(value: str) -> int:
    """A credited amount: a positive whole number of đồng within MAX_AMOUNT_DONG (else a row error
    naming the row and the field ``amount``)."""
    return check_amount(fields.parse_amount(value))


def _read_row(item: Item[BankRow], headings: dict[str, str]) -> str | None:
    """Parse one row (pure): its record, or its errors naming the row and the column. Returns the
    transaction id as read (even when another cell is wrong: the row still claims its id)."""
    row = RowReader(item, headings)
    txn = row.text("transaction_id", required=True, max_len=64)
    day = row.date("date", required=True)
    amount = row.parse("amount", _amount, required=True)
    account = row.text("payer_account", max_len=34)
    description = row.text("description", max_len=300)
    if not item.errors and txn and day and amount:
        item.record = BankRow(txn, day, amount, account, description)
    return txn


def _check_batch(batch: list[Item[BankRow]], headings: dict[str, str], seen: KeyIndex) -> None:
    """Parse the rows of one batch and refuse a transaction id met on an earlier row of the file,
    in this batch or an earlier one (``seen`` keeps a 64-bit hash and the row of every id)."""
    ids = [(item, txn) for item in batch if (txn := _read_row(item, headings)) is not None]
    firsts = seen.check([(txn, item.row, 0, 0) for item, txn in ids])
    for (item, _txn), first in zip(ids, firsts, strict=True):
        if first != NO_ROW:
            reason = f"duplicate of row {first} (same transaction id)"
            RowReader(item, headings).error("transaction_id", reason)
            item.record = None


def parse_statement(path: Path, data: bytes) -> tuple[list[Item[BankRow]], list[str]]:
    """Every row of a small statement already in memory, with its errors (pure); the import itself
    streams (:func:`import_statement`). Raises
    :class:`~ansinh.registry.importing.base.ImportFileError` if the file is unusable."""
    table = TableFile(path, data, COLUMNS)
    items: list[Item[BankRow]] = list(table.items())
    _check_batch(items, table.headings, KeyIndex())
    return items, table.ignored


def match_employers(session: Session, rows: list[BankRow]) -> list[tuple[int | None, str]]:
    """(employer id, how) for each row: by tax code, by reference, or (None, "none")."""
    codes = {m for r in rows for m in TAX_CODE.findall(r.description or "")}
    refs = {int(m) for r in rows for m in REFERENCE.findall(r.description or "")}
    by_tax: dict[str, int] = dict(
        session.execute(select(Employer.tax_code, Employer.id).where(Employer.tax_code.in_(codes)))
        .tuples()
        .all()
    )
    known = set(session.scalars(select(Employer.id).where(Employer.id.in_(refs)))) if refs else set()
    out: list[tuple[int | None, str]] = []
    for r in rows:
        text = r.description or ""
        tax = next((by_tax[c] for c in TAX_CODE.findall(text) if c in by_tax), None)
        if tax is not None:
            out.append((tax, "tax_code"))
            continue
        ref = next((int(m) for m in REFERENCE.findall(text) if int(m) in known), None)
        out.append((ref, "reference") if ref is not None else (None, "none"))
    return out


def _insert(session: Session) -> Any:
    """``INSERT … ON CONFLICT (bank_txn_id) DO NOTHING RETURNING bank_txn_id`` on the table, run as
    one executemany (SQLAlchemy batches it into multi-row VALUES; compiled once, cached)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = Payment.__table__
    return (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=["bank_txn_id"])
        .returning(table.c.bank_txn_id)
    )


def import_statement(
    engine: Engine,
    path: Path,
    *,
    actor: str,
    skip_invalid: bool = False,
    data: bytes | None = None,
    batch_rows: int = BATCH_ROWS,
) -> BankImportReport:
    """Import one bank statement (the file at ``path``, or its bytes ``data``: an upload), read
    ``batch_rows`` rows at a time so that memory does not grow with the file.

    One pass, one transaction (nhập theo lô, một giao dịch): each batch is parsed and checked
    (cells, and transaction ids met on an earlier row of the file — kept as a 64-bit hash per id,
    :class:`~ansinh.ledger.streaming.KeyIndex`), then its good rows are matched to employers and
    inserted (``ON CONFLICT DO NOTHING``). When a row is wrong and not ``skip_invalid``, the
    transaction is rolled back at once — nothing is credited, and the write lock (SQLite) or the
    unique-index entries (PostgreSQL) a concurrent import may be waiting for are released — and the
    rest of the file is only checked, so that every error is counted.

    Why write as we go rather than check the whole file first: every check is on the row itself or
    on the ids before it in the file, never on what the database holds, so writing cannot change an
    answer; and the usual file, without errors, is then read and parsed once instead of twice.

    The report keeps the first :data:`~ansinh.registry.importing.base.MAX_ERRORS_KEPT` errors and
    counts all of them (``error_count``, ``rows_with_errors``).
    """
    path = Path(path)
    table = TableFile(path, data, COLUMNS)
    report = BankImportReport(filename=path.name)
    tally = ErrorTally()
    seen = KeyIndex()
    source = f"bank {path.name}"[:100]
    with unit_of_work(engine) as session:
        writing = True
        for batch in table.batches(batch_rows):
            _check_batch(batch, table.headings, seen)
            report.rows_total += len(batch)
            for item in batch:
                tally.add_row(item.errors)
            if tally.count and not skip_invalid:
                if writing:
                    session.rollback()  # nothing is credited: release what earlier batches took
                    writing = False
                continue
            _credit(session, [i.record for i in batch if i.record is not None], source, report)
        report.errors, report.error_count, report.rows_with_errors = tally.kept, tally.count, tally.rows
        if not writing:
            report.credited = report.amount = report.duplicates = report.matched = report.unmatched = 0
            return report
        record(
            session,
            actor=actor,
            action="import",
            entity="bank_statement",
            entity_id=path.name[:64],
            detail={
                "rows": report.rows_total,
                "credited": report.credited,
                "duplicates": report.duplicates,
                "unmatched": report.unmatched,
                "rejected": report.rows_with_errors,
            },
        )
        report.written = True
    return report


def _credit(session: Session, rows: list[BankRow], source: str, report: BankImportReport) -> None:
    """Match one batch's good rows to employers and insert them; a transaction id already stored
    (another file, an earlier import, a concurrent one) is left as it is and counted a duplicate."""
    if not rows:
        return
    now = datetime.now(UTC)
    matches = match_employers(session, rows)
    values = [
        {
            "bank_txn_id": r.txn_id,
            "value_date": r.value_date,
            "amount": r.amount,
            "payer_account": r.payer_account,
            "description": r.description,
            "employer_id": emp,
            "matched_by": how,
            "status": "matched" if emp is not None else "unmatched",
            "source": source,
            "imported_at": now,
        }
        for r, (emp, how) in zip(rows, matches, strict=True)
    ]
    stmt = _insert(session)
    inserted: set[str] = set()
    for start in range(0, len(values), INSERT_ROWS):
        inserted.update(session.scalars(stmt, values[start : start + INSERT_ROWS]))
    for row, (emp, _how) in zip(rows, matches, strict=True):
        if row.txn_id not in inserted:
            report.duplicates += 1
            continue
        report.credited += 1
        report.amount += row.amount
        if emp is None:
            report.unmatched += 1
        else:
            report.matched += 1


class PaymentError(ValueError):
    """A payment cannot be assigned or reversed as asked."""


def assign_payment(session: Session, payment_id: int, employer_id: int, *, actor: str) -> Payment:
    """An officer assigns an unmatched payment to an employer (hàng chờ đối soát)."""
    payment = session.get(Payment, payment_id, with_for_update=True)
    if payment is None:
        raise PaymentError("no such payment")
    if payment.status != "unmatched":
        raise PaymentError("only an unmatched payment can be assigned")
    if session.get(Employer, employer_id) is None:
        raise PaymentError("unknown employer")
    payment.employer_id = employer_id
    payment.status = "matched"
    payment.matched_by = "manual"
    payment.assigned_by = actor
    record(
        session,
        actor=actor,
        action="assign",
        entity="payment",
        entity_id=payment_id,
        detail={"employer_id": employer_id},
    )
    return payment


def reverse_payment(
    session: Session, payment_id: int, *, actor: str, reason: str, on: date | None = None
) -> int:
    """Reverse a payment: the opposite of each of its entries is posted. Returns the entries posted."""
    payment = session.get(Payment, payment_id, with_for_update=True)
    if payment is None:
        raise PaymentError("no such payment")
    if payment.status == "reversed":
        raise PaymentError("already reversed")
    payment.status = "reversed"
    now = datetime.now(UTC)
    entries = list(session.scalars(select(LedgerEntry).where(LedgerEntry.payment_id == payment_id)))
    for entry in entries:
        session.add(
            LedgerEntry(
                employer_id=entry.employer_id,
                period=entry.period,
                scheme=entry.scheme,
                party=entry.party,
                kind="reversal",
                item=entry.item,
                amount=-entry.amount,
                posted_on=on or now.date(),
                posted_at=now,
                payment_id=payment_id,
                source=f"reversal: {reason}"[:64],
                key=f"rev|{entry.id}",
            )
        )
    record(
        session,
        actor=actor,
        action="reverse",
        entity="payment",
        entity_id=payment_id,
        detail={"reason": reason, "entries": len(entries)},
    )
    return len(entries)
