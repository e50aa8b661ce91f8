"""Schema migrations (Alembic) and reference data, run by ``ansinh db upgrade`` and by the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to ``revision`` (default: every branch head, since domains add their
    migrations on branches of their own) and load the reference data (idempotent)."""
    command.upgrade(alembic_config(engine), revision)
    from ansinh.registry.areas import load_reference_areas

    load_reference_areas(engine)
