"""Commune-list import on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.core.audit import AuditEntry
from ansinh.registry.importing import import_file
from ansinh.registry.models import Commune, CommuneSuccession, ImportBatch

DATA = Path(__file__).parents[1] / "data" / "import"


def _copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copy(DATA / name, tmp_path / name))


def test_communes_and_successions_are_loaded(engine: Engine, tmp_path: Path) -> None:
    report = import_file(engine, "areas", _copy("areas_42.csv", tmp_path), actor="test")
    assert (report.rows_total, report.inserted, report.updated, report.unchanged, report.quarantined) == \
        (3, 3, 0, 0, 0)
    with Session(engine) as s:
        communes = s.execute(select(Commune.code, Commune.name, Commune.kind, Commune.province_code,
                                    Commune.valid_from, Commune.wage_region).order_by(Commune.code)).all()
        links = set(s.execute(select(CommuneSuccession.legacy_code, CommuneSuccession.commune_code)).all())
        batches = s.scalar(select(func.count()).select_from(ImportBatch))
    assert [tuple(c) for c in communes] == [
        ("18631", "Phường Thành Sen", "phuong", "42", date(2025, 7, 1), 2),
        ("18652", "Xã Cẩm Xuyên", "xa", "42", date(2025, 7, 1), 3),
        ("18700", "Xã Kỳ Anh", "xa", "42", date(2025, 7, 1), 4),
    ]
    assert links == {("18070", "18631"), ("18073", "18631"), ("18655", "18652")}
    assert batches == 1


def test_same_file_twice_and_same_rows_in_another_file_change_nothing(engine: Engine, tmp_path: Path) -> None:
    path = _copy("areas_42.csv", tmp_path)
    import_file(engine, "areas", path, actor="test")
    again = import_file(engine, "areas", path, actor="test")
    assert again.already_imported_at is not None
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 0)
    other = tmp_path / "communes_copy.csv"
    other.write_text(path.read_text(encoding="utf-8").replace("\n", "\r\n"), encoding="utf-8")
    report = import_file(engine, "areas", other, actor="test")
    assert report.already_imported_at is None
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 3)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Commune)) == 3
        assert s.scalar(select(func.count()).select_from(CommuneSuccession)) == 3


def test_a_renamed_commune_is_updated_and_audited(engine: Engine, tmp_path: Path) -> None:
    import_file(engine, "areas", _copy("areas_42.csv", tmp_path), actor="test")
    changed = tmp_path / "renamed.csv"
    changed.write_text("Mã xã,Tên xã,Cấp,Mã tỉnh,Vùng,Mã xã cũ\n"
                       "18700,Phường Kỳ Anh,Phường,42,IV,18701\n", encoding="utf-8")
    report = import_file(engine, "areas", changed, actor="cli:lan")
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)
    with Session(engine) as s:
        commune = s.get(Commune, "18700")
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "commune")).one()
    assert commune is not None and (commune.name, commune.kind) == ("Phường Kỳ Anh", "phuong")
    assert (entry.actor, entry.action, entry.entity_id) == ("cli:lan", "update", "18700")
    assert entry.detail is not None and '"name": ["Xã Kỳ Anh", "Phường Kỳ Anh"]' in entry.detail


def test_unknown_province_rejects_the_file(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("Mã xã,Tên xã,Cấp,Mã tỉnh\n18631,Phường Thành Sen,Phường,42\n"
                    "99001,Xã Lạ,Làng,99\n", encoding="utf-8")
    report = import_file(engine, "areas", path, actor="test")
    assert report.rejected
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (3, "Cấp", "Làng",
         "loại đơn vị hành chính 'Làng' không hợp lệ; chấp nhận: xa, phuong, dac_khu (unknown commune kind)"),
        (3, "Mã tỉnh", "99", "không có tỉnh mã 99 trong 34 tỉnh, thành phố theo QĐ 19/2025 (unknown "
                             "province: not one of the 34 provinces of QĐ 19/2025)"),
    ]
    assert report.errors_path == tmp_path / "bad.csv.errors.csv"
    assert report.errors_path.read_text(encoding="utf-8-sig").splitlines() == [
        "row,column,value,reason",
        "3,Cấp,Làng,\"loại đơn vị hành chính 'Làng' không hợp lệ; chấp nhận: xa, phuong, dac_khu "
        "(unknown commune kind)\"",
        "3,Mã tỉnh,99,\"không có tỉnh mã 99 trong 34 tỉnh, thành phố theo QĐ 19/2025 (unknown province: "
        "not one of the 34 provinces of QĐ 19/2025)\"",
    ]
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Commune)) == 0
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0
