"""Searching the audit trail (tra cứu nhật ký), for the administrator's page, export and API.

Dates are business dates in Vietnam time: ``date_to`` 31/12/2025 includes that whole day.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ansinh.core.audit import AuditEntry
from ansinh.web.i18n import VIETNAM_TIME


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    entity: str = ""
    entity_id: str = ""
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    source_ip: str | None
    detail: str | None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=VIETNAM_TIME)


def _query(f: AuditFilter) -> Select[tuple[AuditEntry]]:
    stmt = select(AuditEntry)
    if f.actor:
        stmt = stmt.where(AuditEntry.actor == f.actor.strip().lower())
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    if f.entity:
        stmt = stmt.where(AuditEntry.entity == f.entity)
    if f.entity_id:
        stmt = stmt.where(AuditEntry.entity_id == f.entity_id.strip())
    if f.date_from:
        stmt = stmt.where(AuditEntry.at >= _local_midnight(f.date_from))
    if f.date_to:
        stmt = stmt.where(AuditEntry.at < _local_midnight(f.date_to + timedelta(days=1)))
    return stmt.order_by(AuditEntry.id.desc())


def _row(e: AuditEntry) -> AuditRow:
    return AuditRow(e.id, e.at, e.actor, e.action, e.entity, e.entity_id, e.source_ip, e.detail)


def search_audit(
    session: Session, f: AuditFilter, *, before_id: int | None = None, limit: int = 100
) -> list[AuditRow]:
    """Newest first; page further with ``before_id`` (the last id shown)."""
    stmt = _query(f)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return [_row(e) for e in session.scalars(stmt.limit(limit))]


def export_rows(session: Session, f: AuditFilter, limit: int = 1_000_000) -> Iterator[list[Any]]:
    """Rows for a CSV export, header first, streamed from the database in batches."""
    yield ["id", "at_utc", "actor", "action", "entity", "entity_id", "source_ip", "detail"]
    for e in session.scalars(_query(f).limit(limit).execution_options(yield_per=2000)):
        yield [
            e.id,
            e.at.isoformat(),
            e.actor,
            e.action,
            e.entity,
            e.entity_id,
            e.source_ip or "",
            e.detail or "",
        ]
