"""Bank statements (sao kê ngân hàng): import, matching to employers, the unmatched queue, reversals.

A statement is CSV (UTF-8; ``,`` ``;`` or tab) or .xlsx with the columns transaction id, date, amount,
payer account, description — found by their headings in any order (English or Vietnamese: "Mã giao
dịch", "Ngày giao dịch", "Số tiền", "Tài khoản", "Nội dung"), read with the registry's readers.
Every bad row is reported with its row number and reason; by default a file with a bad row credits
nothing (``skip_invalid`` credits the good rows and lists the others).

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
from ansinh.registry.importing import fields
from ansinh.registry.importing.base import Column, ImportFileError, Item, RowError, RowReader
from ansinh.registry.importing.readers import find_table, map_headings, read_rows
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
    errors: list[RowError] = field(default_factory=list)
    written: bool = False


def _amount(value: str) -> int:
    """A credited amount: a positive whole number of đồng within MAX_AMOUNT_DONG (else a row error
    naming the row and the field ``amount``)."""
    return check_amount(fields.parse_amount(value))


def parse_statement(path: Path, data: bytes) -> tuple[list[Item[BankRow]], list[str]]:
    """Rows of a statement with their errors (pure). Raises :class:`ImportFileError` if unusable."""
    table = find_table(read_rows(path, data), COLUMNS)
    mapping = map_headings(table.headings, COLUMNS)
    headings = {c.name: c.name for c in COLUMNS} | mapping.headings
    items: list[Item[BankRow]] = []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        named = {c: cells[i] if i < len(cells) else "" for c, i in mapping.index.items()}
        item: Item[BankRow] = Item(row=number, original=cells, cells=named)
        row = RowReader(item, headings)
        txn = row.text("transaction_id", required=True, max_len=64)
        day = row.date("date", required=True)
        amount = row.parse("amount", _amount, required=True)
        account = row.text("payer_account", max_len=34)
        description = row.text("description", max_len=300)
        if txn is not None and txn in seen:
            row.error("transaction_id", f"duplicate of row {seen[txn]} (same transaction id)")
        elif txn is not None:
            seen[txn] = number
        if not item.errors and txn and day and amount:
            item.record = BankRow(txn, day, amount, account, description)
        items.append(item)
    return items, mapping.ignored


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
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(Payment)


def import_statement(
    engine: Engine, path: Path, *, actor: str, skip_invalid: bool = False, data: bytes | None = None
) -> BankImportReport:
    """Import one bank statement; see the module docstring."""
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    items, _ignored = parse_statement(path, data)
    report = BankImportReport(filename=path.name, rows_total=len(items))
    report.errors = [e for i in items for e in i.errors]
    if report.errors and not skip_invalid:
        return report
    rows = [i.record for i in items if i.record is not None]
    now = datetime.now(UTC)
    with unit_of_work(engine) as session:
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
                "source": f"bank {path.name}"[:100],
                "imported_at": now,
            }
            for r, (emp, how) in zip(rows, matches, strict=True)
        ]
        inserted: set[str] = set()
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            stmt = _insert(session).values(chunk).on_conflict_do_nothing(index_elements=["bank_txn_id"])
            inserted.update(session.scalars(stmt.returning(Payment.bank_txn_id)))
        for value in values:
            if value["bank_txn_id"] not in inserted:
                report.duplicates += 1
                continue
            report.credited += 1
            report.amount += int(str(value["amount"]))
            if value["employer_id"] is None:
                report.unmatched += 1
            else:
                report.matched += 1
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
                "rejected": len({e.row for e in report.errors}),
            },
        )
        report.written = True
    return report


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
