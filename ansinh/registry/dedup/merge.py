"""Merging two person records that a reviewer found to be one human (gộp sổ BHXH).

The survivor keeps its id and SI number; every row that referenced the duplicate (participation
history, and whatever other table points at ``persons.id``) moves to the survivor; the survivor's
empty fields are filled from the duplicate; the duplicate stays, marked ``merged_into_id``, so that
old SI numbers and HI cards still lead somewhere. All of it, the candidate's status and the audit
entry commit together or not at all.

>>> result = merge_persons(engine, 17, 42, actor="thu.nguyen", reason="CCCD checked")  # doctest: +SKIP
>>> result.moved, result.overlaps                                                      # doctest: +SKIP
({'participations.person_id': 3}, [])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Column, Table, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.core import audit
from ansinh.core.audit import utcnow
from ansinh.core.db import Base, unit_of_work
from ansinh.core.text import mask_id
from ansinh.registry.dedup.candidates import DedupError, open_candidates_of
from ansinh.registry.models import DedupCandidate, Participation, Person

#: References to a person that a merge must not move: the merge pointer itself, and the
#: candidate pairs, which are decisions about the two records as they were.
NOT_MOVED = {
    ("persons", "merged_into_id"),
    ("dedup_candidates", "person_a_id"),
    ("dedup_candidates", "person_b_id"),
}

#: Fields copied from the duplicate when the survivor has none. The household and the relation to
#: its head travel together; a death date must never be lost (it stops benefit payments).
FILLABLE = ("personal_id", "ethnicity", "phone", "death_date")


class MergeRefused(DedupError):
    """A merge that is not allowed as asked."""


@dataclass(frozen=True)
class Overlap:
    """Two spells of the same scheme that cover common days after the merge (e.g. two HI cards)."""

    scheme: str
    survivor_participation_id: int
    moved_participation_id: int
    from_date: date
    to_date: date | None


@dataclass
class MergeResult:
    survivor_id: int
    duplicate_id: int
    moved: dict[str, int] = field(default_factory=dict)
    filled: list[str] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    candidate_id: int | None = None
    dropped_open_candidates: int = 0


def merge_persons(
    engine: Engine,
    survivor_id: int,
    duplicate_id: int,
    *,
    actor: str,
    reason: str,
    force: bool = False,
) -> MergeResult:
    """Merge ``duplicate_id`` into ``survivor_id`` in one unit of work; see the module docstring.

    Refuses (:class:`MergeRefused`) a merge into itself, from or into a record already merged, and
    two records that differ in both gender and birth date unless ``force``. Overlapping spells of
    one scheme are not refused but returned in :attr:`MergeResult.overlaps` and written to the audit
    entry: the reviewer must close one of them.
    """
    if survivor_id == duplicate_id:
        raise MergeRefused("cannot merge a person into itself")
    if not reason.strip():
        raise MergeRefused("a merge needs a reason (the document that proves it is one person)")
    with unit_of_work(engine) as session:
        survivor, duplicate = _load_pair(session, survivor_id, duplicate_id, force=force)
        result = MergeResult(survivor_id=survivor_id, duplicate_id=duplicate_id)
        moved_ids = set(
            session.scalars(select(Participation.id).where(Participation.person_id == duplicate_id))
        )
        duplicate_si = duplicate.si_number
        result.filled = _fill_missing(session, survivor, duplicate)
        result.moved = _move_references(session, survivor_id, duplicate_id)
        duplicate.merged_into_id = survivor_id
        session.flush()
        result.overlaps = _overlaps(session, survivor_id, moved_ids)
        result.candidate_id = _close_candidate(session, survivor_id, duplicate_id, actor, reason)
        result.dropped_open_candidates = _drop_stale_candidates(session, duplicate_id)
        audit.record(
            session,
            actor=actor,
            action="merge",
            entity="person",
            entity_id=survivor_id,
            detail=_audit_detail(result, survivor, duplicate, duplicate_si, reason, force),
        )
        return result


def _load_pair(
    session: Session, survivor_id: int, duplicate_id: int, *, force: bool
) -> tuple[Person, Person]:
    survivor = session.get(Person, survivor_id, with_for_update=True)
    duplicate = session.get(Person, duplicate_id, with_for_update=True)
    if survivor is None or duplicate is None:
        missing = survivor_id if survivor is None else duplicate_id
        raise MergeRefused(f"no person {missing}")
    if duplicate.merged_into_id is not None:
        raise MergeRefused(f"person {duplicate_id} was already merged into {duplicate.merged_into_id}")
    if survivor.merged_into_id is not None:
        raise MergeRefused(
            f"person {survivor_id} was merged into {survivor.merged_into_id}: merge into that record instead"
        )
    if survivor.gender != duplicate.gender and survivor.birth_date != duplicate.birth_date and not force:
        raise MergeRefused(
            f"persons {survivor_id} and {duplicate_id} differ in both gender and birth date; "
            "merge only with force, when documents prove they are one person"
        )
    return survivor, duplicate


def _fill_missing(session: Session, survivor: Person, duplicate: Person) -> list[str]:
    """Copy the duplicate's values into the survivor's empty fields; return the names filled."""
    filled = []
    for name in FILLABLE:
        if getattr(survivor, name) is None and getattr(duplicate, name) is not None:
            setattr(survivor, name, getattr(duplicate, name))
            filled.append(name)
    if survivor.household_id is None and duplicate.household_id is not None:
        survivor.household_id = duplicate.household_id
        survivor.relation_to_head = duplicate.relation_to_head
        filled += ["household_id", "relation_to_head"]
    if survivor.si_number is None and duplicate.si_number is not None:
        # The SI number is unique: free it on the duplicate before the survivor takes it.
        number, duplicate.si_number = duplicate.si_number, None
        session.flush()
        survivor.si_number = number
        filled.append("si_number")
    return filled


def _person_references() -> list[tuple[Table, Column[Any]]]:
    """Every (table, column) with a foreign key to ``persons.id``, across all domains."""
    import ansinh.all_models  # noqa: F401  (complete Base.metadata with every domain's tables)

    refs = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            points_at_person = any(
                fk.column.table.name == "persons" and fk.column.name == "id" for fk in column.foreign_keys
            )
            if points_at_person and (table.name, column.name) not in NOT_MOVED:
                refs.append((table, column))
    return refs


def _move_references(session: Session, survivor_id: int, duplicate_id: int) -> dict[str, int]:
    moved = {}
    for table, column in _person_references():
        result = session.execute(
            update(table).where(column == duplicate_id).values({column.name: survivor_id})
        )
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            moved[f"{table.name}.{column.name}"] = count
    # Records merged earlier into the duplicate now point at the survivor (no chains).
    chained = session.execute(
        update(Person).where(Person.merged_into_id == duplicate_id).values(merged_into_id=survivor_id)
    )
    if getattr(chained, "rowcount", 0):
        moved["persons.merged_into_id"] = int(getattr(chained, "rowcount", 0))
    return moved


def _overlaps(session: Session, survivor_id: int, moved_ids: set[int]) -> list[Overlap]:
    """Pairs of same-scheme spells, one of them moved, that share at least one day."""
    spells = list(
        session.scalars(
            select(Participation)
            .where(Participation.person_id == survivor_id)
            .order_by(Participation.scheme, Participation.valid_from, Participation.id)
            .execution_options(populate_existing=True)
        )
    )
    found = []
    for moved in (s for s in spells if s.id in moved_ids):
        for kept in (s for s in spells if s.id not in moved_ids and s.scheme == moved.scheme):
            start = max(moved.valid_from, kept.valid_from)
            end = _earliest_end(moved.valid_to, kept.valid_to)
            if end is None or start <= end:
                found.append(Overlap(moved.scheme, kept.id, moved.id, start, end))
    return found


def _earliest_end(a: date | None, b: date | None) -> date | None:
    """The earlier of two inclusive end dates, None meaning open-ended."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _close_candidate(
    session: Session, survivor_id: int, duplicate_id: int, actor: str, reason: str
) -> int | None:
    low, high = sorted((survivor_id, duplicate_id))
    candidate = session.scalars(
        select(DedupCandidate).where(DedupCandidate.person_a_id == low, DedupCandidate.person_b_id == high)
    ).one_or_none()
    if candidate is None:
        return None
    candidate.status = "merged"
    candidate.resolved_by = actor
    candidate.resolved_at = utcnow()
    candidate.note = reason
    return candidate.id


def _drop_stale_candidates(session: Session, duplicate_id: int) -> int:
    """Open proposals that involve the merged record are void; the next search re-pairs the survivor."""
    result = session.execute(delete(DedupCandidate).where(open_candidates_of(duplicate_id)))
    return int(getattr(result, "rowcount", 0) or 0)


def _audit_detail(
    result: MergeResult,
    survivor: Person,
    duplicate: Person,
    duplicate_si: str | None,
    reason: str,
    force: bool,
) -> dict[str, Any]:
    return {
        "duplicate_id": result.duplicate_id,
        # Kept whole: the SI number is how the duplicate's old book and HI cards are found again.
        "duplicate_si_number": duplicate_si,
        "survivor_si_number": survivor.si_number,
        "survivor_personal_id": mask_id(survivor.personal_id),
        "duplicate_personal_id": mask_id(duplicate.personal_id),
        "filled": result.filled,
        "moved": result.moved,
        "overlaps": [
            {
                "scheme": o.scheme,
                "survivor_participation_id": o.survivor_participation_id,
                "moved_participation_id": o.moved_participation_id,
                "from": o.from_date,
                "to": o.to_date,
            }
            for o in result.overlaps
        ],
        "candidate_id": result.candidate_id,
        "reason": reason,
        "forced": force,
    }
