"""Write a generated province into the operational database in bulk (ADBC: SQLite prepared inserts
in one transaction, PostgreSQL binary COPY), with secondary indexes dropped during the load and
rebuilt after it, which is several times faster than maintaining them row by row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow.csv as pacsv
from sqlalchemy import Index, Table, func, select, text
from sqlalchemy.engine import Engine

import ansinh.all_models  # noqa: F401  (every table must be known to find dependants)
from ansinh.core.arrow_io import bulk_write
from ansinh.core.audit import record
from ansinh.core.db import Base, unit_of_work
from ansinh.core.spreadsheet import safe_arrow_table
from ansinh.synth.context import SynthContext
from ansinh.synth.province import TABLE_ORDER, extensions, table_order

#: Kept when a province is replaced: reference data, and the audit trail, which is append-only
#: (it records the replacement itself).
KEEP = {"provinces", "legacy_provinces", "alembic_version", "audit_log"}


class ProvinceExists(RuntimeError):
    """The database already holds a registry; pass ``replace`` to overwrite it."""


def dependent_tables() -> list[Table]:
    """The synthetic tables and every table that references them, children first."""
    doomed = set(TABLE_ORDER) | {t for ext in extensions() for t in ext.tables}
    changed = True
    while changed:
        changed = False
        for table in Base.metadata.sorted_tables:
            if table.name in doomed or table.name in KEEP:
                continue
            if any(fk.column.table.name in doomed for fk in table.foreign_keys):
                doomed.add(table.name)
                changed = True
    return [t for t in reversed(Base.metadata.sorted_tables) if t.name in doomed]


def clear(engine: Engine) -> None:
    """Remove the registry and everything that depends on it (reference data stays)."""
    tables = dependent_tables()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in tables:
                conn.execute(table.delete())
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def _secondary_indexes(names: list[str]) -> list[Index]:
    out: list[Index] = []
    for name in names:
        table = Base.metadata.tables[name]
        out.extend(ix for ix in table.indexes if not ix.unique)
    return out


def write_province(
    engine: Engine, ctx: SynthContext, *, replace: bool = False, progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Write every generated table; refuse a database that already has persons unless ``replace``."""
    with engine.connect() as conn:
        existing = conn.execute(
            select(func.count()).select_from(Base.metadata.tables["persons"])
        ).scalar_one()
    if existing and not replace:
        raise ProvinceExists(f"the database already holds {existing:,} persons; use --replace to overwrite")
    if replace:
        if progress:
            progress("clearing")
        clear(engine)
        with unit_of_work(engine) as session:
            record(
                session,
                actor="cli:synth",
                action="replace",
                entity="registry",
                entity_id="*",
                detail={"persons_removed": existing, "generated": ctx.config.describe()},
            )
    order = table_order(ctx)
    indexes = _secondary_indexes(order)
    with engine.begin() as conn:
        for index in indexes:
            index.drop(conn, checkfirst=True)
    if progress:
        progress("writing " + ", ".join(order))
    engine.dispose()  # the bulk load runs in another process: leave it the file alone
    bulk_write(engine, {name: ctx.tables[name] for name in order})
    counts = {name: ctx.tables[name].num_rows for name in order}
    if progress:
        progress("indexing")
    with engine.begin() as conn:
        for index in indexes:
            index.create(conn)
    _after_load(engine, order)
    return counts


def _after_load(engine: Engine, order: list[str]) -> None:
    """Planner statistics, and (PostgreSQL) identity sequences moved past the loaded ids."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for name in order:
                table = Base.metadata.tables[name]
                if "id" in table.c:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"COALESCE((SELECT max(id) FROM {name}), 0) + 1, false)"
                        )
                    )
            conn.execute(text("ANALYZE"))
        else:
            # Sampled statistics: enough for the planner, seconds instead of a full scan per index.
            conn.exec_driver_sql("PRAGMA analysis_limit=2000")
            conn.exec_driver_sql("ANALYZE")


def write_labels(ctx: SynthContext, directory: Path) -> list[Path]:
    """The truth files (which records are planted duplicates), for evaluating de-duplication."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in ctx.labels.items():
        path = directory / f"{name}.csv"
        pacsv.write_csv(safe_arrow_table(table), path)
        paths.append(path)
    (directory / "README.txt").write_text(
        f"Labels of the synthetic province ({ctx.config.describe()}).\n", encoding="utf-8"
    )
    return paths
