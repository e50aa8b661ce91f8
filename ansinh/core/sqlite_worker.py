"""ADBC's SQLite work, in a process of its own.

The ADBC SQLite driver carries its own copy of the SQLite library. Two copies in one process do not
see each other's POSIX locks, so one copy can read stale pages or break the other's locks
(https://sqlite.org/howtocorrupt.html §2.2.1); we saw an ADBC read miss a committed delete. The
parent process therefore only ever uses Python's sqlite3 (through SQLAlchemy) and hands bulk reads
and writes to this worker, exchanging Arrow IPC. Between processes, SQLite's locking is sound.

    python -m ansinh.core.sqlite_worker read DB_PATH [BATCH_ROWS] < query.sql > result.arrows
    python -m ansinh.core.sqlite_worker read-many DB_PATH MANIFEST.json  # {name: [sql, out.arrow]}
    python -m ansinh.core.sqlite_worker write DB_PATH MANIFEST.json   # prints {"rowcounts": [...]}
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pyarrow as pa


def read(path: str, sql: str, batch_rows: int | None = None) -> None:
    """One SELECT to stdout as an Arrow IPC stream. Through ADBC's low-level API: the DB-API module
    imports pandas and pyarrow.dataset (half a second of CPU per worker, more than many reads).
    ``batch_rows``: rows per batch (the driver's default is 1,024)."""
    _export(path, sql, sys.stdout.buffer, batch_rows)


def read_many(path: str, manifest_path: str) -> None:
    """Several SELECTs at once, one thread and connection each (the driver releases the GIL while
    SQLite works); each result to its own Arrow IPC stream file named in the manifest
    (``{name: [sql, file]}``). One process instead of one per query."""
    import threading

    with open(manifest_path, encoding="utf-8") as fh:
        plan: dict[str, list[str]] = json.load(fh)
    errors: list[BaseException] = []

    def one(sql: str, out_path: str) -> None:
        try:
            with open(out_path, "wb") as sink:
                _export(path, sql, sink)
        except BaseException as exc:  # raised again by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(sql, out)) for sql, out in plan.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _export(path: str, sql: str, sink: Any, batch_rows: int | None = None) -> None:
    """Run ``sql`` on a connection of its own and write the result to ``sink`` as an IPC stream."""
    import adbc_driver_manager
    import adbc_driver_sqlite

    database = adbc_driver_sqlite.connect(path)
    conn = adbc_driver_manager.AdbcConnection(database)
    try:
        _execute(conn, "PRAGMA busy_timeout=60000")
        with adbc_driver_manager.AdbcStatement(conn) as stmt:
            if batch_rows:
                stmt.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
            stmt.set_sql_query(sql)
            handle, _ = stmt.execute_query()
            reader = pa.RecordBatchReader._import_from_c(handle.address)
            with pa.ipc.new_stream(sink, reader.schema) as out:
                for batch in reader:
                    out.write_batch(batch)
    finally:
        conn.close()
        database.close()


def write(path: str, manifest_path: str) -> None:
    """One transaction: the manifest's statements (row counts reported), each table appended, then
    the manifest's ``after`` statements.

    Through ADBC's low-level API, whose connections are in autocommit mode: the transaction is
    opened by hand (BEGIN IMMEDIATE takes the write lock at once) after two settings that SQLite
    refuses inside a transaction:

    - ``synchronous=NORMAL``, as the application's own connections (:mod:`ansinh.core.db`): in WAL
      mode a crash cannot corrupt the file, only lose the last commits before a power cut;
    - ``ignore_check_constraints`` for the tables the manifest marks ``prechecked``: the caller has
      checked their CHECK constraints in Arrow (SQLite's per-row evaluation was two thirds of the
      cost of loading 4M ledger entries). PostgreSQL always checks.
    """
    import adbc_driver_manager
    import adbc_driver_sqlite

    with open(manifest_path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    database = adbc_driver_sqlite.connect(path)
    conn = adbc_driver_manager.AdbcConnection(database)
    rowcounts: list[int] = []
    try:
        # A large page cache keeps unique-index inserts (random SI numbers) off the disk.
        for setting in ("busy_timeout=60000", "cache_size=-524288", "synchronous=NORMAL"):
            _execute(conn, f"PRAGMA {setting}")
        _execute(conn, "BEGIN IMMEDIATE")
        try:
            for statement in manifest.get("statements", []):
                _execute(conn, statement)
                rowcounts.append(_scalar(conn, "SELECT changes()"))
            prechecked = set(manifest.get("prechecked", []))
            for table, arrow_path in manifest.get("tables", []):
                skip = table in prechecked
                if skip:
                    _execute(conn, "PRAGMA ignore_check_constraints=ON")
                _ingest(conn, table, arrow_path)
                if skip:
                    _execute(conn, "PRAGMA ignore_check_constraints=OFF")
            for statement in manifest.get("after", []):
                _execute(conn, statement)
            _execute(conn, "COMMIT")
        except BaseException:
            _execute(conn, "ROLLBACK")
            raise
    finally:
        conn.close()
        database.close()
    json.dump({"rowcounts": rowcounts}, sys.stdout)


def _execute(conn: Any, sql: str) -> None:
    import adbc_driver_manager

    with adbc_driver_manager.AdbcStatement(conn) as stmt:
        stmt.set_sql_query(sql)
        stmt.execute_update()


def _scalar(conn: Any, sql: str) -> int:
    import adbc_driver_manager

    with adbc_driver_manager.AdbcStatement(conn) as stmt:
        stmt.set_sql_query(sql)
        handle, _ = stmt.execute_query()
        table = pa.RecordBatchReader._import_from_c(handle.address).read_all()
    return int(table.column(0)[0].as_py())


def _ingest(conn: Any, table: str, arrow_path: str) -> None:
    """Append an Arrow IPC file to ``table`` (ADBC bulk ingest: one prepared INSERT, rows bound)."""
    import adbc_driver_manager

    with pa.memory_map(arrow_path) as source, adbc_driver_manager.AdbcStatement(conn) as stmt:
        reader = pa.ipc.open_file(source)
        stream = pa.RecordBatchReader.from_batches(
            reader.schema, (reader.get_batch(i) for i in range(reader.num_record_batches))
        )
        stmt.set_options(
            **{
                adbc_driver_manager.INGEST_OPTION_TARGET_TABLE: table,
                adbc_driver_manager.INGEST_OPTION_MODE: adbc_driver_manager.INGEST_OPTION_MODE_APPEND,
            }
        )
        stmt.bind_stream(stream)
        stmt.execute_update()


def main(argv: list[str]) -> int:
    command, path, *rest = argv
    if command == "read":
        read(path, sys.stdin.read(), int(rest[0]) if rest else None)
    elif command == "read-many":
        read_many(path, rest[0])
    elif command == "write":
        write(path, rest[0])
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
