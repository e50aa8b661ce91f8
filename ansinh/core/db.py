"""Operational database: SQLAlchemy 2 engine, sessions and the unit of work.

The embedded default is one SQLite file in WAL mode (``sqlite:///var/ansinh.db``); production points
``ANSINH_DATABASE_URL`` at PostgreSQL (``postgresql://user@host/db``). Services own the unit of work::

    with unit_of_work() as session:
        session.add(person)
    # committed here, rolled back on any exception
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, String, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from ansinh.core.settings import get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: A string column compared byte-wise on every backend, so that ``key >= 'ab' AND key < 'ac'`` is a
#: prefix search that uses the index (PostgreSQL's default collation would not be byte-wise).
SearchKey = String().with_variant(String(collation="C"), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-262144")  # 256 MB page cache
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: the configured database), with SQLite tuned for WAL."""
    url = normalise_url(url or get_settings().database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    return make_engine(url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
