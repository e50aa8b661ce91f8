"""bulk_write on SQLite: all or nothing, and CHECK constraints skipped only for the tables the caller
has checked in Arrow (``prechecked``), never for the others of the same transaction."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from ansinh.core.arrow_io import BulkIOError, bulk_write, read_many, read_query
from ansinh.ledger.models import check_entries


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        for name in ("a", "b"):
            conn.exec_driver_sql(
                f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, kind TEXT CHECK (kind IN ('x', 'y')))"
            )
        conn.exec_driver_sql("INSERT INTO a (kind) VALUES ('x')")
    return engine


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_check_violation_writes_nothing(engine: Engine) -> None:
    with pytest.raises(BulkIOError, match="CHECK constraint failed"):
        bulk_write(
            engine,
            {"a": pa.table({"kind": ["y"]}), "b": pa.table({"kind": ["z"]})},
            before=["DELETE FROM a"],
        )
    assert _count(engine, "a") == 1  # the DELETE and the first table rolled back
    assert _count(engine, "b") == 0


def test_prechecked_skips_only_the_named_table(engine: Engine) -> None:
    # "a" is declared prechecked: SQLite does not look at its CHECK (the caller answers for it) ...
    bulk_write(engine, {"a": pa.table({"kind": ["y"]})}, prechecked=["a"])
    assert _count(engine, "a") == 2
    # ... while another table of the same transaction is still checked, and the whole write undone.
    with pytest.raises(BulkIOError, match="CHECK constraint failed"):
        bulk_write(engine, {"a": pa.table({"kind": ["x"]}), "b": pa.table({"kind": ["z"]})}, prechecked=["a"])
    assert (_count(engine, "a"), _count(engine, "b")) == (2, 0)


def test_ledger_entries_are_checked_in_arrow() -> None:
    good = {"kind": ["due"], "item": ["contribution"], "scheme": ["si"], "employer_id": [7], "key": ["due|k"]}
    check_entries(pa.table(good))
    with pytest.raises(ValueError, match=r"'due\|k' \(row 0\): scheme not in"):
        check_entries(pa.table({**good, "scheme": ["xx"]}))
    with pytest.raises(ValueError, match="kind not in"):
        check_entries(pa.table({**good, "kind": [None]}))
    with pytest.raises(ValueError, match="exactly one of employer_id"):
        check_entries(pa.table({**good, "person_id": [3]}))


def test_read_a_column_null_throughout_the_first_batch(tmp_path: Path) -> None:
    """SQLite's ADBC driver types columns from its first batch (1,024 rows by default): a text column
    NULL in all of them, then set, is read whole (an officer closes one spell of a new registry)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'nulls.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE spells (id INTEGER PRIMARY KEY, valid_to TEXT)")
        conn.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
            "INSERT INTO spells (id, valid_to) SELECT i, CASE WHEN i = 3000 THEN '2026-10-31' END FROM n"
        )
    table = read_query(engine, "SELECT id, valid_to FROM spells ORDER BY id")
    assert table.num_rows == 3000 and table["valid_to"].null_count == 2999
    assert table["valid_to"][2999].as_py() == date(2026, 10, 31)


def test_read_many_in_one_worker(engine: Engine, tmp_path: Path) -> None:
    """Several queries at once give what read_query gives one by one, also when one of them trips
    the driver's first-batch typing."""
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE spells (id INTEGER PRIMARY KEY, valid_to TEXT)")
        conn.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) "
            "INSERT INTO spells (id, valid_to) SELECT i, CASE WHEN i = 1500 THEN '2026-10-31' END FROM n"
        )
    queries = {"a": "SELECT id, kind FROM a ORDER BY id", "n": "SELECT count(*) AS n FROM spells"}
    got = read_many(engine, queries)
    assert {k: v.to_pylist() for k, v in got.items()} == {
        k: read_query(engine, sql).to_pylist() for k, sql in queries.items()
    }
    both = read_many(engine, {**queries, "spells": "SELECT id, valid_to FROM spells ORDER BY id"})
    assert both["spells"]["valid_to"][1499].as_py() == date(2026, 10, 31)
    assert both["n"].to_pylist() == [{"n": 1500}]
