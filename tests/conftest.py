"""Shared fixtures: a migrated database on SQLite and, when configured, on PostgreSQL.

``ANSINH_TEST_DATABASE_URL`` points at a PostgreSQL server (CI: the local one). Each test session
creates its own database there and drops it at the end. When ``ANSINH_REQUIRE_POSTGRES=1`` an
unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from ansinh.core.db import Base, make_engine, normalise_url
from ansinh.core.migrate import upgrade

# kept between PostgreSQL tests: loaded by the migrations (claim_icd, claim_icd9: 0014_claims_reference)
REFERENCE_TABLES = {"provinces", "legacy_provinces", "alembic_version", "claim_icd", "claim_icd9"}


def _postgres_admin_url() -> str | None:
    return os.environ.get("ANSINH_TEST_DATABASE_URL")


def postgres_required() -> bool:
    return os.environ.get("ANSINH_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin = _postgres_admin_url()
    if not admin:
        if postgres_required():
            pytest.fail("ANSINH_REQUIRE_POSTGRES=1 but ANSINH_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests skipped: set ANSINH_TEST_DATABASE_URL to run them")
    name = f"ansinh_test_{uuid.uuid4().hex[:10]}"
    admin_engine = create_engine(normalise_url(admin), isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # server unreachable or refused
        if postgres_required():
            pytest.fail(f"PostgreSQL unreachable at {admin}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {admin}: {exc}")
    url = admin.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


def _truncate_postgres(engine: Engine) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated, empty database (reference provinces loaded) on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "ansinh.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        url = request.getfixturevalue("postgres_url")
        eng = make_engine(url)
        _truncate_postgres(eng)
        yield eng
        eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """SQLite only, for tests that do not depend on the backend."""
    path = tmp_path / "ansinh.db"
    shutil.copy(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()
