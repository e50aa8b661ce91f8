"""Audit trail: who viewed or changed which record, when and from where. Append-only.

Services call :func:`record` inside their unit of work, so the entry commits with the change it
describes (or not at all). Personal IDs are never written in ``detail`` unmasked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, sessionmaker

from ansinh.core.db import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


class AuditEntry(Base):
    """One audited event (nhật ký truy cập / thay đổi)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    source_ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the session's transaction."""
    entry = AuditEntry(
        at=utcnow(),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        source_ip=source_ip,
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    )
    session.add(entry)
    return entry


# --- the guard: no change without its audit entry ------------------------------------------------

#: Tables whose rows are bookkeeping of the access machinery itself, not records: sign-in attempts
#: and throttles, web sessions, a token's last use and daily usage (issuing and revoking a token
#: are audited by their services).
UNAUDITED_TABLES = frozenset(
    {"audit_log", "sign_in_attempts", "sign_in_throttles", "web_sessions", "api_tokens", "api_token_usage"}
)


class UnauditedChange(RuntimeError):
    """A transaction changed records without writing an audit entry: a programming error."""


def _table_of(obj: object) -> str | None:
    table = getattr(obj, "__table__", None)
    return getattr(table, "name", None)


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    for obj in session.new:
        if isinstance(obj, AuditEntry):
            session.info["audited"] = True
        elif _table_of(obj) not in UNAUDITED_TABLES:
            session.info["changed"] = _table_of(obj)
    for obj in (*session.dirty, *session.deleted):
        if _table_of(obj) not in UNAUDITED_TABLES and (
            obj in session.deleted or session.is_modified(obj, include_collections=False)
        ):
            session.info["changed"] = _table_of(obj)


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(getattr(state.statement, "table", None), "name", None)
        if table == "audit_log":
            session_info = state.session.info
            session_info["audited"] = True
        elif table not in UNAUDITED_TABLES:
            state.session.info["changed"] = table


def _before_commit(session: Session) -> None:
    _before_flush(session, None, None)  # what the commit's own flush is about to write
    if session.info.get("changed") and not session.info.get("audited"):
        changed = session.info["changed"]
        _reset(session)
        raise UnauditedChange(f"a change to {changed} without an audit entry")


def _reset(session: Session, *_args: object) -> None:
    session.info.pop("changed", None)
    session.info.pop("audited", None)


def guard(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Make every transaction of ``factory``'s sessions that changes a record (ORM objects, or
    INSERT/UPDATE/DELETE statements through the session) refuse to commit without an audit entry.
    The web application's sessions are guarded, so a route that forgets :func:`record` fails."""
    event.listen(factory, "before_flush", _before_flush)
    event.listen(factory, "do_orm_execute", _on_execute)
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_commit", _reset)
    event.listen(factory, "after_rollback", _reset)
    return factory


def audit_rows(
    *, actor: str, action: str, entity: str, entity_ids: list[str], details: list[dict[str, Any]]
) -> Any:
    """Audit entries as an Arrow table for a bulk write (``bulk_write(engine, {"audit_log": …})``),
    so that a batch job's rows and their audit entries land in one transaction."""
    import pyarrow as pa

    n = len(entity_ids)
    return pa.table(
        {
            "at": pa.array([utcnow()] * n, pa.timestamp("us", "UTC")),
            "actor": pa.array([actor] * n, pa.string()),
            "action": pa.array([action] * n, pa.string()),
            "entity": pa.array([entity] * n, pa.string()),
            "entity_id": pa.array(entity_ids, pa.string()),
            "source_ip": pa.nulls(n, pa.string()),
            "detail": pa.array([json.dumps(d, ensure_ascii=False, default=str) for d in details]),
        }
    )
