"""Alembic environment: uses the engine handed over by ansinh.core.migrate, or ANSINH_DATABASE_URL."""

from __future__ import annotations

from alembic import context

import ansinh.all_models  # noqa: F401
from ansinh.core.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
