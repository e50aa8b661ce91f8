"""Moving whole tables between the operational database and Arrow, through ADBC.

DuckDB cannot fetch its sqlite/postgres extensions offline, so batch jobs read tables into Arrow with
the ADBC drivers (no extension needed) and hand them to DuckDB/Ibis; bulk loads go the other way
(SQLite: prepared inserts in one transaction; PostgreSQL: binary COPY).

>>> read_table(engine, "persons", ["id", "birth_date"])   # doctest: +SKIP
pyarrow.Table ...
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.engine import Engine


def _adbc_target(engine: Engine) -> tuple[str, str]:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return "sqlite", url.database or ":memory:"
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return "postgresql", plain


@contextmanager
def adbc_connection(engine: Engine) -> Iterator[Any]:
    """A DB-API connection of the ADBC driver that matches ``engine``."""
    kind, target = _adbc_target(engine)
    if kind == "sqlite":
        import adbc_driver_sqlite.dbapi as sqlite_dbapi

        conn = sqlite_dbapi.connect(target)
        with conn.cursor() as cur:
            # A large page cache keeps unique-index inserts (random SI numbers) off the disk.
            cur.execute("PRAGMA cache_size=-524288")
            cur.execute("PRAGMA busy_timeout=30000")
    else:
        import adbc_driver_postgresql.dbapi as pg_dbapi

        conn = pg_dbapi.connect(target)
    try:
        yield conn
    finally:
        conn.close()


def read_query(engine: Engine, sql: str) -> pa.Table:
    """Run one SELECT and return the result as an Arrow table."""
    with adbc_connection(engine) as conn, conn.cursor() as cur:
        cur.execute(sql)
        table: pa.Table = cur.fetch_arrow_table()
    if engine.url.get_backend_name() == "sqlite":
        table = _sqlite_dates(table, sql)
    return table


def read_table(engine: Engine, table: str, columns: Sequence[str] | None = None) -> pa.Table:
    cols = ", ".join(columns) if columns else "*"
    return read_query(engine, f"SELECT {cols} FROM {table}")


def _sqlite_dates(table: pa.Table, _sql: str) -> pa.Table:
    """SQLite keeps dates as ISO text: turn ``*_date``/``valid_*`` text columns back into date32."""
    for i, field in enumerate(table.schema):
        name = field.name
        is_date = name.endswith("_date") or name.startswith("valid_") or name.endswith("_on")
        if is_date and (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            table = table.set_column(i, name, pc.cast(pc.utf8_slice_codeunits(table[name], 0, 10), pa.date32()))
    return table


def write_table(engine: Engine, table_name: str, data: pa.Table, *, conn: Any | None = None) -> int:
    """Append an Arrow table to an existing table (bulk load). Returns the number of rows."""
    if engine.url.get_backend_name() == "sqlite":
        data = _dates_as_text(data)
    if conn is not None:
        with conn.cursor() as cur:
            cur.adbc_ingest(table_name, data, mode="append")
        return data.num_rows
    with adbc_connection(engine) as own, own.cursor() as cur:
        cur.adbc_ingest(table_name, data, mode="append")
        own.commit()
    return data.num_rows


def _dates_as_text(data: pa.Table) -> pa.Table:
    """SQLAlchemy reads SQLite dates as ISO text; write them the same way."""
    for i, field in enumerate(data.schema):
        if pa.types.is_date(field.type):
            # A cast gives the same ISO text as strftime, ten times faster.
            data = data.set_column(i, field.name, pc.cast(data[field.name], pa.string()))
        elif pa.types.is_timestamp(field.type):
            data = data.set_column(
                i, field.name, pc.strftime(data[field.name], format="%Y-%m-%d %H:%M:%S.%f")
            )
        elif pa.types.is_boolean(field.type):
            data = data.set_column(i, field.name, pc.cast(data[field.name], pa.int8()))
    return data
