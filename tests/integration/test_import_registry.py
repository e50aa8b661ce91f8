"""Households, employers and participation imports on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.registry.importing import import_file
from ansinh.registry.models import (
    EmployerRegion,
    EmployerStatus,
    Household,
    HouseholdPoverty,
    Participation,
    Person,
)

DATA = Path(__file__).parents[1] / "data" / "import"


def _copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copy(DATA / name, tmp_path / name))


def _reworded(path: Path, tmp_path: Path) -> Path:
    """The same rows in another file (CRLF line endings): a different checksum."""
    other = tmp_path / f"again_{path.name}"
    other.write_text(path.read_text(encoding="utf-8").replace("\n", "\r\n"), encoding="utf-8")
    return other


@pytest.fixture
def registry(engine: Engine, tmp_path: Path) -> Engine:
    for kind, name in (("areas", "areas_42.csv"), ("persons", "persons_vi.csv"),
                       ("employers", "employers.csv")):
        report = import_file(engine, kind, _copy(name, tmp_path), actor="test")
        assert report.written and not report.errors, report.errors
    return engine


def test_employers_with_dated_region_and_status(engine: Engine, tmp_path: Path) -> None:
    import_file(engine, "areas", _copy("areas_42.csv", tmp_path), actor="test")
    path = _copy("employers.csv", tmp_path)
    report = import_file(engine, "employers", path, actor="test")
    assert (report.inserted, report.updated, report.unchanged) == (3, 0, 0)
    same = import_file(engine, "employers", _reworded(path, tmp_path), actor="test")
    assert (same.inserted, same.updated, same.unchanged) == (0, 0, 3)

    change = tmp_path / "change.csv"
    change.write_text("Mã số thuế,Tên đơn vị,Loại hình,Mã xã,Ngành nghề,Vùng,Vùng từ ngày,Trạng thái,"
                      "Trạng thái từ ngày\n"
                      "4201234567,Công ty TNHH Hải Long,Doanh nghiệp,18631,C,I,01/01/2026,Tạm ngừng,"
                      "15/03/2026\n"
                      "4209876543,UBND xã Cẩm Xuyên,Cơ quan nhà nước,18652,O,III,01/01/2026,Hoạt động,"
                      "01/01/2026\n", encoding="utf-8")
    report = import_file(engine, "employers", change, actor="test")
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    with Session(engine) as s:
        regions = s.execute(select(EmployerRegion.region, EmployerRegion.valid_from, EmployerRegion.valid_to)
                            .where(EmployerRegion.employer_id == 1).order_by(EmployerRegion.valid_from)).all()
        statuses = s.execute(select(EmployerStatus.status, EmployerStatus.valid_from, EmployerStatus.valid_to)
                             .where(EmployerStatus.employer_id == 1)
                             .order_by(EmployerStatus.valid_from)).all()
    assert [tuple(r) for r in regions] == [(2, date(2025, 7, 1), date(2025, 12, 31)),
                                           (1, date(2026, 1, 1), None)]
    assert [tuple(r) for r in statuses] == [("active", date(2020, 1, 1), date(2026, 3, 14)),
                                            ("suspended", date(2026, 3, 15), None)]

    backdated = tmp_path / "backdated.csv"
    backdated.write_text("Mã số thuế,Tên đơn vị,Loại hình,Mã xã,Ngành nghề,Vùng,Vùng từ ngày\n"
                         "4201234567,Công ty TNHH Hải Long,Doanh nghiệp,18631,C,III,01/06/2025\n",
                         encoding="utf-8")
    report = import_file(engine, "employers", backdated, actor="test")
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "Vùng từ ngày", "thay đổi phải bắt đầu sau ngày 01/01/2026 của giá trị hiện hành; nhập tệp không "
                            "sửa lịch sử (the change must start after the current value's start "
                            "01/01/2026; import does not rewrite history)")]


def test_households_one_row_per_member(registry: Engine, tmp_path: Path) -> None:
    path = _copy("households.csv", tmp_path)
    report = import_file(registry, "households", path, actor="test")
    assert (report.rows_total, report.inserted, report.updated, report.unchanged) == (5, 5, 0, 0)
    with Session(registry) as s:
        households = s.execute(select(Household.code, Household.commune_code, Household.address)
                               .order_by(Household.code)).all()
        poverty = s.execute(select(Household.code, HouseholdPoverty.year, HouseholdPoverty.status)
                            .join(Household).order_by(Household.code)).all()
        members = s.execute(select(Person.full_name, Household.code, Person.relation_to_head)
                            .join(Household).order_by(Household.code, Person.full_name)).all()
    assert [tuple(h) for h in households] == [("HGD-0001", "18631", "Tổ 3"),
                                              ("HGD-0002", "18652", "Thôn Trung"),
                                              ("HGD-0003", "18700", "Thôn Đông")]
    assert [tuple(p) for p in poverty] == [("HGD-0001", 2025, "near_poor"), ("HGD-0002", 2025, "none"),
                                           ("HGD-0003", 2025, "poor")]
    assert [tuple(m) for m in members] == [("Nguyễn Văn An", "HGD-0001", "head"),
                                           ("Trần Thị Bình", "HGD-0001", "spouse"),
                                           ("Lê Thị Cúc", "HGD-0002", "child"),
                                           ("Phạm Văn Dũng", "HGD-0002", "head")]
    same = import_file(registry, "households", _reworded(path, tmp_path), actor="test")
    assert (same.inserted, same.updated, same.unchanged) == (0, 0, 5)


def test_household_errors(registry: Engine, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("Mã hộ,Mã xã,Số định danh,Quan hệ với chủ hộ,Năm,Hộ nghèo/cận nghèo\n"
                    "HGD-1,18631,042088001234,Chủ hộ,2025,Hộ nghèo\n"
                    "HGD-1,18652,042190004321,Chủ hộ,2025,Hộ cận nghèo\n"
                    "HGD-2,18631,042999000001,Con,,\n"
                    "HGD-2,18631,042088001234,Con,2025,\n", encoding="utf-8")
    report = import_file(registry, "households", path, actor="test")
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (3, "Mã xã", "khác với dòng 2 của cùng hộ (differs from row 2 of this household)"),
        (3, "Hộ nghèo/cận nghèo", "khác với dòng 2 cho năm 2025 (differs from row 2 for 2025)"),
        (3, "Quan hệ với chủ hộ", "hộ đã có chủ hộ ở dòng 2 (the household already has a head on row 2)"),
        (4, "Số định danh", "không có người nào có số định danh này (no person with this personal ID); "
                            "hãy nhập danh sách người trước (import the persons first)"),
        (5, "Hộ nghèo/cận nghèo", "hãy ghi cùng lúc năm và tình trạng nghèo (give the poverty year and "
                                  "status together)"),
    ]
    with Session(registry) as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 0


def test_participation(registry: Engine, tmp_path: Path) -> None:
    path = _copy("participation.csv", tmp_path)
    report = import_file(registry, "participation", path, actor="test")
    assert (report.rows_total, report.inserted, report.updated, report.unchanged) == (5, 5, 0, 0)
    with Session(registry) as s:
        spells = s.execute(select(Participation.scheme, Participation.valid_from, Participation.valid_to,
                                  Participation.employer_id, Participation.salary, Participation.income,
                                  Participation.support_group, Participation.hi_group,
                                  Participation.hi_benefit_level, Participation.hi_card_number)
                           .order_by(Participation.id)).all()
    assert [tuple(x) for x in spells] == [
        ("si", date(2024, 1, 1), None, 1, 8_500_000, None, None, None, None, None),
        ("ui", date(2024, 1, 1), None, 1, 8_500_000, None, None, None, None, None),
        ("hi", date(2025, 1, 1), date(2025, 12, 31), None, None, None, None, "DN", 4, "DN4424201234567"),
        ("vsi", date(2025, 3, 1), None, None, None, 1_500_000, "near_poor", None, None, None),
        ("hi", date(2025, 1, 1), date(2025, 12, 31), None, None, None, None, "HS", 4, "HS4420000000001"),
    ]
    same = import_file(registry, "participation", _reworded(path, tmp_path), actor="test")
    assert (same.inserted, same.updated, same.unchanged) == (0, 0, 5)
    raise_salary = tmp_path / "raise.csv"
    raise_salary.write_text("Mã số BHXH,Loại hình,Từ ngày,Mã số thuế đơn vị,Mức lương đóng\n"
                            "4201234567,BHXH bắt buộc,01/01/2024,4201234567,9000000\n", encoding="utf-8")
    report = import_file(registry, "participation", raise_salary, actor="test")
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)


def test_participation_reference_errors(registry: Engine, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Số định danh,Loại hình,Từ ngày,Mã số thuế đơn vị,Mức lương đóng,Mã thẻ BHYT\n"
                    "042088001234,BHYT,01/01/2025,,,DN4424209999999\n"
                    "042088001234,BHXH bắt buộc,01/01/2025,4200000000,5000000,\n"
                    "042999000001,BHXH bắt buộc,01/01/2025,4201234567,5000000,\n", encoding="utf-8")
    report = import_file(registry, "participation", path, actor="test")
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "Mã thẻ BHYT", "thẻ kết thúc bằng 4209999999, nhưng mã số BHXH của người này là 4201234567 "
                           "(the card ends with 4209999999, but the person's SI number is 4201234567)"),
        (3, "Mã số thuế đơn vị", "không có đơn vị mã số thuế 4200000000; hãy nhập danh sách đơn vị "
                                 "trước (unknown employer; import the employers first)"),
        (4, "Số định danh", "không có người nào có số định danh này (no person with this personal ID)"),
    ]
    with Session(registry) as s:
        assert s.scalar(select(func.count()).select_from(Participation)) == 0
