"""Exporting registry tables to CSV, .xlsx or Parquet (xuất dữ liệu), streamed in batches.

Rows are read through ADBC into Arrow (:func:`ansinh.core.arrow_io.read_query`), 250,000 at a
time in primary-key order, cast to one schema derived from the table definition (so a batch whose
column happens to be all NULL still has the right type), and appended to the output 50,000 at a
time:

- ``parquet``: pyarrow ParquetWriter, one row group per batch;
- ``csv``: UTF-8 with a BOM (Excel then shows Vietnamese correctly), via pyarrow.csv; ISO dates;
- ``xlsx``: openpyxl write-only; refused above 1,048,575 rows (one sheet's limit below its heading).

In both spreadsheet formats a text cell that starts like a formula (``=``, ``+``, ``-``, ``@``, tab, CR)
is written as text (:mod:`ansinh.core.spreadsheet`); numbers stay numbers.

The file is written under a temporary name and renamed when complete, so a failed export never
leaves a half file. An officer's export is not masked, but it is audited (action "export").

>>> export_table(engine, "persons", "parquet", Path("persons.parquet"), actor="cli:lan")  # doctest: +SKIP
ExportReport(table='persons', format='parquet', path=PosixPath('persons.parquet'), rows=1300000)
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Table, func, select
from sqlalchemy.engine import Engine

import ansinh.all_models  # noqa: F401  (every table registered on Base.metadata)
from ansinh.core.arrow_io import arrow_schema, conform, read_query
from ansinh.core.audit import record
from ansinh.core.db import Base, unit_of_work
from ansinh.core.spreadsheet import safe_arrow_table, xlsx_row

FORMATS = ("csv", "xlsx", "parquet")
EXPORTABLE = (
    "persons",
    "households",
    "household_poverty",
    "employers",
    "employer_regions",
    "employer_statuses",
    "participations",
    "communes",
    "commune_successions",
    "provinces",
    "legacy_provinces",
    "dedup_candidates",
    "import_batches",
    "audit_log",
)
XLSX_MAX_ROWS = 1_048_575
BATCH_ROWS = 50_000
PAGE_ROWS = 250_000


class ExportError(Exception):
    """The export cannot be done as asked (unknown table, too many rows for .xlsx, …)."""


@dataclass(frozen=True)
class ExportReport:
    table: str
    format: str
    path: Path
    rows: int


def _batches(engine: Engine, table: Table, schema: pa.Schema) -> Iterator[pa.Table]:
    """The whole table in primary-key order, in tables of ``BATCH_ROWS``: read ``PAGE_ROWS`` at a
    time after the last key read (memory stays bounded; each page is one :func:`read_query`, which
    copes with a column NULL throughout the driver's first batch). Tables keyed otherwise than by
    one integer (the small reference tables) are read at once."""
    key = list(table.primary_key.columns)
    if len(key) != 1 or key[0].type.python_type is not int:
        yield from _slices(conform(read_query(engine, _sql(engine, select(table).order_by(*key))), schema))
        return
    (pk,) = key
    last: int | None = None
    while True:
        query = select(table).order_by(pk).limit(PAGE_ROWS)
        if last is not None:
            query = query.where(pk > last)
        page = conform(read_query(engine, _sql(engine, query)), schema)
        yield from _slices(page)
        if page.num_rows < PAGE_ROWS:
            return
        last = page[pk.name][-1].as_py()


def _sql(engine: Engine, query: Any) -> str:
    return str(query.compile(engine, compile_kwargs={"literal_binds": True}))


def _slices(page: pa.Table) -> Iterator[pa.Table]:
    for start in range(0, page.num_rows, BATCH_ROWS):
        yield page.slice(start, BATCH_ROWS)


def export_table(
    engine: Engine,
    table_name: str,
    fmt: str,
    output: Path | None = None,
    *,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
) -> ExportReport:
    """Write ``table_name`` to ``output`` (default ``<table>.<fmt>``) and audit the export."""
    if table_name not in EXPORTABLE:
        raise ExportError(f"unknown table {table_name!r}; exportable: {', '.join(EXPORTABLE)}")
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    table = Base.metadata.tables[table_name]
    output = Path(output or f"{table_name}.{fmt}")
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    if fmt == "xlsx" and total > XLSX_MAX_ROWS:
        raise ExportError(
            f"{table_name} has {total:,} rows; an .xlsx sheet holds at most "
            f"{XLSX_MAX_ROWS:,} data rows. Use --format csv or --format parquet"
        )
    schema = arrow_schema(table)
    temp = output.with_name(f".{output.name}.part")
    writer = {"csv": _write_csv, "parquet": _write_parquet, "xlsx": _write_xlsx}[fmt]
    done = 0

    def batches() -> Iterator[pa.Table]:
        nonlocal done
        for batch in _batches(engine, table, schema):
            yield batch
            done += batch.num_rows
            if progress:
                progress(done, total)

    try:
        writer(temp, schema, batches())
        with unit_of_work(engine) as session:
            record(
                session,
                actor=actor,
                action="export",
                entity=table_name,
                entity_id="*",
                detail={"format": fmt, "rows": done, "file": output.name},
            )
        os.replace(temp, output)
    finally:
        temp.unlink(missing_ok=True)
    return ExportReport(table=table_name, format=fmt, path=output, rows=done)


def _write_parquet(path: Path, schema: pa.Schema, batches: Iterator[pa.Table]) -> None:
    import pyarrow.parquet as pq

    with pq.ParquetWriter(path, schema) as writer:
        for batch in batches:
            writer.write_table(batch)


def _write_csv(path: Path, schema: pa.Schema, batches: Iterator[pa.Table]) -> None:
    import pyarrow.csv as pacsv

    with path.open("wb") as handle:
        handle.write(codecs.BOM_UTF8)
        with pacsv.CSVWriter(handle, schema) as writer:
            for batch in batches:
                writer.write_table(safe_arrow_table(batch))


def _xlsx_value(value: Any) -> Any:
    # Excel has no time zones: write UTC wall-clock time
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _write_xlsx(path: Path, schema: pa.Schema, batches: Iterator[pa.Table]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(schema.names)
    for batch in batches:
        for row in batch.to_pylist():
            sheet.append(xlsx_row(sheet, [_xlsx_value(v) for v in row.values()]))
    workbook.save(path)
