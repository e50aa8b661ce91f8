"""Moving whole tables between the operational database and Arrow, through ADBC.

DuckDB cannot fetch its sqlite/postgres extensions offline, so batch jobs read tables into Arrow with
the ADBC drivers (no extension needed) and hand them to DuckDB/Ibis; bulk loads go the other way
(SQLite: prepared inserts in one transaction; PostgreSQL: binary COPY).

On SQLite the ADBC work runs in a worker subprocess (:mod:`ansinh.core.sqlite_worker`): ADBC carries
its own SQLite library, and two SQLite libraries must never open one database file in one process.

>>> persons = read_query(engine, "SELECT id, birth_date FROM persons")       # doctest: +SKIP
>>> bulk_write(engine, {"persons": persons}, before=["DELETE FROM persons"])  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table, types
from sqlalchemy.engine import Engine


class BulkIOError(RuntimeError):
    """A bulk read or write failed; the message carries the database's own error."""


def _arrow_type(column_type: types.TypeEngine[Any]) -> pa.DataType:
    if isinstance(column_type, types.Integer):
        return pa.int64()
    if isinstance(column_type, types.DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(column_type, types.Date):
        return pa.date32()
    if isinstance(column_type, types.Float):
        return pa.float64()
    if isinstance(column_type, types.Boolean):
        return pa.bool_()
    return pa.string()


def arrow_schema(table: Table, columns: Sequence[str] | None = None) -> pa.Schema:
    """The Arrow schema of (some columns of) a table, as :func:`conform` casts results to."""
    cols = [table.c[name] for name in columns] if columns else list(table.columns)
    return pa.schema([pa.field(c.name, _arrow_type(c.type)) for c in cols])


def conform(batch: pa.Table, schema: pa.Schema) -> pa.Table:
    """Cast a result to ``schema``. SQLite types columns from their values: an empty or all-NULL
    column comes back as int64, dates and timestamps as ISO text (UTC)."""
    arrays = []
    for field in schema:
        column = batch[field.name]
        text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        if column.null_count == len(column):
            column = pa.nulls(len(column), field.type)
        elif pa.types.is_timestamp(field.type) and text:
            column = pc.cast(pc.utf8_slice_codeunits(column, 0, 26), pa.timestamp("us"))
        elif pa.types.is_date(field.type) and text:
            column = pc.cast(pc.utf8_slice_codeunits(column, 0, 10), pa.date32())
        arrays.append(pc.cast(column, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _is_sqlite(engine: Engine) -> bool:
    return engine.url.get_backend_name() == "sqlite"


def _sqlite_path(engine: Engine) -> str:
    path = engine.url.database
    if not path or path == ":memory:":
        raise BulkIOError("bulk I/O needs a SQLite database file, not an in-memory database")
    return path


@contextmanager
def postgres_connection(engine: Engine) -> Iterator[Any]:
    """An ADBC DB-API connection to the engine's PostgreSQL database."""
    import adbc_driver_postgresql.dbapi as pg_dbapi

    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = pg_dbapi.connect(url)
    try:
        yield conn
    finally:
        conn.close()


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b")


def _run_worker(args: list[str], stdin: bytes | None = None) -> bytes:
    proc = subprocess.run(
        [sys.executable, "-m", "ansinh.core.sqlite_worker", *args],
        input=stdin,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        # The exception line of the traceback and what follows it (ADBC adds "query was: ...").
        starts = [i for i, line in enumerate(lines) if _EXCEPTION_LINE.match(line)]
        message = " ".join(lines[starts[-1] :] if starts else lines[-1:])
        raise BulkIOError(message or f"sqlite worker failed ({proc.returncode})")
    return proc.stdout


#: A batch size the SQLite driver accepts that holds any result whole (its option is a C int).
ONE_BATCH = 1 << 30


def read_query(
    engine: Engine, sql: str, schema: pa.Schema | None = None, *, batch_rows: int | None = None
) -> pa.Table:
    """Run one SELECT and return the result as an Arrow table (dates as date32 on both backends),
    cast to ``schema`` when given (see :func:`arrow_schema`). ``batch_rows``: rows per batch of
    SQLite's ADBC driver (default 1,024; larger batches cost less for millions of rows, and the
    driver infers each column's type from the first batch)."""
    if _is_sqlite(engine):
        extra = [str(batch_rows)] if batch_rows else []
        try:
            out = _run_worker(["read", _sqlite_path(engine), *extra], stdin=sql.encode("utf-8"))
        except BulkIOError as exc:
            if "Type mismatch" not in str(exc):
                raise
            # The driver types a column from its first batch: one NULL throughout that batch is
            # taken for an integer, and a later text value fails. Read the result as one batch.
            out = _run_worker(["read", _sqlite_path(engine), str(ONE_BATCH)], stdin=sql.encode("utf-8"))
        table = _sqlite_dates(pa.ipc.open_stream(out).read_all())
    else:
        with postgres_connection(engine) as conn, conn.cursor() as cur:
            cur.execute(sql)
            table = cur.fetch_arrow_table()
    return conform(table, schema) if schema is not None else table


def read_many(engine: Engine, queries: Mapping[str, str]) -> dict[str, pa.Table]:
    """Several SELECTs run at the same time, each result as :func:`read_query` returns it. On SQLite
    one worker process runs them all (a thread and connection each); should the driver's typing from
    its first batch fail on one (see :func:`read_query`), that one is read again alone."""
    if not _is_sqlite(engine):
        with ThreadPoolExecutor(max(1, min(4, len(queries)))) as pool:
            futures = {name: pool.submit(read_query, engine, sql) for name, sql in queries.items()}
            return {name: f.result() for name, f in futures.items()}
    with tempfile.TemporaryDirectory(prefix="ansinh-read-") as tmp:
        plan = {name: [sql, str(Path(tmp) / f"{i}.arrow")] for i, (name, sql) in enumerate(queries.items())}
        manifest = Path(tmp) / "manifest.json"
        manifest.write_text(json.dumps(plan), encoding="utf-8")
        try:
            _run_worker(["read-many", _sqlite_path(engine), str(manifest)])
        except BulkIOError as exc:
            if "Type mismatch" not in str(exc):
                raise
            return {name: read_query(engine, sql) for name, sql in queries.items()}
        out = {}
        for name, (_sql, file) in plan.items():
            with pa.memory_map(file) as source:
                out[name] = _sqlite_dates(pa.ipc.open_stream(source).read_all())
        return out


def read_table(engine: Engine, table: str, columns: Sequence[str] | None = None) -> pa.Table:
    cols = ", ".join(columns) if columns else "*"
    return read_query(engine, f"SELECT {cols} FROM {table}")


def bulk_write(
    engine: Engine,
    tables: Mapping[str, pa.Table],
    *,
    before: Sequence[str] = (),
    after: Sequence[str] = (),
    prechecked: Collection[str] = (),
) -> list[int]:
    """In one transaction: run the ``before`` statements, append each Arrow table to the existing
    table of that name, then run the ``after`` statements. Returns the row counts of the ``before``
    statements. All or nothing.

    ``prechecked`` names tables whose CHECK constraints the caller has verified on the Arrow data
    (vectorised): SQLite then skips evaluating them row by row; PostgreSQL checks anyway."""
    if _is_sqlite(engine):
        return _sqlite_bulk_write(engine, tables, before, after, prechecked)
    rowcounts: list[int] = []
    with postgres_connection(engine) as conn:
        try:
            with conn.cursor() as cur:
                for statement in before:
                    cur.execute(statement)
                    rowcounts.append(cur.rowcount)
                for name, data in tables.items():
                    if data.num_rows:
                        cur.adbc_ingest(name, data, mode="append")
                for statement in after:
                    cur.execute(statement)
            conn.commit()
        except Exception as exc:
            conn.rollback()
            raise BulkIOError(str(exc)) from exc
    return rowcounts


def read_small(engine: Engine, sql: str, schema: pa.Schema) -> pa.Table:
    """A small result (up to some 100k rows) through SQLAlchemy, in this process: no worker start-up,
    which costs more than the query. Big tables go through :func:`read_query`. Dates that SQLite
    keeps as text are parsed."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(sql).all()
    columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.table(
        [pa.array(_small_values(col, f.type), f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _small_values(values: tuple[Any, ...], typ: pa.DataType) -> Sequence[Any]:
    if pa.types.is_date(typ):
        return [date.fromisoformat(v[:10]) if isinstance(v, str) else v for v in values]
    return values


def write_table(engine: Engine, table_name: str, data: pa.Table) -> int:
    """Append one Arrow table to an existing table (bulk load). Returns the number of rows."""
    bulk_write(engine, {table_name: data})
    rows: int = data.num_rows
    return rows


def _sqlite_bulk_write(
    engine: Engine,
    tables: Mapping[str, pa.Table],
    before: Sequence[str],
    after: Sequence[str],
    prechecked: Collection[str],
) -> list[int]:
    with tempfile.TemporaryDirectory(prefix="ansinh-bulk-") as tmp:
        entries = []
        for i, (name, data) in enumerate(tables.items()):
            if not data.num_rows:
                continue
            path = Path(tmp) / f"{i}.arrow"
            with (
                pa.OSFile(str(path), "wb") as sink,
                pa.ipc.new_file(sink, _dates_as_text(data).schema) as out,
            ):
                out.write_table(_dates_as_text(data))
            entries.append([name, str(path)])
        manifest = Path(tmp) / "manifest.json"
        plan = {
            "statements": list(before),
            "tables": entries,
            "after": list(after),
            "prechecked": sorted(prechecked),
        }
        manifest.write_text(json.dumps(plan), encoding="utf-8")
        out_bytes = _run_worker(["write", _sqlite_path(engine), str(manifest)])
    rowcounts = [int(n) for n in json.loads(out_bytes)["rowcounts"]]
    return rowcounts


def _sqlite_dates(table: pa.Table) -> pa.Table:
    """SQLite keeps dates as ISO text: turn ``*_date``/``valid_*``/``*_on`` text columns into date32."""
    for i, field in enumerate(table.schema):
        name = field.name
        is_date = name.endswith("_date") or name.startswith("valid_") or name.endswith("_on")
        if is_date and (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            table = table.set_column(
                i, name, pc.cast(pc.utf8_slice_codeunits(table[name], 0, 10), pa.date32())
            )
    return table


def _dates_as_text(data: pa.Table) -> pa.Table:
    """Write dates and timestamps to SQLite as SQLAlchemy does (ISO text), booleans as 0/1."""
    for i, field in enumerate(data.schema):
        if pa.types.is_date(field.type):
            # A cast gives the same ISO text as strftime, ten times faster.
            data = data.set_column(i, field.name, pc.cast(data[field.name], pa.string()))
        elif pa.types.is_timestamp(field.type):
            # A cast gives "2026-11-23 04:40:00.123456", the fractional seconds of the unit, as
            # strftime("%Y-%m-%d %H:%M:%S") does, twelve times faster (4M timestamps: 0.6 s, not 7.5).
            column = data[field.name]
            if field.type.tz is not None:
                column = pc.cast(column, pa.timestamp(field.type.unit))  # UTC wall time
            data = data.set_column(i, field.name, pc.cast(column, pa.string()))
        elif pa.types.is_boolean(field.type):
            data = data.set_column(i, field.name, pc.cast(data[field.name], pa.int8()))
    return data
