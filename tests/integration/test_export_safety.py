"""No formula survives in a file the system writes, on SQLite and PostgreSQL: names, addresses and
phone numbers planted as ``=HYPERLINK(…)``, ``+1+1``, ``@SUM(A1)``, ``-2+3`` and a tab before
``=1`` come out of the registry export (CSV, .xlsx), the payroll bank and wallet files, the employer
statement, the outreach lists, the leadership report, the audit export and the import's error and
quarantine files as text (CSV: a leading ``'``; .xlsx: a text cell, never a formula), while ids
and amounts stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from ansinh.benefits.payroll import payment_files, run_monthly
from ansinh.core.audit import record
from ansinh.core.db import unit_of_work
from ansinh.core.spreadsheet import is_risky
from ansinh.coverage.models import Denominator
from ansinh.coverage.service import compute_and_write
from ansinh.ledger.close import rebuild
from ansinh.registry.exporting import export_table
from ansinh.registry.importing import import_file
from ansinh.registry.importing.readers import read_rows
from ansinh.registry.models import Commune, Employer, Household, Person
from tests.integration.web_seed import COMMUNE_A, COMMUNE_B, Web, make_web, sign_in

LINK = '=HYPERLINK("http://x","y")'
PAYLOADS = (LINK, "+1+1", "@SUM(A1)", "-2+3", "\t=1")
JAN, MAR = 2026 * 12, 2026 * 12 + 2


def _csv_cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _assert_csv_safe(text: str) -> list[list[str]]:
    """No cell of the CSV is one a spreadsheet would take for a formula."""
    cells = _csv_cells(text)
    risky = [c for row in cells for c in row if is_risky(c)]
    assert risky == []
    return cells


def _xlsx_cells(data: bytes) -> list[Any]:
    """Every cell of every sheet; none is a formula, and every text that starts like one is a text
    cell with the quote-prefix style."""
    workbook = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    for cell in cells:
        if is_risky(cell.value):
            assert (cell.data_type, cell.quotePrefix) == ("s", True), cell.coordinate
    return cells


def _plant_registry(engine: Engine, web: Web) -> None:
    ids = web.seed
    with unit_of_work(engine) as s:
        s.execute(update(Person).where(Person.id == ids.person_a).values(full_name=LINK, phone="+1+1"))
        s.execute(update(Person).where(Person.id == ids.person_a2).values(full_name="-2+3", phone="\t=1"))
        s.execute(update(Person).where(Person.id == ids.person_b).values(full_name="@SUM(A1)"))
        s.execute(update(Employer).where(Employer.id == ids.employer).values(name=LINK))
        s.execute(update(Employer).where(Employer.id == ids.employer_b).values(name="-2+3"))
        s.execute(update(Household).where(Household.id == ids.household_a).values(address="+1+1"))
        s.execute(update(Commune).where(Commune.code == COMMUNE_A).values(name="@SUM(A1)"))
        s.execute(update(Commune).where(Commune.code == COMMUNE_B).values(name=LINK))


@pytest.fixture
def planted(engine: Engine) -> Web:
    """The web seed with formula-like names everywhere, its ledger rebuilt and coverage computed."""
    web = make_web(engine)
    _plant_registry(engine, web)
    rebuild(engine, "2026-01", "2026-03")
    now = datetime.now(UTC)
    with unit_of_work(engine) as s:
        for code, population in ((COMMUNE_A, 3), (COMMUNE_B, 1)):
            s.add(
                Denominator(
                    area_code=code,
                    year=2026,
                    population=population,
                    labour_force=population,
                    working_age_population=population,
                    source="test",
                    updated_at=now,
                )
            )
    compute_and_write(engine, "42", JAN, MAR)
    return web


@pytest.mark.parametrize("table", ["persons", "employers", "households", "communes"])
def test_registry_export_csv_and_xlsx(planted: Web, tmp_path: Path, table: str) -> None:
    engine = planted.engine
    export_table(engine, table, "csv", tmp_path / f"{table}.csv", actor="test")
    text = (tmp_path / f"{table}.csv").read_text(encoding="utf-8-sig")
    cells = _assert_csv_safe(text)
    export_table(engine, table, "xlsx", tmp_path / f"{table}.xlsx", actor="test")
    xlsx = _xlsx_cells((tmp_path / f"{table}.xlsx").read_bytes())
    planted_here = {
        "persons": {LINK, "-2+3", "@SUM(A1)", "+1+1", "\t=1"},
        "employers": {LINK, "-2+3"},
        "households": {"+1+1"},
        "communes": {"@SUM(A1)", LINK},
    }[table]
    # CSV: the text behind one quote; .xlsx: the text itself, shown as text
    assert planted_here <= {c[1:] for row in cells for c in row if c.startswith("'")}
    assert planted_here <= {c.value for c in xlsx if c.data_type == "s"}
    if table == "persons":
        assert f'1,"042088001234","4201234567","\'{LINK.replace(chr(34), chr(34) * 2)}"' in text
        ids = [c for c in xlsx if c.column == 1 and c.row > 1]
        assert ids and all(c.data_type == "n" and isinstance(c.value, int) for c in ids)
    # the importer reads the CSV back as it was in the database
    back = [cells_ for _n, cells_ in read_rows(Path("x.csv"), text.encode("utf-8"))]
    assert planted_here <= {c for row in back for c in row}


def test_payroll_bank_and_wallet_files(engine: Engine) -> None:
    from tests.integration.test_benefits_payroll import MARCH, _seed_payroll

    ids = _seed_payroll(engine)
    with unit_of_work(engine) as s:
        s.execute(update(Person).where(Person.id == ids["bank"]).values(full_name=LINK))
        s.execute(update(Person).where(Person.id == ids["wallet"]).values(full_name="-2+3"))
        s.execute(update(Person).where(Person.id == ids["cash"]).values(full_name="\t=1"))
    run = run_monthly(engine, MARCH, actor="o")
    with unit_of_work(engine) as s:
        files = payment_files(s, run.run_id)
    assert sorted(files) == ["bank-VCB", "cash-BD42001", "ewallet-MOMO"]
    bank = _assert_csv_safe(files["bank-VCB"])
    assert bank[1][2:] == ["'" + LINK, "5000000", "2026-03"]
    quoted = LINK.replace('"', '""')
    assert files["bank-VCB"].splitlines()[1].endswith(f'"\'{quoted}",5000000,2026-03')
    assert _assert_csv_safe(files["ewallet-MOMO"])[1][2:] == ["'-2+3", "4000000", "2026-03"]
    assert _assert_csv_safe(files["cash-BD42001"])[1][2:] == ["'\t=1", "3000000", "2026-03"]


def test_employer_statement_xlsx(planted: Web) -> None:
    c, ids = planted.client, planted.seed
    sign_in(c, "director")
    got = c.get(f"/ledger/employers/{ids.employer}/statement.xlsx")
    assert got.status_code == 200
    cells = _xlsx_cells(got.content)
    assert cells[0].value == f"THÔNG BÁO KẾT QUẢ ĐÓNG BHXH, BHYT, BHTN — {LINK}"
    amounts = [c for c in cells if c.column in (3, 4, 5, 6) and c.row > 4]
    assert amounts and all(isinstance(a.value, int) and a.data_type == "n" for a in amounts)
    assert any(a.value == 2_708_750 for a in amounts)  # SI 25.5% + UI 2% of 9,850,000


def test_outreach_lists_and_leadership_report_xlsx(planted: Web) -> None:
    c = planted.client
    sign_in(c, "commune_officer")  # commune A, named "@SUM(A1)", whose people are LINK and "-2+3"
    got = c.get("/coverage/outreach.xlsx")
    assert got.status_code == 200
    cells = _xlsx_cells(got.content)
    texts = {x.value for x in cells if x.data_type == "s"}
    assert {LINK, "-2+3"} & texts  # at least one planted person is on a list, as text
    sign_in(c, "director")
    got = c.get("/coverage/report.xlsx", params={"period": "2026-03"})
    assert got.status_code == 200
    cells = _xlsx_cells(got.content)
    names = {x.value for x in cells if x.data_type == "s" and x.parent.title == "Xep hang xa"}
    assert {"@SUM(A1)", LINK} <= names
    ranks = [x.value for x in cells if x.parent.title == "Xep hang xa" and x.column == 1 and x.row > 1]
    assert sorted(ranks) == [1, 2]


def test_audit_export_csv(planted: Web) -> None:
    with unit_of_work(planted.engine) as s:
        record(s, actor=LINK, action="view", entity="person", entity_id="-2+3", detail={"q": "=1+1"})
    c = planted.client
    sign_in(c, "administrator")
    got = c.get("/audit/export.csv", params={"action": "view"})
    assert got.status_code == 200
    rows = _assert_csv_safe(got.text)
    assert rows[0][:3] == ["id", "at_utc", "actor"]
    mine = [r for r in rows[1:] if r[2] == "'" + LINK]
    assert len(mine) == 1 and mine[0][5] == "'-2+3" and mine[0][0].isdigit()


def test_import_error_and_quarantine_files(engine: Engine, tmp_path: Path) -> None:
    from tests.integration.test_export import DATA

    path = tmp_path / "areas_42.csv"
    path.write_bytes((DATA / "areas_42.csv").read_bytes())
    import_file(engine, "areas", path, actor="test")
    people = tmp_path / "persons.csv"
    people.write_text(
        "Số định danh,Mã số BHXH,Họ và tên,Ngày sinh,Giới tính,Mã xã,Dân tộc,Số điện thoại\n"
        f'042088001234,4201234567,"{LINK.replace(chr(34), chr(34) * 2)}",=1+1,Nam,18631,Kinh,+1+1\n'
        "042190004321,0101234567,Trần Thị Bình,1990-02-03,Nữ,18631,01,\n",
        encoding="utf-8",
    )
    refused = import_file(engine, "persons", people, actor="test")
    assert refused.errors and refused.errors_path is not None
    errors = _assert_csv_safe(refused.errors_path.read_text(encoding="utf-8-sig"))
    assert errors[1][:3] == ["2", "Ngày sinh", "'=1+1"]
    kept = import_file(engine, "persons", people, actor="test", skip_invalid=True)
    assert (kept.inserted, kept.quarantined) == (1, 1)
    assert kept.quarantine_path is not None
    text = kept.quarantine_path.read_text(encoding="utf-8-sig")
    quarantine = _assert_csv_safe(text)
    assert quarantine[1][:4] == ["042088001234", "4201234567", "'" + LINK, "'=1+1"]
    # imported again after the fix, the quarantine file gives the cells exactly as they were
    back = [cells for _n, cells in read_rows(kept.quarantine_path, text.encode("utf-8"))]
    assert back[1][:8] == ["042088001234", "4201234567", LINK, "=1+1", "Nam", "18631", "Kinh", "+1+1"]
    assert {e.column for e in kept.errors} == {"Ngày sinh", "Số điện thoại"}
    fixed = text.replace("'=1+1", "05/01/1988").replace("'+1+1", "0912345678")
    kept.quarantine_path.write_text(fixed, encoding="utf-8-sig")
    again = import_file(engine, "persons", kept.quarantine_path, actor="test")
    assert (again.inserted, again.quarantined, again.errors) == (1, 0, [])
    with unit_of_work(engine) as s:
        person = s.scalars(select(Person).where(Person.personal_id == "042088001234")).one()
        assert (person.full_name, person.birth_date, person.phone) == (LINK, date(1988, 1, 5), "0912345678")
