"""Bulk loads on SQLite: secondary indexes built once at the end instead of row by row (nạp lớn).

A province's first persons list (two million rows into an empty table) spends most of its time
keeping indexes in order: each row goes into every index at a random place. Indexes that none of
the import's own look-ups use (the name search key, the commune, the household, merges) are
dropped when the import starts and created again, from their own stored definition, just before
the commit: building an index from the finished table sorts once. All of it happens inside the
import's one transaction, so a failed or killed import rolls the drops back with everything else,
and other connections never see the table without its indexes (SQLite's readers keep the schema
they started with until the commit).

Only when the rows to come outnumber those already there (:func:`indexes_deferred`): on a large
table, rebuilding its indexes would cost more than it saves. PostgreSQL is left alone (dropping an
index takes a lock that would stop every reader of the table for the whole import).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

#: Below this many expected rows, keeping the indexes up to date costs little.
MIN_ROWS = 100_000


@contextmanager
def indexes_deferred(session: Session, table: str, indexes: Sequence[str], expected_rows: int
                     ) -> Iterator[list[str]]:
    """Drop ``indexes`` of ``table`` for the duration of the block and create them again at its
    normal end (an exception leaves that to the rollback). Yields the names dropped."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or not indexes or expected_rows < MIN_ROWS:
        yield []
        return
    present = connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()  # our own table
    if expected_rows < present:
        yield []
        return
    stored = connection.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :table "
             "AND name IN :names").bindparams(bindparam("names", expanding=True)),
        {"table": table, "names": list(indexes)}).tuples().all()
    if not stored:
        yield []
        return
    # Python's sqlite3 opens a transaction before INSERT/UPDATE/DELETE only: a DROP INDEX sent
    # first would be committed at once. Open it here so the drops belong to the import.
    driver = connection.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN")
    for name, _sql in stored:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield [name for name, _sql in stored]
    for _name, sql in stored:
        connection.exec_driver_sql(sql)
