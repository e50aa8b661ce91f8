"""Bulk writes for imports and the audit of what they changed.

Updates are grouped by the set of columns they touch, so each group is one executemany; every
changed record gets an audit entry whose detail never shows an identifier in clear.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from ansinh.core.audit import record
from ansinh.core.text import mask_id

#: Columns whose values are masked in audit details (Principle 5: personal IDs masked in logs).
MASKED = frozenset({"personal_id", "si_number", "phone", "hi_card_number"})

Changes = dict[str, tuple[Any, Any]]


def diff(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> Changes:
    """Fields of ``wanted`` that differ from ``stored``; ``None`` in ``wanted`` means "not given"
    and never erases a stored value."""
    return {k: (stored.get(k), v) for k, v in wanted.items() if v is not None and stored.get(k) != v}


def bulk_insert(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        # Core insert on the table: the ORM bulk path costs about twice as much per row
        session.execute(insert(model.__table__), list(rows))


def bulk_update(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """ORM bulk UPDATE by primary key; each dict carries the key plus the columns to set."""
    groups: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[frozenset(row)].append(row)
    for group in groups.values():
        session.execute(update(model), group)


def _shown(column: str, value: Any) -> Any:
    if value is None:
        return None
    return mask_id(str(value)) if column in MASKED else value


def audit_change(session: Session, *, actor: str, entity: str, entity_id: str | int, changes: Changes,
                 source: str, action: str = "update") -> None:
    detail = {"source": source,
              "changes": {k: [_shown(k, old), _shown(k, new)] for k, (old, new) in changes.items()}}
    record(session, actor=actor, action=action, entity=entity, entity_id=entity_id, detail=detail)
