"""Bank statements and declaration files read in bounded batches (issue 13), on SQLite and
PostgreSQL: a file of several batches (``batch_rows=3``) stays all-or-nothing (an error in the last
batch writes nothing), ``skip_invalid`` credits the good rows of every batch, checks across the
whole file (a transaction id twice, a person declared twice) hold across batches, the same file
twice changes nothing, and an ordinary file gives the same result whatever the batch size."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from ansinh.cli.main import app
from ansinh.core.audit import AuditEntry
from ansinh.core.db import unit_of_work
from ansinh.core.scope import AreaScope
from ansinh.law.periods import Period
from ansinh.ledger.declarations import (
    DeclarationInput,
    DeclarationService,
    import_declarations,
    parse_file,
)
from ansinh.ledger.models import Declaration, Payment
from ansinh.ledger.payments import import_statement, reference_of
from ansinh.ledger.streaming import NO_ROW, ErrorTally, KeyIndex
from ansinh.registry.importing.base import ImportFileError, RowError
from ansinh.registry.importing.lookup import PersonRef
from ansinh.registry.models import Participation, Person
from tests.integration.test_ledger_core import COMMUNE, TAX, seed_ledger, statement

BANK_HEADING = "Mã giao dịch,Ngày giao dịch,Số tiền,Tài khoản,Nội dung"
DECLARATION_HEADING = "Mã số BHXH,Họ và tên,Mức lương,Từ tháng,Đến tháng,Loại bảo hiểm,Phương án"
SEEDED_SI = "4201234567"  # employed by TAX at 10,000,000 from 2026-01 (seed_ledger)


def _count(engine: Engine, model: Any, **where: object) -> int:
    with unit_of_work(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0)


def _audits(engine: Engine, entity: str) -> list[dict[str, Any]]:
    with unit_of_work(engine) as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id))
        return [{"action": a.action, **json.loads(a.detail or "{}")} for a in rows]


def _payments(engine: Engine) -> list[tuple[str, int, int | None, str, str]]:
    with unit_of_work(engine) as s:
        rows = s.execute(
            select(
                Payment.bank_txn_id, Payment.amount, Payment.employer_id, Payment.matched_by, Payment.status
            ).order_by(Payment.bank_txn_id)
        )
        return [tuple(r) for r in rows]


def _bank_rows(n: int, tax: str = TAX) -> list[tuple[str, str, str, str]]:
    return [(f"FT{i:03d}", "15/04/2026", f"{1_000_000 + i}", f"BHXH MST {tax}") for i in range(1, n + 1)]


# --- bank statements --------------------------------------------------------------------------


def test_statement_error_in_the_last_batch_credits_nothing(engine: Engine, tmp_path: Path) -> None:
    seed_ledger(engine)
    rows = _bank_rows(10)
    rows[-1] = ("FT010", "15/04/2026", "abc", "BHXH")  # row 11 of the file, in the 4th batch of 3
    report = import_statement(engine, statement(tmp_path, rows), actor="t", batch_rows=3)
    assert not report.written
    assert (report.rows_total, report.error_count, report.rows_with_errors) == (10, 1, 1)
    assert [(e.row, e.column, e.value) for e in report.errors] == [(11, "Số tiền", "abc")]
    assert (report.credited, report.amount, report.matched, report.duplicates) == (0, 0, 0, 0)
    assert _count(engine, Payment) == 0  # the three batches before it were rolled back
    assert _audits(engine, "bank_statement") == []


def test_statement_skip_invalid_credits_the_good_rows_of_every_batch(engine: Engine, tmp_path: Path) -> None:
    ids = seed_ledger(engine)
    rows = _bank_rows(10)
    rows[1] = ("FT002", "31/02/2026", "1000", "x")  # row 3: no such date (batch 1)
    rows[7] = ("FT008", "15/04/2026", "-5", "x")  # row 9: not a positive amount (batch 3)
    rows[9] = ("FT010", "15/04/2026", "2.000.000", f"nop BHXH {reference_of(ids.employer_b)}")
    report = import_statement(engine, statement(tmp_path, rows), actor="t", skip_invalid=True, batch_rows=3)
    assert report.written
    assert [e.row for e in report.errors] == [3, 9]
    assert (report.rows_total, report.rows_with_errors, report.error_count) == (10, 2, 2)
    assert (report.credited, report.matched, report.unmatched, report.duplicates) == (8, 8, 0, 0)
    good = [r for i, r in enumerate(rows) if i not in (1, 7)]
    assert report.amount == sum(int(r[2].replace(".", "")) for r in good)
    stored = _payments(engine)
    assert [p[0] for p in stored] == [r[0] for r in good]
    assert stored[-1] == ("FT010", 2_000_000, ids.employer_b, "reference", "matched")
    assert {p[2] for p in stored[:-1]} == {ids.employer}
    assert _audits(engine, "bank_statement") == [
        {"action": "import", "rows": 10, "credited": 8, "duplicates": 0, "unmatched": 0, "rejected": 2}
    ]


def test_statement_duplicate_transaction_id_across_batches(engine: Engine, tmp_path: Path) -> None:
    seed_ledger(engine)
    rows = _bank_rows(9)
    rows[7] = ("FT001", "16/04/2026", "5.000.000", "again")  # row 9 (batch 3) repeats row 2 (batch 1)
    path = statement(tmp_path, rows)
    refused = import_statement(engine, path, actor="t", batch_rows=3)
    assert not refused.written and _count(engine, Payment) == 0
    assert [(e.row, e.column, e.reason) for e in refused.errors] == [
        (9, "Mã giao dịch", "duplicate of row 2 (same transaction id)")
    ]
    kept = import_statement(engine, path, actor="t", batch_rows=3, skip_invalid=True)
    assert (kept.credited, kept.rows_with_errors) == (8, 1)
    assert ("FT001", 1_000_001) in [(p[0], p[1]) for p in _payments(engine)]  # the first one counts


def test_statement_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    seed_ledger(engine)
    path = statement(tmp_path, _bank_rows(8))
    first = import_statement(engine, path, actor="t", batch_rows=3)
    before = _payments(engine)
    again = import_statement(engine, path, actor="t", batch_rows=3)
    assert (first.credited, first.duplicates) == (8, 0)
    assert (again.credited, again.duplicates, again.amount) == (0, 8, 0)
    assert _payments(engine) == before and len(before) == 8
    assert [a["credited"] for a in _audits(engine, "bank_statement")] == [8, 0]


def test_statement_same_result_whatever_the_batch_size(engine: Engine, tmp_path: Path) -> None:
    ids = seed_ledger(engine)
    rows = [
        ("FT1", "09/04/2026", "3.200.000", f"BHXH T01 MST {TAX}"),
        ("FT2", "10/04/2026", "1.000.000", "nop tien bhxh"),
        ("FT3", "11/04/2026", "2.500.000", f"thanh toan {reference_of(ids.employer_b)}"),
        ("FT4", "12/04/2026", "700.000", f"MST 9999999999 va {reference_of(ids.employer)}"),
        ("FT5", "13/04/2026", "800.000", "DV999999"),  # no such employer: unmatched
    ]
    path = statement(tmp_path, rows)
    outcomes = []
    for batch_rows in (2, 10_000):
        report = import_statement(engine, path, actor="t", batch_rows=batch_rows)
        outcomes.append(
            ((report.credited, report.amount, report.matched, report.unmatched), _payments(engine))
        )
        with unit_of_work(engine) as s:
            s.execute(text("DELETE FROM payments"))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == (5, 8_200_000, 3, 2)
    assert [(p[0], p[2], p[3]) for p in outcomes[0][1]] == [
        ("FT1", ids.employer, "tax_code"),
        ("FT2", None, "none"),
        ("FT3", ids.employer_b, "reference"),
        ("FT4", ids.employer, "reference"),
        ("FT5", None, "none"),
    ]


# --- declarations -----------------------------------------------------------------------------


def _new_persons(engine: Engine, n: int) -> list[str]:
    """``n`` persons without any spell; their SI numbers."""
    numbers = [f"42099{i:05d}" for i in range(1, n + 1)]
    with unit_of_work(engine) as s:
        for i, si in enumerate(numbers, 1):
            s.add(
                Person(
                    full_name=f"Trần Thị {i}",
                    name_key=f"tran thi {i}",
                    personal_id=f"0421950{i:05d}",
                    si_number=si,
                    birth_date=date(1995, 2, 1),
                    gender="female",
                    commune_code=COMMUNE,
                )
            )
    return numbers


def _declaration_file(tmp_path: Path, lines: list[str], name: str = "ke_khai.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([DECLARATION_HEADING, *lines]) + "\n", encoding="utf-8")
    return path


def _joins(numbers: list[str], salary: str = "8.000.000", month: str = "04/2026") -> list[str]:
    return [f'{si},Trần Thị,{salary},{month},,"BHXH, BHYT, BHTN",TM' for si in numbers]


def _spells(engine: Engine) -> list[tuple[object, ...]]:
    with unit_of_work(engine) as s:
        p = Participation
        rows = s.execute(
            select(p.person_id, p.scheme, p.valid_from, p.valid_to, p.employer_id, p.salary).order_by(
                p.person_id, p.scheme, p.valid_from
            )
        )
        return [tuple(r) for r in rows]


def _import(engine: Engine, path: Path, **kwargs: Any) -> Any:
    with unit_of_work(engine) as s:
        return import_declarations(s, TAX, path, actor="t", **kwargs)


def test_declaration_file_error_in_the_last_batch_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    seed_ledger(engine)
    numbers = _new_persons(engine, 10)
    before = _spells(engine)
    lines = _joins(numbers)
    lines[-1] = lines[-1].replace("8.000.000", "3.000.000")  # row 11: below the region I minimum wage
    report = _import(engine, _declaration_file(tmp_path, lines), batch_rows=3)
    assert not report.ok and not report.unreadable
    assert (report.rows_total, report.error_count, report.applied) == (10, 1, 0)
    assert [(e.row, e.column) for e in report.errors] == [(11, "salary")]
    assert "minimum wage" in report.errors[0].reason
    assert _spells(engine) == before and _count(engine, Declaration) == 0
    assert _audits(engine, "employer") == []
    # a cell that cannot be read in the last batch: named with the file's heading, nothing checked
    lines[-1] = f'{numbers[-1]},Trần Thị,8.000.000,13/2026,,"BHXH",TM'
    unreadable = _import(engine, _declaration_file(tmp_path, lines), batch_rows=3)
    assert unreadable.unreadable and unreadable.error_count == 1
    assert [(e.row, e.column) for e in unreadable.errors] == [(11, "Từ tháng")]
    assert _spells(engine) == before and _count(engine, Declaration) == 0


def test_declaration_file_across_batches_applied_once(engine: Engine, tmp_path: Path) -> None:
    ids = seed_ledger(engine)
    numbers = _new_persons(engine, 8)
    lines = _joins(numbers)
    # the seeded employee: a salary change from April, then leaving in June — two batches apart
    lines.insert(1, f'{SEEDED_SI},Nguyễn Văn 0,12.000.000,04/2026,,"BHXH, BHTN",DC')
    lines.append(f'{SEEDED_SI},Nguyễn Văn 0,,06/2026,,"BHXH, BHYT, BHTN",GH')
    path = _declaration_file(tmp_path, lines)
    before = len(_spells(engine))
    report = _import(engine, path, batch_rows=3)
    assert report.ok and (report.rows_total, report.applied, report.repeated) == (10, 10, 0)
    spells = _spells(engine)
    assert len(spells) == before + 8 * 3 + 2  # 8 joins × 3 schemes; the salary change opens si, ui
    with unit_of_work(engine) as s:
        seeded = s.scalar(select(Person.id).where(Person.si_number == SEEDED_SI))
    mine = [(r[1], r[2], r[3], r[5]) for r in spells if r[0] == seeded]
    assert mine == [
        ("hi", date(2026, 1, 1), date(2026, 5, 31), None),
        ("si", date(2026, 1, 1), date(2026, 3, 31), 10_000_000),
        ("si", date(2026, 4, 1), date(2026, 5, 31), 12_000_000),
        ("ui", date(2026, 1, 1), date(2026, 3, 31), 10_000_000),
        ("ui", date(2026, 4, 1), date(2026, 5, 31), 12_000_000),
    ]
    assert _count(engine, Declaration, employer_id=ids.employer) == 10
    audits = _audits(engine, "employer")
    assert audits == [
        {
            "action": "declare",
            "source": "xlsx",
            "applied": 10,
            "repeated": 0,
            "file": "ke_khai.csv",
            "rows": 10,
        }
    ]
    again = _import(engine, path, batch_rows=3)
    assert again.ok and (again.applied, again.repeated) == (0, 10)
    assert _spells(engine) == spells and _count(engine, Declaration) == 10
    assert len(_audits(engine, "employer")) == 1  # nothing changed, nothing to audit


def test_same_person_twice_in_a_file_is_caught_across_batches(engine: Engine, tmp_path: Path) -> None:
    seed_ledger(engine)
    numbers = _new_persons(engine, 8)
    lines = _joins(numbers)
    # row 9 joins the person of row 2 again from June: the spells would overlap (open-ended April)
    lines[7] = f"{numbers[0]},Trần Thị,9.000.000,06/2026,,BHXH,TM"
    # row 10 repeats the seeded person's leaving of row 4 word for word
    leave = f"{SEEDED_SI},Nguyễn Văn 0,,06/2026,,BHYT,GH"
    lines[2] = leave
    lines.append(leave)
    before = _spells(engine)
    report = _import(engine, _declaration_file(tmp_path, lines), batch_rows=3)
    assert not report.ok
    assert [(e.row, e.column, e.value) for e in report.errors] == [
        (9, "schemes", "si"),
        (10, "person", PersonRef(SEEDED_SI, None).label()),
    ]
    assert report.errors[0].reason == "same person and scheme as row 2"
    assert "duplicate of row 4" in report.errors[1].reason and "trùng với dòng 4" in report.errors[1].reason
    assert _spells(engine) == before and _count(engine, Declaration) == 0
    # months that do not overlap are two spells, and allowed
    lines = _joins(numbers[:1], month="01/2026")
    lines[0] = lines[0].replace(",,", ",03/2026,")
    lines += [f"{numbers[0]},Trần Thị,9.000.000,06/2026,,BHXH,TM", *_joins(numbers[1:4])]
    ok = _import(engine, _declaration_file(tmp_path, lines), batch_rows=2)
    assert ok.ok and ok.applied == 5


def test_declaration_file_same_result_as_one_submission(engine: Engine, tmp_path: Path) -> None:
    seed_ledger(engine)
    numbers = _new_persons(engine, 7)
    lines = _joins(numbers[:5])
    lines += [
        f"{numbers[5]},Trần Thị,7.500.000,02/2026,05/2026,BHXH,TM",
        f"{numbers[6]},Trần Thị,6.000.000,03/2026,,BHYT,TM",
        f'{SEEDED_SI},Nguyễn Văn 0,11.000.000,05/2026,,"BHXH, BHTN",DC',
        f"{SEEDED_SI},Nguyễn Văn 0,,07/2026,,BHXH,KL",
    ]
    path = _declaration_file(tmp_path, lines)
    before = len(_spells(engine))
    with unit_of_work(engine) as s:  # the whole list at once, as before the file was streamed
        items, errors = parse_file(path, path.read_bytes())
        assert errors == []
        whole = DeclarationService(s, actor="t", source="xlsx").submit(TAX, items)
        s.flush()
        expected = _spells_in(s)
        s.rollback()
    streamed = _import(engine, path, batch_rows=2)
    assert (streamed.applied, streamed.repeated, streamed.errors) == (whole.applied, whole.repeated, [])
    assert streamed.applied == 9
    assert _spells(engine) == expected
    assert len(expected) == before + 5 * 3 + 1 + 1 + 2  # joins; the salary change opens si and ui


def _spells_in(s: Any) -> list[tuple[object, ...]]:
    p = Participation
    rows = s.execute(
        select(p.person_id, p.scheme, p.valid_from, p.valid_to, p.employer_id, p.salary).order_by(
            p.person_id, p.scheme, p.valid_from
        )
    )
    return [tuple(r) for r in rows]


def test_declaration_file_outside_the_officer_area(engine: Engine, tmp_path: Path) -> None:
    seed_ledger(engine)
    numbers = _new_persons(engine, 5)
    path = _declaration_file(tmp_path, _joins(numbers))
    other = AreaScope(province_code="42", commune_code="18999")
    report = _import(engine, path, batch_rows=2, scope=other)
    assert report.employer_id is None and report.error_count == 5
    assert {(e.column, e.reason) for e in report.errors} == {("employer", "unknown employer (tax code)")}
    assert [e.row for e in report.errors] == [2, 3, 4, 5, 6]
    assert _count(engine, Declaration) == 0


def test_declaration_file_changed_between_the_passes(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_ledger(engine)
    numbers = _new_persons(engine, 6)
    path = _declaration_file(tmp_path, _joins(numbers))
    check_batch = DeclarationService.check_batch

    def check_then_edit(self: DeclarationService, *args: Any) -> Any:
        result = check_batch(self, *args)
        if any(item.row == 7 for item in args[1]):  # the last batch checked: someone saves the file
            path.write_text(path.read_text(encoding="utf-8").replace("8.000.000", "9.000.000"), "utf-8")
        return result

    monkeypatch.setattr(DeclarationService, "check_batch", check_then_edit)
    before = _spells(engine)
    with pytest.raises(ImportFileError, match="changed during the import"):
        _import(engine, path, batch_rows=4)
    assert _spells(engine) == before and _count(engine, Declaration) == 0


def test_duplicate_key_in_one_request_is_refused_not_a_server_error(engine: Engine) -> None:
    seed_ledger(engine)
    line = DeclarationInput(
        1, "salary", PersonRef(SEEDED_SI, None), ("si",), Period(2026, 4), None, 11_000_000, key="api|k1"
    )
    twin = DeclarationInput(
        2, "salary", PersonRef(SEEDED_SI, None), ("si",), Period(2026, 5), None, 12_000_000, key="api|k1"
    )
    with unit_of_work(engine) as s:
        report = DeclarationService(s, actor="t", source="api").submit(TAX, [line, twin])
        assert [(e.row, e.column, e.value) for e in report.errors] == [(2, "key", "api|k1")]
        s.rollback()


def test_cli_declares_a_file(engine: Engine, tmp_path: Path) -> None:
    seed_ledger(engine)
    numbers = _new_persons(engine, 3)
    path = _declaration_file(tmp_path, _joins(numbers))
    url = engine.url.render_as_string(hide_password=False)
    env = {"ANSINH_SECRET_KEY": "abcdefghijklmnopqrstuvwxyz123456"}
    result = CliRunner().invoke(app, ["ledger", "declare", TAX, str(path), "--db", url], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "3 declared, 0 already declared"
    again = CliRunner().invoke(app, ["ledger", "declare", TAX, str(path), "--db", url], env=env)
    assert again.output.strip() == "0 declared, 3 already declared"


# --- the compact state ------------------------------------------------------------------------


def test_error_tally_counts_everything_and_keeps_the_first() -> None:
    tally = ErrorTally(limit=3)
    tally.add_row([RowError(2, "a", "", "x"), RowError(2, "b", "", "y")])
    tally.add_row([])
    tally.add([RowError(5, "a", "", "x"), RowError(5, "b", "", "y"), RowError(7, "a", "", "z")])
    assert (tally.count, tally.rows) == (5, 3)
    assert [(e.row, e.column) for e in tally.kept] == [(2, "a"), (2, "b"), (5, "a")]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 12), st.integers(0, 12)), max_size=60),
    st.integers(1, 7),
)
def test_key_index_finds_what_a_dict_of_every_row_finds(
    entries: list[tuple[int, int, int]], size: int
) -> None:
    """Batch by batch, the index answers as a naive list of every remembered entry would."""
    index = KeyIndex(spans=True)
    naive: list[tuple[str, int, int, int]] = []
    rows = [(f"k{k}", row, min(a, b), max(a, b)) for row, (k, a, b) in enumerate(entries, 2)]
    for start in range(0, len(rows), size):
        batch = rows[start : start + size]
        found = index.check(batch)
        for (key, row, lo, hi), first in zip(batch, found, strict=True):
            earlier = [r for k, r, a, b in naive if k == key and a <= hi and lo <= b]
            assert first == (earlier[0] if earlier else NO_ROW)
            if not earlier:
                naive.append((key, row, lo, hi))
    assert len(index) == len(naive)
