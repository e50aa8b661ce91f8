"""Services around the candidate list (danh sách nghi trùng): find, list, dismiss.

``find_candidates`` is the batch job: persons are read through ADBC into Arrow, paired and scored
in DuckDB (:mod:`.matching`), and the run's pairs *replace* the open candidates in one transaction,
bulk-loaded through ADBC. Decisions already taken are kept: a dismissed pair is never proposed
again, a merged one cannot be (its duplicate is excluded from matching).

>>> report = find_candidates(engine, min_score=50)           # doctest: +SKIP
>>> report.candidates, report.counts_by_reason["same_personal_id"]   # doctest: +SKIP
(1873, 912)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import pyarrow as pa
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased

from ansinh.core import audit
from ansinh.core.arrow_io import arrow_schema, bulk_write, read_query
from ansinh.core.audit import utcnow
from ansinh.core.db import Base, unit_of_work
from ansinh.registry.dedup.matching import (
    DEFAULT_MIN_SCORE,
    PERSON_COLUMNS,
    band,
    candidate_pairs,
    counts_by_band,
    counts_by_reason,
)
from ansinh.registry.models import DedupCandidate, Person

#: Active records only: a record merged into another is history, not a candidate.
PERSONS_SQL = f"SELECT {', '.join(PERSON_COLUMNS)} FROM persons WHERE merged_into_id IS NULL"
DECIDED_SQL = "SELECT person_a_id, person_b_id FROM dedup_candidates WHERE status <> 'open'"


class DedupError(ValueError):
    """A de-duplication request that cannot be carried out; the message says why."""


@dataclass
class DedupReport:
    """What one run of the candidate search did."""

    persons: int
    candidates: int
    replaced_open: int
    not_reproposed: int
    min_score: float
    counts_by_reason: dict[str, int]
    counts_by_band: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


Progress = Callable[[str], None]


def _no_progress(_step: str) -> None:
    return None


def find_candidates(
    engine: Engine, *, min_score: float = DEFAULT_MIN_SCORE, progress: Progress = _no_progress
) -> DedupReport:
    """Run the candidate search and replace the open candidates with its result."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    progress("reading persons")
    persons = read_query(engine, PERSONS_SQL, arrow_schema(Base.metadata.tables["persons"], PERSON_COLUMNS))
    decided = read_query(
        engine,
        DECIDED_SQL,
        arrow_schema(Base.metadata.tables["dedup_candidates"], ["person_a_id", "person_b_id"]),
    )
    seconds["read"] = time.perf_counter() - start

    start = time.perf_counter()
    progress("pairing and scoring")
    pairs = candidate_pairs(persons, min_score=min_score)
    fresh = _without_decided(pairs, decided)
    seconds["match"] = time.perf_counter() - start

    start = time.perf_counter()
    progress("writing candidates")
    replaced = _replace_open(engine, fresh)
    seconds["write"] = time.perf_counter() - start

    return DedupReport(
        persons=persons.num_rows,
        candidates=fresh.num_rows,
        replaced_open=replaced,
        not_reproposed=pairs.num_rows - fresh.num_rows,
        min_score=min_score,
        counts_by_reason=counts_by_reason(fresh),
        counts_by_band=counts_by_band(fresh),
        seconds=seconds,
    )


def _without_decided(pairs: pa.Table, decided: pa.Table) -> pa.Table:
    """Drop pairs a reviewer has already decided (dismissed or merged)."""
    if decided.num_rows == 0:
        return pairs
    decided = decided.cast(pa.schema([("person_a_id", pa.int64()), ("person_b_id", pa.int64())]))
    kept = pairs.join(decided, ["person_a_id", "person_b_id"], join_type="left anti")
    return kept.sort_by([("score", "descending"), ("person_a_id", "ascending")])


def _replace_open(engine: Engine, pairs: pa.Table) -> int:
    """Delete the open candidates and bulk-insert ``pairs``, in one transaction."""
    rows = pa.table(
        {
            "person_a_id": pairs.column("person_a_id").cast(pa.int64()),
            "person_b_id": pairs.column("person_b_id").cast(pa.int64()),
            "score": pairs.column("score").cast(pa.float64()),
            "reasons": pairs.column("reasons"),
            "status": pa.array(["open"] * pairs.num_rows, type=pa.string()),
            "found_at": pa.array([utcnow()] * pairs.num_rows, type=pa.timestamp("us", tz="UTC")),
        }
    )
    (replaced,) = bulk_write(
        engine, {"dedup_candidates": rows}, before=["DELETE FROM dedup_candidates WHERE status = 'open'"]
    )
    return replaced


# --- listing and dismissing ---------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSummary:
    id: int
    personal_id: str | None
    si_number: str | None
    full_name: str
    birth_date: date
    gender: str
    commune_code: str


@dataclass(frozen=True)
class CandidateView:
    """One candidate pair as the reviewer sees it."""

    id: int
    score: float
    band: str
    reasons: list[str]
    status: str
    found_at: datetime
    a: PersonSummary
    b: PersonSummary


def _summary(person: Person) -> PersonSummary:
    return PersonSummary(
        id=person.id,
        personal_id=person.personal_id,
        si_number=person.si_number,
        full_name=person.full_name,
        birth_date=person.birth_date,
        gender=person.gender,
        commune_code=person.commune_code,
    )


def list_candidates(engine: Engine, *, status: str = "open", limit: int = 50) -> list[CandidateView]:
    """Candidates of ``status``, best score first, with both persons."""
    person_a, person_b = aliased(Person), aliased(Person)
    query = (
        select(DedupCandidate, person_a, person_b)
        .join(person_a, person_a.id == DedupCandidate.person_a_id)
        .join(person_b, person_b.id == DedupCandidate.person_b_id)
        .where(DedupCandidate.status == status)
        .order_by(DedupCandidate.score.desc(), DedupCandidate.id)
        .limit(limit)
    )
    with unit_of_work(engine) as session:
        return [
            CandidateView(
                id=cand.id,
                score=cand.score,
                band=band(cand.score),
                reasons=cand.reasons.split(","),
                status=cand.status,
                found_at=cand.found_at,
                a=_summary(a),
                b=_summary(b),
            )
            for cand, a, b in session.execute(query).tuples()
        ]


def dismiss_candidate(engine: Engine, candidate_id: int, actor: str, note: str) -> None:
    """Record that a pair is two different people, so that it is not proposed again."""
    if not note.strip():
        raise DedupError("a dismissal needs a note saying why the two records are different people")
    with unit_of_work(engine) as session:
        candidate = session.get(DedupCandidate, candidate_id, with_for_update=True)
        if candidate is None:
            raise DedupError(f"no candidate {candidate_id}")
        if candidate.status != "open":
            raise DedupError(f"candidate {candidate_id} is already {candidate.status}")
        candidate.status = "dismissed"
        candidate.resolved_by = actor
        candidate.resolved_at = utcnow()
        candidate.note = note
        audit.record(
            session,
            actor=actor,
            action="dismiss",
            entity="dedup_candidate",
            entity_id=candidate_id,
            detail={
                "person_a_id": candidate.person_a_id,
                "person_b_id": candidate.person_b_id,
                "score": candidate.score,
                "reasons": candidate.reasons,
                "note": note,
            },
        )


def open_candidates_of(person_id: int) -> ColumnElement[bool]:
    """SQL condition: open candidates that involve ``person_id``."""
    return and_(
        DedupCandidate.status == "open",
        or_(DedupCandidate.person_a_id == person_id, DedupCandidate.person_b_id == person_id),
    )
