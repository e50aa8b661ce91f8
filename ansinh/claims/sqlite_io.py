"""Bulk reads and writes of the claims batch jobs on SQLite, through ADBC's low-level API in one worker
process per call.

:mod:`ansinh.core.sqlite_worker` (one process per query, through ``adbc_driver_sqlite.dbapi``) pays for
importing ``pyarrow.dataset`` and pandas in every process: some 3 s of CPU here, more than reading a
month of claims. This worker imports only ``adbc_driver_sqlite`` and the Arrow core (0.4 s), and reads
several queries at once (one thread and connection each), so the month's review starts one process, not
seven. Same rules as the core worker: the application process never opens the database with ADBC's own
SQLite library (see :mod:`ansinh.core.sqlite_worker`); results come back as Arrow IPC files; dates are
converted as :func:`ansinh.core.arrow_io.read_query` does, and writes are one transaction, as
:func:`ansinh.core.arrow_io.bulk_write`. On PostgreSQL both functions use the core ones.

>>> tables = read_many(engine, {"n": "SELECT count(*) AS n FROM claim_episodes"})   # doctest: +SKIP

    python -m ansinh.claims.sqlite_io read DB_PATH MANIFEST.json
    python -m ansinh.claims.sqlite_io write DB_PATH MANIFEST.json
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa


def _engine_path(engine: Any) -> str | None:
    """The SQLite file of an engine, or None for another database."""
    if engine.url.get_backend_name() != "sqlite":
        return None
    path = engine.url.database
    if not path or path == ":memory:":
        from ansinh.core.arrow_io import BulkIOError

        raise BulkIOError("bulk I/O needs a SQLite database file, not an in-memory database")
    return str(path)


def _run(args: list[str]) -> bytes:
    proc = subprocess.run(
        [sys.executable, "-m", "ansinh.claims.sqlite_io", *args], capture_output=True, check=False
    )
    if proc.returncode != 0:
        from ansinh.core.arrow_io import BulkIOError

        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BulkIOError(message[-1] if message else f"sqlite worker failed ({proc.returncode})")
    return proc.stdout


def read_many(engine: Any, queries: Mapping[str, str]) -> dict[str, pa.Table]:
    """Run the SELECTs (at the same time) and return each result as Arrow, as ``read_query`` would."""
    from ansinh.core.arrow_io import _sqlite_dates, read_query

    path = _engine_path(engine)
    if path is None:
        with ThreadPoolExecutor(max(1, min(4, len(queries)))) as pool:
            futures = {name: pool.submit(read_query, engine, sql) for name, sql in queries.items()}
            return {name: f.result() for name, f in futures.items()}
    with tempfile.TemporaryDirectory(prefix="ansinh-claims-read-") as tmp:
        plan = {name: [sql, str(Path(tmp) / f"{i}.arrow")] for i, (name, sql) in enumerate(queries.items())}
        manifest = Path(tmp) / "manifest.json"
        manifest.write_text(json.dumps(plan), encoding="utf-8")
        _run(["read", path, str(manifest)])
        out = {}
        for name, (_sql, file) in plan.items():
            with pa.memory_map(file) as source:
                out[name] = _sqlite_dates(pa.ipc.open_file(source).read_all())
        return out


def write_many(
    engine: Any, tables: Mapping[str, pa.Table], *, before: Sequence[str] = (), after: Sequence[str] = ()
) -> list[int]:
    """In one transaction: the ``before`` statements, each table appended, the ``after`` statements
    (as ``bulk_write``). Returns the row counts of the ``before`` statements."""
    from ansinh.core.arrow_io import _dates_as_text, bulk_write

    path = _engine_path(engine)
    if path is None:
        return bulk_write(engine, tables, before=before, after=after)
    with tempfile.TemporaryDirectory(prefix="ansinh-claims-write-") as tmp:
        entries = []
        for i, (name, data) in enumerate(tables.items()):
            if not data.num_rows:
                continue
            file = Path(tmp) / f"{i}.arrow"
            text = _dates_as_text(data)
            with pa.OSFile(str(file), "wb") as sink, pa.ipc.new_file(sink, text.schema) as writer:
                writer.write_table(text)
            entries.append([name, str(file)])
        manifest = Path(tmp) / "manifest.json"
        plan = {"statements": list(before), "tables": entries, "after": list(after)}
        manifest.write_text(json.dumps(plan), encoding="utf-8")
        out = _run(["write", path, str(manifest)])
    return [int(n) for n in json.loads(out)["rowcounts"]]


# --- the worker ------------------------------------------------------------------------------


class _Connection:
    """One ADBC SQLite connection (low-level API: no DB-API module, so no pandas)."""

    def __init__(self, path: str) -> None:
        import adbc_driver_manager as adbc
        import adbc_driver_sqlite

        self._adbc = adbc
        self.database = adbc_driver_sqlite.connect(path)
        self.connection = adbc.AdbcConnection(self.database)
        self._open: list[Any] = []
        self.execute("PRAGMA busy_timeout=60000")
        # a large page cache keeps index inserts off the disk (as the core worker)
        self.execute("PRAGMA cache_size=-524288")

    def _statement(self) -> Any:
        return self._adbc.AdbcStatement(self.connection)

    def execute(self, sql: str) -> None:
        statement = self._statement()
        try:
            statement.set_sql_query(sql)
            statement.execute_update()
        finally:
            statement.close()

    def query(self, sql: str) -> pa.RecordBatchReader:
        statement = self._statement()
        statement.set_sql_query(sql)
        handle, _rows = statement.execute_query()
        reader = pa.RecordBatchReader._import_from_c(handle.address)
        self._open.append(statement)  # closed with the connection, once the reader is done
        return reader

    def ingest(self, table: str, data: pa.Table) -> None:
        adbc = self._adbc
        statement = self._statement()
        try:
            statement.set_options(
                **{
                    adbc.StatementOptions.INGEST_TARGET_TABLE.value: table,
                    adbc.StatementOptions.INGEST_MODE.value: adbc.INGEST_OPTION_MODE_APPEND,
                }
            )
            statement.bind_stream(data.to_reader())
            statement.execute_update()
        finally:
            statement.close()

    def close(self) -> None:
        for statement in self._open:
            statement.close()
        self.connection.close()
        self.database.close()


def _read(path: str, manifest: str) -> None:
    with open(manifest, encoding="utf-8") as fh:
        plan: dict[str, list[str]] = json.load(fh)
    errors: list[BaseException] = []

    def one(sql: str, out: str) -> None:
        try:
            conn = _Connection(path)
            try:
                reader = conn.query(sql)
                with pa.OSFile(out, "wb") as sink, pa.ipc.new_file(sink, reader.schema) as writer:
                    for batch in reader:
                        writer.write_batch(batch)
                reader.close()
            finally:
                conn.close()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(sql, out)) for sql, out in plan.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _write(path: str, manifest: str) -> None:
    with open(manifest, encoding="utf-8") as fh:
        plan = json.load(fh)
    conn = _Connection(path)
    rowcounts: list[int] = []
    try:
        conn.connection.set_autocommit(False)
        try:
            for statement in plan.get("statements", []):
                conn.execute(statement)
                reader = conn.query("SELECT changes()")
                rowcounts.append(int(reader.read_all().column(0)[0].as_py()))
                reader.close()
            for table, file in plan.get("tables", []):
                with pa.memory_map(file) as source:
                    conn.ingest(table, pa.ipc.open_file(source).read_all())
            for statement in plan.get("after", []):
                conn.execute(statement)
            conn.connection.commit()
        except BaseException:
            conn.connection.rollback()
            raise
    finally:
        conn.close()
    json.dump({"rowcounts": rowcounts}, sys.stdout)


def main(argv: list[str]) -> int:
    command, path, manifest = argv
    if command == "read":
        _read(path, manifest)
    elif command == "write":
        _write(path, manifest)
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
