"""The import service: one call per file, used by the CLI and the web app.

    report = import_file(engine, "persons", Path("xa_18631.csv"), actor="cli:lan")

Steps: checksum (a file already in ``import_batches`` is a no-op) → read → match headings → parse
every row (pure) → duplicates inside the file → cross-row checks → references checked against the
database in bulk → if any error and not ``skip_invalid``: write nothing, write the error table →
otherwise write the valid rows, the quarantine file and the batch record in one unit of work.

Nothing is lost: every data row ends up inserted, updated, unchanged, or in the quarantine file
(which is written before the commit, so a failure to write it rolls the import back).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.core.audit import record, utcnow
from ansinh.core.db import session_factory, unit_of_work
from ansinh.registry.importing.areas import AreasImporter
from ansinh.registry.importing.base import (
    Importer,
    ImportFileError,
    ImportReport,
    Item,
    Progress,
    RowError,
    RowReader,
)
from ansinh.registry.importing.employers import EmployersImporter
from ansinh.registry.importing.households import HouseholdsImporter
from ansinh.registry.importing.lookup import rows_where_in
from ansinh.registry.importing.outputs import sibling, write_errors, write_quarantine
from ansinh.registry.importing.participation import ParticipationImporter
from ansinh.registry.importing.persons import PersonsImporter
from ansinh.registry.importing.readers import find_table, map_headings, read_rows
from ansinh.registry.models import ImportBatch

IMPORTERS: dict[str, type[Importer[Any]]] = {
    "areas": AreasImporter,
    "persons": PersonsImporter,
    "households": HouseholdsImporter,
    "employers": EmployersImporter,
    "participation": ParticipationImporter,
}
KINDS = tuple(IMPORTERS)
PROGRESS_EVERY = 2000


def _nothing(_stage: str, _done: int, _total: int) -> None:
    return None


def parse_rows(importer: Importer[Any], path: Path, data: bytes,
               progress: Progress = _nothing) -> tuple[list[str], list[Item[Any]], list[str]]:
    """Pure part of an import: (file headings, parsed items with their errors, ignored headings).

    Raises :class:`ImportFileError` when the file as a whole is unusable."""
    table = find_table(read_rows(path, data), importer.columns)
    mapping = map_headings(table.headings, importer.columns)
    problems = importer.check_columns(set(mapping.index))
    if problems:
        raise ImportFileError("; ".join(problems))
    importer.headings.update(mapping.headings)
    items: list[Item[Any]] = []
    total = len(table.rows)
    for n, (number, cells) in enumerate(table.rows, 1):
        named = {c: cells[i] if i < len(cells) else "" for c, i in mapping.index.items()}
        item: Item[Any] = Item(row=number, original=cells, cells=named)
        item.record = importer.parse(RowReader(item, importer.headings))
        items.append(item)
        if n % PROGRESS_EVERY == 0:
            progress("validating", n, total)
    progress("validating", total, total)
    _flag_duplicates(importer, items)
    importer.check_file(items)
    # underscore headings are the _row/_errors columns of a quarantine file being re-imported
    ignored = [h for h in mapping.ignored if not h.startswith("_")]
    return table.headings, items, ignored


def check_references(session: Session, importer: Importer[Any], items: Sequence[Item[Any]]) -> None:
    """Codes that must exist in another table, checked in bulk for every row that has one."""
    for column, (target, reason) in importer.references.items():
        heading = importer.headings.get(column, column)
        wanted = {i.cells[column] for i in items if i.cells.get(column)
                  and not any(e.column == heading for e in i.errors)}
        known = {r[0] for r in rows_where_in(session, (target,), target, wanted)}
        for item in items:
            value = item.cells.get(column, "")
            if value in wanted and value not in known:
                importer.error(item, column, reason.format(value=value))


def _flag_duplicates(importer: Importer[Any], items: Sequence[Item[Any]]) -> None:
    seen: dict[Any, int] = {}
    for item in items:
        if item.record is None:
            continue
        key = importer.key(item.record)
        if key in seen:
            column, value = importer.describe_key(item.record)
            heading = importer.headings.get(column, column)
            importer.error(item, column, f"duplicate of row {seen[key]} (same {heading})", value)
        else:
            seen[key] = item.row


def import_file(
    engine: Engine,
    kind: str,
    path: Path,
    *,
    actor: str,
    skip_invalid: bool = False,
    errors_path: Path | None = None,
    quarantine_path: Path | None = None,
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportReport:
    """Import one file of ``kind`` (see :data:`KINDS`). File-level problems raise
    :class:`ImportFileError`; row problems are returned in the report."""
    if kind not in IMPORTERS:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(KINDS)}")
    progress = progress or _nothing
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    sha256 = hashlib.sha256(data).hexdigest()
    report = ImportReport(kind=kind, filename=path.name, sha256=sha256)
    with session_factory(engine)() as session:
        earlier = session.scalars(select(ImportBatch.imported_at).where(
            ImportBatch.kind == kind, ImportBatch.sha256 == sha256)).first()
    if earlier is not None:
        report.already_imported_at = earlier
        return report

    importer = IMPORTERS[kind](today=today)
    importer.source = f"import {kind} {path.name}"
    headings, items, report.ignored_headings = parse_rows(importer, path, data, progress)
    report.rows_total = len(items)

    with unit_of_work(engine) as session:
        progress("checking", 0, 1)
        check_references(session, importer, items)
        importer.resolve(session, [i for i in items if i.ok])
        progress("checking", 1, 1)
        report.errors = sorted((e for i in items for e in i.errors), key=_error_order)
        good = [i for i in items if i.ok]
        bad = [i for i in items if not i.ok]
        if bad and not skip_invalid:
            session.rollback()  # nothing was written; make that explicit
            report.errors_path = write_errors(errors_path or sibling(path, ".errors.csv"), report.errors)
            return report
        progress("writing", 0, len(good))
        importer.apply(session, good, actor)
        progress("writing", len(good), len(good))
        for item in good:
            setattr(report, item.outcome, getattr(report, item.outcome) + 1)
        report.quarantined = len(bad)
        if bad:
            report.quarantine_path = write_quarantine(
                quarantine_path or sibling(path, ".quarantine.csv"), headings, bad)
        session.add(ImportBatch(kind=kind, sha256=sha256, filename=path.name[:255],
                                rows_total=report.rows_total, rows_imported=len(good),
                                rows_quarantined=len(bad), imported_by=actor, imported_at=utcnow()))
        record(session, actor=actor, action="import", entity=kind, entity_id=sha256[:16],
               detail={"file": path.name, "rows": report.rows_total, "inserted": report.inserted,
                       "updated": report.updated, "unchanged": report.unchanged,
                       "quarantined": report.quarantined})
        report.written = True
    return report


def _error_order(error: RowError) -> int:
    return error.row  # stable: a row's errors keep the order of its columns
