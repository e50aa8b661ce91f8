"""Audit trail: who viewed or changed which record, when and from where. Append-only.

Services call :func:`record` inside their unit of work, so the entry commits with the change it
describes (or not at all). Personal IDs are never written in ``detail`` unmasked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

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
