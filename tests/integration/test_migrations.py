"""Migrations on a database in use: upgrading one that already has accounts, sessions and tokens keeps
them (SQLite rebuilds a table to change a constraint; the foreign keys pointing at it must survive)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from ansinh.core.db import make_engine
from ansinh.core.migrate import upgrade


def test_upgrade_keeps_accounts_and_their_sessions(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0002")
    now = datetime.now(UTC)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO users (id, username, full_name, role, area_code, password_hash, active, "
                "created_at) VALUES (7, 'thu.nguyen', 'Nguyễn Thu', 'viewer', '42', 'x', 1, :now)"
            ),
            {"now": now},
        )
        c.execute(
            text(
                "INSERT INTO web_sessions (token_hash, user_id, created_at, expires_at) "
                "VALUES ('abc', 7, :now, :later)"
            ),
            {"now": now, "later": now + timedelta(hours=1)},
        )
    upgrade(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT username, must_change_password FROM users")).all() == [
            ("thu.nguyen", 0)
        ]
        assert c.execute(text("SELECT user_id FROM web_sessions")).scalars().all() == [7]
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert c.execute(text("PRAGMA foreign_key_check")).all() == []
        # the new role is allowed by the rebuilt CHECK constraint
        c.execute(
            text(
                "INSERT INTO users (username, full_name, role, area_code, password_hash, active, "
                "created_at, must_change_password) VALUES ('bv', 'BV', 'hospital', '42', 'x', 1, :now, 0)"
            ),
            {"now": now},
        )
