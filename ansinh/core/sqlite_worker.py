"""ADBC's SQLite work, in a process of its own.

The ADBC SQLite driver carries its own copy of the SQLite library. Two copies in one process do not
see each other's POSIX locks, so one copy can read stale pages or break the other's locks
(https://sqlite.org/howtocorrupt.html §2.2.1); we saw an ADBC read miss a committed delete. The
parent process therefore only ever uses Python's sqlite3 (through SQLAlchemy) and hands bulk reads
and writes to this worker, exchanging Arrow IPC. Between processes, SQLite's locking is sound.

    python -m ansinh.core.sqlite_worker read DB_PATH < query.sql > result.arrows
    python -m ansinh.core.sqlite_worker write DB_PATH MANIFEST.json   # prints {"rowcounts": [...]}
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pyarrow as pa


def _connect(path: str) -> Any:
    import adbc_driver_sqlite.dbapi as sqlite_dbapi

    conn = sqlite_dbapi.connect(path)
    with conn.cursor() as cur:
        cur.execute("PRAGMA busy_timeout=60000")
        # A large page cache keeps unique-index inserts (random SI numbers) off the disk.
        cur.execute("PRAGMA cache_size=-524288")
    return conn


def read(path: str, sql: str) -> None:
    conn = _connect(path)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            reader = cur.fetch_record_batch()
            with pa.ipc.new_stream(sys.stdout.buffer, reader.schema) as out:
                for batch in reader:
                    out.write_batch(batch)
    finally:
        conn.close()


def write(path: str, manifest_path: str) -> None:
    """One transaction: the manifest's statements (row counts reported), each table appended, then
    the manifest's ``after`` statements."""
    with open(manifest_path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    conn = _connect(path)
    rowcounts: list[int] = []
    try:
        with conn.cursor() as cur:
            for statement in manifest.get("statements", []):
                cur.execute(statement)
                cur.execute("SELECT changes()")  # the driver reports -1 as rowcount
                rowcounts.append(int(cur.fetchone()[0]))
            for table, arrow_path in manifest.get("tables", []):
                with pa.memory_map(arrow_path) as source:
                    data = pa.ipc.open_file(source).read_all()
                cur.adbc_ingest(table, data, mode="append")
            for statement in manifest.get("after", []):
                cur.execute(statement)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()
    json.dump({"rowcounts": rowcounts}, sys.stdout)


def main(argv: list[str]) -> int:
    command, path, *rest = argv
    if command == "read":
        read(path, sys.stdin.read())
    elif command == "write":
        write(path, rest[0])
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
