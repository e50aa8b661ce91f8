"""Persons import on SQLite and PostgreSQL: all-or-nothing, quarantine, idempotency, audit."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.core.audit import AuditEntry
from ansinh.core.db import unit_of_work
from ansinh.registry.importing import ImportFileError, import_file
from ansinh.registry.models import ImportBatch, Person

DATA = Path(__file__).parents[1] / "data" / "import"
HEADER = "Số định danh,Mã số BHXH,Họ và tên,Ngày sinh,Giới tính,Mã xã,Số điện thoại\n"


def _copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copy(DATA / name, tmp_path / name))


@pytest.fixture
def areas(engine: Engine, tmp_path: Path) -> Engine:
    import_file(engine, "areas", _copy("areas_42.csv", tmp_path), actor="test")
    return engine


def _persons(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as s:
        return [tuple(r) for r in s.execute(
            select(Person.personal_id, Person.si_number, Person.full_name, Person.name_key,
                   Person.birth_date, Person.gender, Person.commune_code, Person.ethnicity, Person.phone)
            .order_by(Person.personal_id)).all()]


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_vietnamese_headings_import(areas: Engine, tmp_path: Path) -> None:
    report = import_file(areas, "persons", _copy("persons_vi.csv", tmp_path), actor="cli:lan")
    assert (report.rows_total, report.inserted, report.updated, report.unchanged, report.quarantined) == \
        (5, 5, 0, 0, 0)
    assert _persons(areas) == [
        ("042075000222", "4209999999", "Phạm Văn Dũng", "pham van dung", date(1975, 6, 1), "male", "18652",
         "03", None),
        ("042088001234", "4201234567", "Nguyễn Văn An", "nguyen van an", date(1988, 1, 5), "male", "18631",
         "01", "0912345678"),
        ("042190004321", "0101234567", "Trần Thị Bình", "tran thi binh", date(1990, 2, 3), "female",
         "18631", "01", None),
        ("042205000333", None, "Hoàng Văn Em", "hoang van em", date(2005, 10, 20), "male", "18700", None,
         None),
        ("042301000111", None, "Lê Thị Cúc", "le thi cuc", date(2001, 12, 12), "female", "18652", None,
         None),
    ]
    with Session(areas) as s:
        batch = s.scalars(select(ImportBatch).where(ImportBatch.kind == "persons")).one()
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "persons")).one()
    assert (batch.filename, batch.rows_total, batch.rows_imported, batch.rows_quarantined,
            batch.imported_by) == ("persons_vi.csv", 5, 5, 0, "cli:lan")
    assert entry.action == "import"


def test_bad_file_writes_nothing_and_lists_every_error(areas: Engine, tmp_path: Path) -> None:
    path = _copy("persons_bad.csv", tmp_path)
    report = import_file(areas, "persons", path, actor="test")
    assert report.rejected and not report.written
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (2, "Số CCCD", "042288001235", "chữ số thứ 4 của số định danh là 2, nhưng nam sinh năm 1988 "
                                       "phải là 0 "
                                       "(personal ID digit 4 is 2, but a male born in 1988 has 0)"),
        (3, "Số CCCD", "04208800123", "số định danh phải gồm 12 chữ số, nhận được '04208800123' (personal ID "
                                      "must be 12 digits); mất số 0 ở đầu? hãy định dạng cột là Văn bản "
                                      "(Text) "
                                      "trong Excel (leading zeros lost? format the column as Text in Excel)"),
        (4, "Số CCCD", "04208800123A", "số định danh phải gồm 12 chữ số, nhận được '04208800123A' "
                                       "(personal ID "
                                       "must be 12 digits)"),
        (5, "Ngày sinh", "31/02/1990", "ngày '31/02/1990' không có thật (impossible date: no such day)"),
        (6, "Mã xã", "99999", "không có xã mã 99999 (unknown commune)"),
        (8, "Mã số BHXH", "4201234567", "trùng với dòng 7 (cùng Mã số BHXH) (duplicate of row 7, same "
                                        "Mã số BHXH)"),
    ]
    assert _count(areas, Person) == 0
    assert _count(areas, ImportBatch) == 1  # the areas file only
    with (tmp_path / "persons_bad.csv.errors.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["row", "column", "value", "reason"]
    assert rows[5] == ["6", "Mã xã", "99999", "không có xã mã 99999 (unknown commune)"]
    assert len(rows) == 7


def test_skip_invalid_imports_good_rows_and_quarantines_the_rest(areas: Engine, tmp_path: Path) -> None:
    path = _copy("persons_bad.csv", tmp_path)
    report = import_file(areas, "persons", path, actor="test", skip_invalid=True)
    assert (report.rows_total, report.inserted, report.updated, report.unchanged, report.quarantined) == \
        (7, 1, 0, 0, 6)
    assert report.inserted + report.unchanged + report.updated + report.quarantined == report.rows_total
    assert [p[2] for p in _persons(areas)] == ["Nguyễn Văn An"]
    assert report.quarantine_path == tmp_path / "persons_bad.csv.quarantine.csv"
    with report.quarantine_path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Số CCCD", "Mã số BHXH", "Họ và tên", "Ngày sinh", "Giới tính", "Mã xã", "_row",
                       "_errors"]
    assert [r[6] for r in rows[1:]] == ["2", "3", "4", "5", "6", "8"]
    assert rows[4] == ["042190004329", "", "Ngày Sai", "31/02/1990", "Nữ", "18631", "5",
                       "Ngày sinh: ngày '31/02/1990' không có thật (impossible date: no such day)"]
    # the officer fixes the quarantined date and imports the quarantine file: its extra columns are ignored
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("\n".join(",".join(r) for r in [rows[0], rows[4]]).replace("31/02", "28/02"),
                     encoding="utf-8")
    again = import_file(areas, "persons", fixed, actor="test")
    assert (again.inserted, again.ignored_headings) == (1, [])


def test_same_file_twice_and_same_rows_as_xlsx_change_nothing(areas: Engine, tmp_path: Path) -> None:
    path = _copy("persons_vi.csv", tmp_path)
    import_file(areas, "persons", path, actor="test")
    before = _persons(areas)
    second = import_file(areas, "persons", path, actor="test")
    assert second.already_imported_at is not None and not second.written
    as_xlsx = import_file(areas, "persons", _copy("persons_vi.xlsx", tmp_path), actor="test")
    assert (as_xlsx.inserted, as_xlsx.updated, as_xlsx.unchanged, as_xlsx.quarantined) == (0, 0, 5, 0)
    assert _persons(areas) == before
    with Session(areas) as s:
        updates = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "update")
        assert s.scalar(updates) == 0


def test_changes_are_updates_audited_with_masked_ids(areas: Engine, tmp_path: Path) -> None:
    import_file(areas, "persons", _copy("persons_vi.csv", tmp_path), actor="test")
    changed = tmp_path / "changed.csv"
    changed.write_text(HEADER + "042088001234,4201234567,Nguyễn Văn Ân,05/01/1988,Nam,18631,0987654321\n"
                       "042301000111,4207777777,Lê Thị Cúc,12/12/2001,Nữ,18652,\n", encoding="utf-8")
    report = import_file(areas, "persons", changed, actor="cli:lan")
    assert (report.inserted, report.updated, report.unchanged) == (0, 2, 0)
    assert _count(areas, Person) == 5  # Lê Thị Cúc got her SI number; no second record
    with Session(areas) as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "update")
                            .order_by(AuditEntry.id)).all()
        an = s.scalars(select(Person).where(Person.si_number == "4201234567")).one()
    assert (an.full_name, an.name_key, an.phone) == ("Nguyễn Văn Ân", "nguyen van an", "0987654321")
    assert [e.actor for e in entries] == ["cli:lan", "cli:lan"]
    details = " ".join(e.detail or "" for e in entries)
    assert '"phone": ["091****678", "098****321"]' in details
    assert '"si_number": [null, "420****777"]' in details
    for secret in ("0987654321", "0912345678", "4207777777", "042301000111"):
        assert secret not in details


def test_personal_id_shared_by_two_records_is_not_guessed(areas: Engine, tmp_path: Path) -> None:
    with unit_of_work(areas) as s:
        for si in ("4200000001", "4200000002"):
            s.add(Person(personal_id="042088001234", si_number=si, full_name="An", name_key="an",
                         birth_date=date(1988, 1, 5), gender="male", commune_code="18631"))
    path = tmp_path / "p.csv"
    path.write_text(HEADER + "042088001234,,Nguyễn Văn An,05/01/1988,Nam,18631,\n", encoding="utf-8")
    report = import_file(areas, "persons", path, actor="test")
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "Số định danh", "2 người có cùng số định danh này; hãy ghi mã số BHXH để chỉ rõ người nào (hoặc "
                            "gộp hồ sơ trước) (2 persons have this personal ID; give the SI number to say "
                            "which, or merge them first)")]


def test_unknown_household(areas: Engine, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Mã số BHXH,Họ và tên,Ngày sinh,Giới tính,Mã xã,Mã hộ,Quan hệ với chủ hộ\n"
                    "4201234567,An,05/01/1988,Nam,18631,HGD-9,Chủ hộ\n", encoding="utf-8")
    report = import_file(areas, "persons", path, actor="test")
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "Mã hộ", "không có hộ mã HGD-9; hãy nhập danh sách hộ trước (unknown household; import the "
                     "households first)")]


@pytest.mark.parametrize(("name", "message"), [
    ("persons_cp1258.csv", "the file is not UTF-8 (byte 0xf4 on line 1 cannot be decoded)"),
    ("persons_truncated.xlsx", "persons_truncated.xlsx is not a readable .xlsx file (damaged or truncated?)"),
])
def test_unreadable_files_are_refused_whole(areas: Engine, tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(ImportFileError) as info:
        import_file(areas, "persons", _copy(name, tmp_path), actor="test")
    assert str(info.value).startswith(message)
    assert _count(areas, Person) == 0
    assert _count(areas, ImportBatch) == 1
