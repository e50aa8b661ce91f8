"""The import service: one call per file, used by the CLI and the web app.

    report = import_file(engine, "persons", Path("xa_18631.csv"), actor="cli:lan")

The file is streamed in batches of :data:`BATCH_ROWS` rows (nhập theo lô), so that memory does not
grow with the file (a list of 2.2 million persons is never held whole), in ONE pass and ONE
transaction: checksum (a file already in ``import_batches`` is a no-op) → match headings → per
batch: parse every row (pure) → duplicates inside the file → cross-row checks → references checked
against the database in bulk → the importer's own checks (against the database as the earlier
batches of the same file left it: a row naming a person an earlier row just created finds that
person) → write the batch. What stays from one batch to the next is compact: the errors (spooled
to a temporary file; the report keeps the first :data:`~.base.MAX_ERRORS_KEPT`), one bit per bad
row, and a 128-bit number per natural key for the duplicate checks (:func:`~.base.compact_key`).
After the first bad row (without ``skip_invalid``) nothing more is written but every row is still
checked; the transaction is then rolled back. A process killed mid-way (or any error) commits
nothing. The file's checksum is taken again before the commit: a file changed while it was read
is refused.

If any row has an error and not ``skip_invalid``, nothing is written and the error table
(FILE.errors.csv: row, column, value, reason) lists every problem. Nothing is lost: every data row
ends up inserted, updated, unchanged, or in the quarantine file (which is written before the
commit, so a failure to write it rolls the import back).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.core.audit import record, utcnow
from ansinh.core.db import session_factory, unit_of_work
from ansinh.registry.importing.areas import AreasImporter
from ansinh.registry.importing.base import (
    MAX_ERRORS_KEPT,
    Importer,
    ImportFileError,
    ImportReport,
    Item,
    Progress,
    RowError,
    RowReader,
    compact_key,
)
from ansinh.registry.importing.bulk import indexes_deferred
from ansinh.registry.importing.employers import EmployersImporter
from ansinh.registry.importing.households import HouseholdsImporter
from ansinh.registry.importing.lookup import rows_where_in
from ansinh.registry.importing.outputs import QuarantineFile, sibling, write_errors
from ansinh.registry.importing.participation import ParticipationImporter
from ansinh.registry.importing.persons import PersonsImporter
from ansinh.registry.importing.readers import locate_table, map_headings, open_rows
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
#: Rows validated and written at a time: big enough for bulk statements, small enough that a batch
#: of parsed rows weighs a few tens of MB whatever the file.
BATCH_ROWS = 20_000
HASH_CHUNK = 1 << 20
#: Batches between two garbage collections while an import runs (:func:`collection_paused`).
COLLECTION_BATCHES = 10


def _nothing(_stage: str, _done: int, _total: int) -> None:
    return None


_pause = {"depth": 0, "was_enabled": True}
_pause_lock = threading.Lock()


@contextmanager
def collection_paused() -> Iterator[None]:
    """Automatic garbage collection off while an import runs (re-entrant, across threads too). An
    import allocates millions of short-lived objects; each collection walks every live object, and
    they cost a fifth of the import's time. Rows make no reference cycles (reference counting frees
    them); the caller collects the young generations after each batch."""
    with _pause_lock:
        if _pause["depth"] == 0:
            _pause["was_enabled"] = gc.isenabled()
            gc.disable()
        _pause["depth"] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause["depth"] -= 1
            if _pause["depth"] == 0 and _pause["was_enabled"]:
                gc.enable()


class FileRows:
    """The data rows of one file as parsed items, read from the file (or ``data``) each time the
    rows are iterated."""

    def __init__(self, importer: Importer[Any], path: Path, data: bytes | None = None) -> None:
        self.importer = importer
        self.path = path
        self.data = data
        raw, self.headings, _body = self._open()
        raw.close()

    def _open(self) -> tuple[Any, list[str], Any]:
        importer = self.importer
        raw = open_rows(self.path, self.data)
        try:
            table = locate_table(raw, importer.columns)
            mapping = map_headings(table.headings, importer.columns)
            problems = importer.check_columns(set(mapping.index))
            if problems:
                raise ImportFileError("; ".join(problems))
        except BaseException:
            raw.close()
            raise
        importer.headings.update(mapping.headings)
        self.index = mapping.index
        # underscore headings are the _row/_errors columns of a quarantine file being re-imported
        self.ignored = [h for h in mapping.ignored if not h.startswith("_")]
        return raw, table.headings, table.body

    def __iter__(self) -> Iterator[Item[Any]]:
        raw, _headings, body = self._open()
        importer = self.importer
        reader_headings = importer.headings
        names, positions = list(self.index), list(self.index.values())
        try:
            for number, cells in body:  # padded to the heading row's width by the reader
                named = dict(zip(names, [cells[i] for i in positions], strict=True))
                item: Item[Any] = Item(row=number, original=cells, cells=named)
                item.record = importer.parse(RowReader(item, reader_headings))
                yield item
        finally:
            raw.close()

    def batches(self, size: int) -> Iterator[list[Item[Any]]]:
        batch: list[Item[Any]] = []
        for item in self:
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


def parse_rows(importer: Importer[Any], path: Path, data: bytes,
               progress: Progress = _nothing) -> tuple[list[str], list[Item[Any]], list[str]]:
    """Pure part of an import of a small file in memory: (file headings, parsed items with their
    errors, ignored headings). Raises :class:`ImportFileError` when the file as a whole is unusable."""
    rows = FileRows(importer, path, data)
    items: list[Item[Any]] = []
    for n, item in enumerate(rows, 1):
        items.append(item)
        if n % PROGRESS_EVERY == 0:
            progress("validating", n, 0)
    progress("validating", len(items), len(items))
    _flag_duplicates(importer, items, {})
    importer.check_file(items)
    return rows.headings, items, rows.ignored


def check_references(session: Session, importer: Importer[Any], items: Sequence[Item[Any]]) -> None:
    """Codes that must exist in another table, checked in bulk for every row that has one."""
    for column, (target, reason) in importer.references.items():
        heading = importer.headings.get(column, column)
        wanted = {i.cells[column] for i in items if i.cells.get(column)
                  and not any(e.column == heading for e in i.errors)}
        known = {r[0] for r in rows_where_in(session, (target,), target, wanted)}
        unknown = wanted - known
        if not unknown:
            continue  # the usual case: a file's sixty communes all exist
        for item in items:
            value = item.cells.get(column, "")
            if value in unknown:
                importer.error(item, column, reason.format(value=value))


def _flag_duplicates(importer: Importer[Any], items: Sequence[Item[Any]], seen: dict[int, int]) -> None:
    """Rows whose natural key an earlier row of the file had; ``seen`` (compact key → row) is kept
    across the batches of one import."""
    for item in items:
        if item.record is None:
            continue
        key = compact_key(importer.key(item.record))
        first = seen.setdefault(key, item.row)
        if first != item.row:
            column, value = importer.describe_key(item.record)
            heading = importer.headings.get(column, column)
            importer.error(item, column, f"trùng với dòng {first} (cùng {heading}) (duplicate of row "
                                        f"{first}, same {heading})", value)


class _ErrorSpool:
    """Every error of an import, in row order, in a temporary file; the first few in memory."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file)

    def add(self, items: Sequence[Item[Any]]) -> None:
        """The errors of one batch (rows in file order; a row's errors keep their order)."""
        report = self.report
        for item in items:
            if not item.errors:
                continue
            report.rows_with_errors += 1
            for e in item.errors:
                report.error_count += 1
                if len(report.errors) < MAX_ERRORS_KEPT:
                    report.errors.append(e)
                self._writer.writerow((e.row, e.column, e.value, e.reason))

    def __iter__(self) -> Iterator[RowError]:
        self._file.flush()
        self._file.seek(0)
        for row, column, value, reason in csv.reader(self._file):
            yield RowError(int(row), column, value, reason)

    def close(self) -> None:
        self._file.close()


def file_sha256(path: Path) -> str:
    """The file's checksum, read 1 MiB at a time."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    return digest.hexdigest()


class _Rejected(Exception):
    """Rows only the writing pass found wrong: the transaction is rolled back."""


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
    batch_rows: int = BATCH_ROWS,
) -> ImportReport:
    """Import one file of ``kind`` (see :data:`KINDS`), ``batch_rows`` rows at a time. File-level
    problems raise :class:`ImportFileError`; row problems are returned in the report."""
    if kind not in IMPORTERS:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(KINDS)}")
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    progress = progress or _nothing
    path = Path(path)
    sha256 = file_sha256(path)
    report = ImportReport(kind=kind, filename=path.name, sha256=sha256)
    with session_factory(engine)() as session:
        earlier = session.scalars(select(ImportBatch.imported_at).where(
            ImportBatch.kind == kind, ImportBatch.sha256 == sha256)).first()
    if earlier is not None:
        report.already_imported_at = earlier
        return report

    spool = _ErrorSpool(report)
    try:
        importer = IMPORTERS[kind](today=today)
        importer.source = f"import {kind} {path.name}"
        rows = FileRows(importer, path)
        report.ignored_headings = rows.ignored
        try:
            _import(engine, kind, path, importer, rows.headings, rows.batches(batch_rows), spool, actor=actor,
                    skip_invalid=skip_invalid,
                    quarantine_path=quarantine_path or sibling(path, ".quarantine.csv"), progress=progress)
        except _Rejected:
            report.errors_path = write_errors(errors_path or sibling(path, ".errors.csv"), spool)
        return report
    finally:
        spool.close()


def _check_batch(session: Session, importer: Importer[Any], batch: list[Item[Any]],
                 seen: dict[int, int]) -> None:
    """Every check of one batch, in order: duplicates inside the file, cross-row checks, references,
    then the importer's own checks against the database (which also plan the writes)."""
    _flag_duplicates(importer, batch, seen)
    importer.check_file(batch)
    check_references(session, importer, batch)
    importer.resolve(session, [i for i in batch if i.ok])


def _import(engine: Engine, kind: str, path: Path, importer: Importer[Any], headings: list[str],
            batches: Iterator[list[Item[Any]]], spool: _ErrorSpool, *, actor: str, skip_invalid: bool,
            quarantine_path: Path, progress: Progress) -> None:
    """One pass over the file, batch by batch, in ONE transaction: each batch is checked against
    the database as the earlier batches left it, then written. After the first bad row (without
    ``skip_invalid``) nothing more is written but every row is still checked, so that the error
    table lists them all; the transaction is then rolled back (:class:`_Rejected`)."""
    report = spool.report
    seen: dict[int, int] = {}
    quarantine: QuarantineFile | None = None
    batches_done = 0
    try:
        table, indexes = importer.deferred_indexes
        expected_rows = path.stat().st_size // importer.row_bytes
        with (unit_of_work(engine) as session, collection_paused(),
              indexes_deferred(session, table, indexes, expected_rows)):
            for batch in batches:
                _check_batch(session, importer, batch, seen)
                bad = [i for i in batch if not i.ok]
                spool.add(bad)
                report.rows_total += len(batch)
                if bad and skip_invalid:
                    if quarantine is None:
                        quarantine = QuarantineFile(quarantine_path, headings)
                    for item in bad:
                        quarantine.add(item.row, item.original, item.errors)
                if report.error_count == 0 or skip_invalid:
                    good = [i for i in batch if i.ok] if bad else batch
                    importer.apply(session, good, actor)
                    outcomes = Counter(item.outcome for item in good)
                    report.inserted += outcomes["inserted"]
                    report.updated += outcomes["updated"]
                    report.unchanged += outcomes["unchanged"]
                progress("writing" if report.error_count == 0 or skip_invalid else "validating",
                         report.rows_total, 0)
                batches_done += 1
                if batches_done % COLLECTION_BATCHES == 0:
                    # the few reference cycles the database layer makes; a collection costs as
                    # much as the objects alive (one batch), whatever has been freed since
                    gc.collect()
            if report.error_count and not skip_invalid:
                raise _Rejected
            if file_sha256(path) != report.sha256:
                raise ImportFileError(_CHANGED)
            report.quarantined = report.rows_with_errors
            if quarantine is not None:
                quarantine.close()
                report.quarantine_path = quarantine.path
            imported = report.inserted + report.updated + report.unchanged
            session.add(ImportBatch(kind=kind, sha256=report.sha256, filename=path.name[:255],
                                    rows_total=report.rows_total, rows_imported=imported,
                                    rows_quarantined=report.quarantined, imported_by=actor,
                                    imported_at=utcnow()))
            record(session, actor=actor, action="import", entity=kind, entity_id=report.sha256[:16],
                   detail={"file": path.name, "rows": report.rows_total, "inserted": report.inserted,
                           "updated": report.updated, "unchanged": report.unchanged,
                           "quarantined": report.quarantined})
            report.written = True
            progress("writing", report.rows_total, report.rows_total)
    except BaseException:
        report.inserted = report.updated = report.unchanged = report.quarantined = 0
        report.written = False
        report.quarantine_path = None
        if quarantine is not None:
            quarantine.path.unlink(missing_ok=True)  # it describes an import that did not happen
        raise
    finally:
        if quarantine is not None:
            quarantine.close()


_CHANGED = ("tệp đã thay đổi trong khi đang nhập (the file changed during the import); không có gì "
            "được ghi, hãy nhập lại")
