"""Import of the denominators (mẫu số) from the statistics office's tables, CSV or .xlsx.

One row per area (province 2 digits or commune 5 digits) and year::

    Mã địa bàn,Năm,Dân số,Dân số trong độ tuổi lao động,Lực lượng lao động trong độ tuổi,Nguồn
    42,2026,1323000,812000,640000,Niên giám thống kê Hà Tĩnh 2025
    18631,2026,25410,15630,12480,Cục Thống kê Hà Tĩnh

Rules: counts are whole numbers (dots or commas may group thousands); labour force ≤ working-age
population ≤ population; the area must be a commune or province known to the registry; one row per
area and year in a file. The registry's readers, heading matching and row errors are reused
(:mod:`ansinh.registry.importing`): every bad row is reported with its row, column, value and
reason, and nothing is written unless every row is good (all-or-nothing). Importing the same file
again changes nothing (its checksum is in ``import_batches``); a new file replaces the figures of
the area-years it contains.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.core.audit import record
from ansinh.core.db import unit_of_work
from ansinh.coverage.models import Denominator
from ansinh.registry.importing import fields
from ansinh.registry.importing.base import Column, Importer, ImportFileError, ImportReport, Item, RowReader
from ansinh.registry.importing.lookup import rows_where_in
from ansinh.registry.importing.outputs import write_errors
from ansinh.registry.importing.service import parse_rows
from ansinh.registry.models import Commune, ImportBatch, Province

KIND = "denominators"


def _count(value: str) -> int:
    value = value.strip().replace(" ", "")
    if value == "0":
        return 0
    return fields.parse_amount(value)


def _area(value: str) -> str:
    value = value.strip()
    if not (value.isascii() and value.isdigit() and len(value) in (2, 5)):
        raise ValueError(f"mã địa bàn phải gồm 2 chữ số (tỉnh) hoặc 5 chữ số (xã), nhận được {value!r} "
                         "(area code must be 2 digits for a province or 5 for a commune)")
    return value


@dataclass
class DenominatorRecord:
    area_code: str
    year: int
    population: int
    labour_force: int
    working_age_population: int
    source: str | None


class DenominatorsImporter(Importer[DenominatorRecord]):
    kind = KIND
    columns = (
        Column("area_code", ("Mã địa bàn", "Mã ĐVHC", "Mã xã", "Mã tỉnh", "Mã đơn vị"), required=True),
        Column("year", ("Năm",), required=True),
        Column("population", ("Dân số", "Dân số trung bình"), required=True),
        Column(
            "working_age_population",
            ("Dân số trong độ tuổi lao động", "Dân số trong tuổi lao động", "Dân số độ tuổi lao động"),
            required=True,
        ),
        Column(
            "labour_force",
            ("Lực lượng lao động trong độ tuổi", "Lực lượng lao động", "LLLĐ trong độ tuổi"),
            required=True,
        ),
        Column("source", ("Nguồn", "Nguồn số liệu")),
    )

    def parse(self, row: RowReader) -> DenominatorRecord | None:
        area = row.parse("area_code", _area, required=True)
        year = row.parse("year", fields.int_range(2000, 2100, "year"), required=True)
        population = row.parse("population", _count, required=True)
        working = row.parse("working_age_population", _count, required=True)
        labour = row.parse("labour_force", _count, required=True)
        source = row.text("source", max_len=200)
        if working is not None and population is not None and working > population:
            row.error("working_age_population", f"lớn hơn dân số ({population:,}) (more than the population)")
        if labour is not None and working is not None and labour > working:
            row.error("labour_force", f"lớn hơn dân số trong độ tuổi lao động ({working:,}) (more than the "
                                      "working-age population)")
        if row.item.errors:
            return None
        assert area and year and population is not None and working is not None and labour is not None
        return DenominatorRecord(area, year, population, labour, working, source)

    def key(self, record: DenominatorRecord) -> Hashable:
        return (record.area_code, record.year)

    def describe_key(self, record: DenominatorRecord) -> tuple[str, str]:
        return "area_code", f"{record.area_code} {record.year}"

    def resolve(self, session: Session, items: Sequence[Item[DenominatorRecord]]) -> None:
        codes = {i.record.area_code for i in items if i.record is not None}
        known = {r[0] for r in rows_where_in(session, (Commune.code,), Commune.code, codes)}
        known |= {r[0] for r in rows_where_in(session, (Province.code,), Province.code, codes)}
        for item in items:
            if item.record is not None and item.record.area_code not in known:
                self.error(item, "area_code", "không có xã hay tỉnh này trong danh mục (unknown area: no "
                                              "such commune or province in the registry)")

    def apply(self, session: Session, items: Sequence[Item[DenominatorRecord]], actor: str) -> None:
        now = datetime.now(UTC)
        for item in items:
            rec = item.record
            assert rec is not None
            stored = session.get(Denominator, (rec.area_code, rec.year))
            values = {
                "population": rec.population,
                "labour_force": rec.labour_force,
                "working_age_population": rec.working_age_population,
                "source": (rec.source or self.source)[:200],
            }
            if stored is None:
                session.add(Denominator(area_code=rec.area_code, year=rec.year, updated_at=now, **values))
                item.outcome = "inserted"
            elif any(getattr(stored, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(stored, k, v)
                stored.updated_at = now
                item.outcome = "updated"
            else:
                item.outcome = "unchanged"


def import_denominators(
    engine: Engine, path: Path, *, actor: str, data: bytes | None = None, errors_path: Path | None = None
) -> ImportReport:
    """Import one statistics table. Row problems come back in the report (nothing written);
    an unreadable file raises :class:`ImportFileError`."""
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    sha256 = hashlib.sha256(data).hexdigest()
    report = ImportReport(kind=KIND, filename=path.name, sha256=sha256)
    with unit_of_work(engine) as session:
        earlier = session.scalars(
            select(ImportBatch.imported_at).where(ImportBatch.kind == KIND, ImportBatch.sha256 == sha256)
        ).first()
        if earlier is not None:
            report.already_imported_at = earlier
            return report
    importer = DenominatorsImporter()
    importer.source = f"statistics table {path.name}"
    _headings, items, report.ignored_headings = parse_rows(importer, path, data)
    report.rows_total = len(items)
    with unit_of_work(engine) as session:
        importer.resolve(session, [i for i in items if i.ok])
        report.errors = sorted((e for i in items for e in i.errors), key=lambda e: e.row)
        if report.errors:
            session.rollback()
            if errors_path is not None:
                report.errors_path = write_errors(errors_path, report.errors)
            return report
        importer.apply(session, items, actor)
        for item in items:
            setattr(report, item.outcome, getattr(report, item.outcome) + 1)
        session.add(
            ImportBatch(
                kind=KIND,
                sha256=sha256,
                filename=path.name[:255],
                rows_total=report.rows_total,
                rows_imported=len(items),
                rows_quarantined=0,
                imported_by=actor,
                imported_at=datetime.now(UTC),
            )
        )
        record(
            session,
            actor=actor,
            action="import",
            entity=KIND,
            entity_id=sha256[:16],
            detail={
                "file": path.name,
                "rows": report.rows_total,
                "inserted": report.inserted,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
        )
        report.written = True
    return report


def summary(report: ImportReport) -> dict[str, Any]:
    return {
        "file": report.filename,
        "rows": report.rows_total,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "errors": len(report.errors),
        "already_imported": report.already_imported_at is not None,
    }
