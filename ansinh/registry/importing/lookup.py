"""Bulk look-ups for imports: one query per batch of keys, never one per row.

The keys travel as ONE parameter, a JSON array on SQLite (``IN (SELECT value FROM json_each(?))``)
and an array on PostgreSQL (``= ANY(?)``): the statement is the same whatever the number of keys, so
SQLAlchemy compiles it once (an expanding ``IN`` of 1,000 parameters was recompiled on every call and
cost more than the query).

>>> chunks([1, 2, 3], 2)
[[1, 2], [3]]
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Integer, Row, String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session

from ansinh.registry.models import Person

K = TypeVar("K")
CHUNK = 1000  # far below SQLite's 32,766 bound parameters and PostgreSQL's 65,535
#: Keys per query when they travel as one array parameter.
ARRAY_CHUNK = 50_000


def chunks(values: Sequence[K], size: int = CHUNK) -> list[list[K]]:
    return [list(values[i:i + size]) for i in range(0, len(values), size)]


def rows_where_in(session: Session, columns: Sequence[Any], key: InstrumentedAttribute[Any],
                  values: Iterable[Any]) -> list[Row[Any]]:
    """``SELECT columns WHERE key IN values``: text or integer keys as one array parameter, other
    types chunked into ordinary ``IN`` lists."""
    wanted = sorted(set(values))
    if not wanted:
        return []
    out: list[Row[Any]] = []
    if all(type(v) is str for v in wanted) or all(type(v) is int for v in wanted):
        dialect = session.get_bind().dialect.name
        if dialect in ("sqlite", "postgresql"):
            texts = type(wanted[0]) is str
            for part in chunks(wanted, ARRAY_CHUNK):
                query = select(*columns).where(_in_array(key, part, dialect, texts))
                out.extend(session.execute(query).all())
            return out
    for part in chunks(wanted):
        out.extend(session.execute(select(*columns).where(key.in_(part))).all())
    return out


def _in_array(key: InstrumentedAttribute[Any], values: list[Any], dialect: str, texts: bool) -> Any:
    if dialect == "postgresql":
        return key == any_(bindparam("keys", values, type_=ARRAY(String if texts else Integer)))
    each = func.json_each(bindparam("keys", json.dumps(values, ensure_ascii=False))).table_valued("value")
    return key.in_(select(each.c.value))


@dataclass(frozen=True)
class PersonRef:
    """How a row names a person: SI number and/or personal ID."""

    si_number: str | None
    personal_id: str | None

    def label(self) -> str:
        return (f"mã số BHXH {self.si_number}" if self.si_number
                else f"số định danh {self.personal_id}")


class PersonIndex:
    """Persons named by a file, fetched in bulk. :meth:`find` returns the stored row (as a dict with
    id, si_number, personal_id and the ``extra`` columns) or an error reason.

    The SI number wins when given; otherwise the personal ID must name exactly one live (unmerged)
    record: two records with one personal ID are a de-duplication case, not something to guess.
    """

    def __init__(self, session: Session, refs: Iterable[PersonRef],
                 extra: Sequence[InstrumentedAttribute[Any]] = ()) -> None:
        refs = list(refs)
        cols = (Person.id, Person.si_number, Person.personal_id, Person.merged_into_id, *extra)
        self.by_si: dict[str, dict[str, Any]] = {
            r.si_number: r._asdict() for r in rows_where_in(
                session, cols, Person.si_number, {x.si_number for x in refs if x.si_number})}
        self.by_pid: dict[str, list[dict[str, Any]]] = defaultdict(list)
        pids = {x.personal_id for x in refs if x.personal_id}
        for r in rows_where_in(session, cols, Person.personal_id, pids):
            if r.merged_into_id is None:
                self.by_pid[r.personal_id].append(r._asdict())

    def find(self, ref: PersonRef) -> tuple[dict[str, Any] | None, str]:
        """(stored person, "") or (None, reason)."""
        if ref.si_number:
            found = self.by_si.get(ref.si_number)
            if found is None:
                return None, f"không có người nào mã số BHXH {ref.si_number} (no person with this SI number)"
            if ref.personal_id and found["personal_id"] and found["personal_id"] != ref.personal_id:
                return None, ("số định danh không khớp với số đã lưu cho mã số BHXH này (the personal "
                              "ID does not match the one stored for this SI number)")
            return found, ""
        matches = self.by_pid.get(ref.personal_id or "", [])
        if not matches:
            return None, "không có người nào có số định danh này (no person with this personal ID)"
        if len(matches) > 1:
            return None, several_with_personal_id(len(matches))
        return matches[0], ""


def several_with_personal_id(count: int) -> str:
    """Two records with one personal ID are a de-duplication case, not something to guess."""
    return (f"{count} người có cùng số định danh này; hãy ghi mã số BHXH để chỉ rõ người nào (hoặc gộp hồ sơ "
            f"trước) ({count} persons have this personal ID; give the SI number to say which, or merge them "
            "first)")
