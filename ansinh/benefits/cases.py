"""Benefit cases: intake (tiếp nhận), draft decision (dự thảo), approval (phê duyệt) with a second
officer above the threshold, return (trả lại), rejection (từ chối), counselling outcome.

Status moves are conditional updates (``… WHERE id = :id AND status = 'drafted' AND version = :v``):
two officers approving the same case at once cannot both succeed — the second gets
:class:`CaseConflict` and nothing is paid twice (the beneficiary row is unique per case, the one-off
payment key is unique per case and attempt).

Drafting many cases is one batch: the applicants and their contribution history are read through
Arrow (:mod:`ansinh.benefits.history`), each case is evaluated by :mod:`ansinh.benefits.rules`, and
the drafts are written back with one executemany.

>>> case = open_case(session, person_id=7, kind="one_time", received_on=date(2026, 3, 2),  # doctest: +SKIP
...                  actor="officer", facts={"ground": "dd"})
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

import numpy as np
import pyarrow as pa
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.benefits.history import history_for
from ansinh.benefits.models import CASE_KINDS, Beneficiary, BenefitCase, BenefitCaseEvent
from ansinh.benefits.rules import Applicant, Draft, evaluate, needs_second_approval
from ansinh.benefits.workdays import add_working_days, due_dates
from ansinh.core.arrow_io import read_query, read_small
from ansinh.core.audit import record as audit
from ansinh.core.db import unit_of_work
from ansinh.law.parameters import ParameterSet, get_parameters
from ansinh.law.periods import Period
from ansinh.registry.models import Person

RECURRING = {"pension": "pension", "survivor": "survivor"}


class CaseError(ValueError):
    """A request about a case that cannot be done: the case, the field and why."""

    def __init__(self, case: int | str | None, field_name: str, message: str) -> None:
        self.case = case
        self.field = field_name
        self.message = message
        where = f"case {case}" if case is not None else "case"
        super().__init__(f"{where}, {field_name}: {message}")


class CaseConflict(CaseError):
    """Someone else changed the case first (e.g. two officers approving at once)."""


def _rowcount(result: Any) -> int:
    """Rows changed by an UPDATE (a CursorResult's rowcount)."""
    return int(getattr(result, "rowcount", 0) or 0)


def now() -> datetime:
    return datetime.now(UTC)


def _event(session: Session, case: BenefitCase, action: str, actor: str, note: str | None = None) -> None:
    """A step of the case's history, also written to the office's audit trail."""
    if case.id is None:
        session.flush()
    session.add(BenefitCaseEvent(case_id=case.id, action=action, by=actor, at=now(), note=note))
    audit(
        session,
        actor=actor,
        action=action[:32],
        entity="benefit_case",
        entity_id=case.id,
        detail={"note": note} if note else None,
    )


def open_case(
    session: Session,
    *,
    person_id: int,
    kind: str,
    received_on: date,
    actor: str,
    event_date: date | None = None,
    facts: dict[str, Any] | None = None,
    documents: Sequence[str] = (),
    reference: str | None = None,
    params: ParameterSet | None = None,
) -> BenefitCase:
    """Register a dossier. The same ``reference`` twice returns the first case (idempotent intake)."""
    params = params or get_parameters()
    if kind not in CASE_KINDS:
        raise CaseError(reference, "kind", f"must be one of {CASE_KINDS}, got {kind!r}")
    person = session.get(Person, person_id)
    if person is None:
        raise CaseError(reference, "person_id", f"no person {person_id} in the registry")
    if reference:
        existing = session.scalar(select(BenefitCase).where(BenefitCase.reference == reference))
        if existing is not None:
            if existing.person_id != person_id or existing.kind != kind:
                raise CaseError(reference, "reference", "already used for another person or kind")
            return existing
    days = params.integer_by_key("processing_deadline_working_days", received_on)[kind]
    at = now()
    case = BenefitCase(
        reference=reference or f"HS-{kind}-{person_id}-{at.strftime('%Y%m%d%H%M%S%f')}",
        person_id=person_id,
        kind=kind,
        status="received",
        received_on=received_on,
        due_on=add_working_days(received_on, days, params),
        event_date=event_date
        or (person.death_date if kind in ("funeral", "survivor") else None)
        or received_on,
        ground=(facts or {}).get("ground"),
        facts=json.dumps(facts or {}, ensure_ascii=False),
        documents=json.dumps(list(documents), ensure_ascii=False),
        version=1,
        created_by=actor,
        created_at=at,
        updated_at=at,
    )
    session.add(case)
    session.flush()
    _event(session, case, "received", actor, ", ".join(documents) or None)
    return case


# --- drafting (batch) --------------------------------------------------------------------------

CASE_FACTS_SCHEMA = pa.schema(
    [
        ("case_id", pa.int64()),
        ("person_id", pa.int64()),
        ("kind", pa.string()),
        ("event_date", pa.date32()),
        ("facts", pa.string()),
        ("version", pa.int64()),
        ("gender", pa.string()),
        ("birth_date", pa.date32()),
        ("death_date", pa.date32()),
        ("pensioner", pa.int64()),
    ]
)


@dataclass
class DraftReport:
    drafted: int = 0
    eligible: int = 0
    blocked: dict[str, int] = field(default_factory=dict)
    total_amount: int = 0
    skipped: int = 0


def _case_rows(engine: Engine, where: str, small: bool = False) -> pa.Table:
    sql = f"""
        SELECT c.id AS case_id, c.person_id, c.kind, c.event_date, c.facts, c.version,
               p.gender, p.birth_date, p.death_date, coalesce(b.n, 0) AS pensioner
        FROM benefit_cases c JOIN persons p ON p.id = c.person_id
        -- a pensioner, or a pensioner until death (funeral Art. 85.1, survivors Art. 86.1)
        LEFT JOIN (SELECT person_id, count(*) AS n FROM beneficiaries
                    WHERE kind = 'pension' AND (end_period IS NULL OR stop_reason = 'death')
                    GROUP BY person_id) b
          ON b.person_id = c.person_id
        WHERE {where}
        ORDER BY c.id
    """
    if small:
        return read_small(engine, sql, CASE_FACTS_SCHEMA)
    return read_query(engine, sql, CASE_FACTS_SCHEMA)


def evaluate_rows(
    engine: Engine, rows: pa.Table, decided: date, params: ParameterSet | None = None
) -> list[tuple[int, int, Draft]]:
    """Evaluate the cases of ``rows`` (see :data:`CASE_FACTS_SCHEMA`): (case id, version, draft)."""
    params = params or get_parameters()
    if rows.num_rows == 0:
        return []
    hist = history_for(
        engine,
        pa.table(
            {"case_id": rows["case_id"], "person_id": rows["person_id"], "event_date": rows["event_date"]}
        ),
        decided,
        params,
    )
    regions = _regions(engine)
    by_case = {int(r["case_id"]): r for r in hist.to_pylist()}
    out = []
    for r in rows.to_pylist():
        h = by_case[int(r["case_id"])]
        facts = json.loads(r["facts"] or "{}")
        if r["kind"] == "unemployment" and "region" not in facts and h.get("last_employer_id") is not None:
            facts["region"] = regions.get(int(h["last_employer_id"]), 1)
        applicant = Applicant(
            int(r["person_id"]), r["gender"], r["birth_date"], r["death_date"], bool(r["pensioner"])
        )
        draft = evaluate(params, r["kind"], applicant, h, facts, r["event_date"], decided)
        out.append((int(r["case_id"]), int(r["version"]), draft))
    return out


def _regions(engine: Engine) -> dict[int, int]:
    """Each employer's current wage region (the latest row)."""
    table = read_small(
        engine,
        "SELECT employer_id, region, valid_from FROM employer_regions ORDER BY employer_id, valid_from",
        pa.schema([("employer_id", pa.int64()), ("region", pa.int64()), ("valid_from", pa.date32())]),
    )
    ids = table["employer_id"].to_numpy()
    reg = table["region"].to_numpy()
    return dict(zip(ids.tolist(), reg.tolist(), strict=True))


def draft_cases(
    engine: Engine,
    *,
    actor: str,
    decided: date | None = None,
    case_ids: Iterable[int] | None = None,
    params: ParameterSet | None = None,
) -> DraftReport:
    """Draft every received (or returned) case — or the given ones — in one batch.

    A case that someone else moves meanwhile is skipped (its version changed)."""
    params = params or get_parameters()
    decided = decided or date.today()
    where = "c.status IN ('received', 'returned', 'drafted') AND c.first_approved_by IS NULL"
    if case_ids is not None:
        ids = [int(i) for i in case_ids]
        if not ids:
            return DraftReport()
        where += f" AND c.id IN ({', '.join(map(str, ids))})"
    rows = _case_rows(engine, where, small=case_ids is not None and len(ids) <= 500)
    results = evaluate_rows(engine, rows, decided, params)
    report = DraftReport()
    stamp = now()
    updates = []
    for case_id, version, draft in results:
        second = needs_second_approval(params, draft, decided) if draft.eligible else False
        updates.append(
            {
                "b_id": case_id,
                "b_version": version,
                "amount": draft.amount if draft.eligible else None,
                "monthly_amount": draft.monthly_amount if draft.eligible else None,
                "explanation": json.dumps(draft.to_json(), ensure_ascii=False, default=str),
                "needs_second": second,
                "updated_at": stamp,
            }
        )
        report.drafted += 1
        if draft.eligible:
            report.eligible += 1
            report.total_amount += draft.amount or 0
        for p in draft.problems[:1]:
            report.blocked[p.code] = report.blocked.get(p.code, 0) + 1
    if not updates:
        return report
    t = cast(Table, BenefitCase.__table__)
    stmt = (
        update(t)
        .where(t.c.id == bindparam("b_id"), t.c.version == bindparam("b_version"))
        .where((t.c.status == "received") | (t.c.status == "returned") | (t.c.status == "drafted"))
        .values(
            status="drafted",
            amount=bindparam("amount"),
            monthly_amount=bindparam("monthly_amount"),
            explanation=bindparam("explanation"),
            needs_second=bindparam("needs_second"),
            updated_at=bindparam("updated_at"),
            version=t.c.version + 1,
        )
    )
    with engine.begin() as conn:
        result = conn.execute(stmt, updates)
        changed = _rowcount(result) if _rowcount(result) >= 0 else len(updates)
        report.skipped = len(updates) - changed
        events = [
            {"case_id": u["b_id"], "action": "drafted", "by": actor, "at": stamp, "note": None}
            for u in updates
        ]
        conn.execute(cast(Table, BenefitCaseEvent.__table__).insert(), events)
    return report


def draft_case(session: Session, case_id: int, *, actor: str, decided: date | None = None) -> Draft:
    """Draft one case within the caller's session (web): same rules as the batch."""
    params = get_parameters()
    decided = decided or date.today()
    case = _get(session, case_id)
    if case.status not in ("received", "returned", "drafted") or case.first_approved_by:
        raise CaseError(case.reference, "status", f"a {case.status} case cannot be drafted again")
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    rows = _case_rows(engine, f"c.id = {int(case_id)}", small=True)
    if rows.num_rows == 0:
        raise CaseError(case.reference, "id", "the case could not be read back")
    [(_, _, draft)] = evaluate_rows(engine, rows, decided, params)
    case.amount = draft.amount if draft.eligible else None
    case.monthly_amount = draft.monthly_amount if draft.eligible else None
    case.explanation = json.dumps(draft.to_json(), ensure_ascii=False, default=str)
    case.needs_second = needs_second_approval(params, draft, decided) if draft.eligible else False
    _move(session, case, "drafted", actor, None)
    return draft


# --- decisions -----------------------------------------------------------------------------------


def _get(session: Session, case_id: int) -> BenefitCase:
    case = session.get(BenefitCase, case_id)
    if case is None:
        raise CaseError(case_id, "id", "no such case")
    return case


def _move(
    session: Session, case: BenefitCase, status: str, actor: str, event_note: str | None, **values: Any
) -> None:
    """Conditional update on (status, version): raises :class:`CaseConflict` if someone moved first."""
    t = cast(Table, BenefitCase.__table__)
    values.setdefault("status", status)
    result = session.execute(
        update(t)
        .where(t.c.id == case.id, t.c.version == case.version)
        .values(version=t.c.version + 1, updated_at=now(), **values)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        session.rollback()
        raise CaseConflict(case.reference, "status", "the case was changed by someone else; reload it")
    _event(session, case, status if status != case.status else "updated", actor, event_note)
    session.flush()
    session.refresh(case)


def explanation(case: BenefitCase) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(case.explanation) if case.explanation else {}
    return data


def approve(
    session: Session, case_id: int, *, actor: str, version: int | None = None, on: date | None = None
) -> str:
    """Approve a drafted case. Above the threshold a second, different officer must approve too.

    Returns ``"first_approval"`` (waiting for the second officer) or ``"approved"``."""
    case = _get(session, case_id)
    if version is not None and version != case.version:
        raise CaseConflict(case.reference, "version", "the case was changed since you opened it; reload it")
    if case.status != "drafted":
        raise CaseConflict(
            case.reference, "status", f"only a drafted case can be approved (it is {case.status})"
        )
    data = explanation(case)
    if not data.get("eligible"):
        problems = "; ".join(p["message"] for p in data.get("problems", [])) or "not eligible"
        raise CaseError(case.reference, "eligible", f"the draft is not eligible: {problems}")
    decided = on or date.today()
    t = cast(Table, BenefitCase.__table__)
    if case.needs_second and case.first_approved_by is None:
        result = session.execute(
            update(t)
            .where(
                t.c.id == case.id,
                t.c.status == "drafted",
                t.c.version == case.version,
                t.c.first_approved_by.is_(None),
            )
            .values(first_approved_by=actor, version=t.c.version + 1, updated_at=now())
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            session.rollback()
            raise CaseConflict(case.reference, "status", "another officer approved first; reload the case")
        _event(session, case, "first_approval", actor, None)
        session.flush()
        session.refresh(case)
        return "first_approval"
    if case.needs_second and case.first_approved_by == actor:
        raise CaseError(case.reference, "approved_by", "a second, different officer must approve this amount")
    result = session.execute(
        update(t)
        .where(t.c.id == case.id, t.c.status == "drafted", t.c.version == case.version)
        .values(
            status="approved",
            approved_by=actor,
            decided_on=decided,
            version=t.c.version + 1,
            updated_at=now(),
        )
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        session.rollback()
        raise CaseConflict(case.reference, "status", "another officer decided this case first; reload it")
    _event(session, case, "approved", actor, None)
    session.flush()
    session.refresh(case)
    _start_recurring(session, case, data)
    return "approved"


def _start_recurring(session: Session, case: BenefitCase, data: dict[str, Any]) -> None:
    """A pension or survivor allowance becomes a monthly beneficiary from its start month."""
    kind = RECURRING.get(case.kind)
    if kind is None or not case.monthly_amount:
        return
    figures = data.get("figures", {})
    start_text = figures.get("pension_from") or figures.get("start")
    start = date.fromisoformat(start_text) if start_text else (case.event_date or case.received_on)
    if case.kind == "survivor":
        relatives = json.loads(case.facts or "{}").get("relatives") or []
        payee = int(relatives[0].get("person_id") or case.person_id) if relatives else case.person_id
        source: int | None = case.person_id
    else:
        payee, source = case.person_id, None
    session.add(
        Beneficiary(
            person_id=payee,
            kind=kind,
            monthly_amount=case.monthly_amount,
            start_period=str(Period.of(start)),
            end_period=None,
            stop_reason=None,
            case_id=case.id,
            source_person_id=source,
            created_at=now(),
        )
    )
    session.flush()


def return_case(session: Session, case_id: int, *, actor: str, note: str, version: int | None = None) -> None:
    """Return a draft to the intake (trả hồ sơ) with a note saying what is missing."""
    if not note.strip():
        raise CaseError(case_id, "note", "say why the case is returned")
    case = _get(session, case_id)
    if version is not None and version != case.version:
        raise CaseConflict(case.reference, "version", "the case was changed since you opened it; reload it")
    if case.status not in ("received", "drafted"):
        raise CaseConflict(case.reference, "status", f"a {case.status} case cannot be returned")
    _move(session, case, "returned", actor, note, note=note, first_approved_by=None)


def reject(session: Session, case_id: int, *, actor: str, note: str, on: date | None = None) -> None:
    """Reject (từ chối) a case that is not eligible, with the reason."""
    if not note.strip():
        raise CaseError(case_id, "note", "say why the case is rejected")
    case = _get(session, case_id)
    if case.status not in ("received", "drafted", "returned"):
        raise CaseConflict(case.reference, "status", f"a {case.status} case cannot be rejected")
    _move(session, case, "rejected", actor, note, note=note, decided_on=on or date.today())


def record_counselling(
    session: Session, case_id: int, *, actor: str, outcome: str, on: date | None = None
) -> None:
    """Record the counselling outcome of a one-time withdrawal: ``withdrew`` or ``stayed``.

    ``stayed`` closes the case (the applicant keeps their record and continues), as a rejection on the
    applicant's request; ``withdrew`` leaves it to be decided."""
    if outcome not in ("withdrew", "stayed"):
        raise CaseError(case_id, "counselling_outcome", "must be 'withdrew' or 'stayed'")
    case = _get(session, case_id)
    if case.kind != "one_time":
        raise CaseError(case.reference, "kind", "counselling is recorded for one-time withdrawals")
    if case.status in ("approved", "paid", "rejected"):
        raise CaseConflict(case.reference, "status", f"a {case.status} case is already decided")
    day = on or date.today()
    if outcome == "stayed":
        _move(
            session,
            case,
            "rejected",
            actor,
            "stayed after counselling",
            counselling_outcome=outcome,
            counselled_on=day,
            decided_on=day,
            note="stayed in the system after counselling",
        )
    else:
        _move(
            session,
            case,
            case.status,
            actor,
            "withdrew after counselling",
            counselling_outcome=outcome,
            counselled_on=day,
        )


def overdue_flags(cases: Sequence[BenefitCase], today: date) -> dict[int, bool]:
    """Open cases past their due date (quá hạn)."""
    return {c.id: c.status in ("received", "drafted", "returned") and c.due_on < today for c in cases}


def recompute_due_dates(engine: Engine, params: ParameterSet | None = None) -> int:
    """Recompute every open case's deadline (after the holiday list of a year is published)."""
    params = params or get_parameters()
    rows = read_query(
        engine,
        "SELECT id, kind, received_on FROM benefit_cases WHERE status IN ('received', 'drafted', 'returned')",
        pa.schema([("id", pa.int64()), ("kind", pa.string()), ("received_on", pa.date32())]),
    )
    if rows.num_rows == 0:
        return 0
    received = rows["received_on"].to_numpy().astype("datetime64[D]")
    days_by_kind = params.integer_by_key("processing_deadline_working_days", date.today())
    days = np.array([days_by_kind[k] for k in rows["kind"].to_pylist()])
    due = due_dates(received, days, params)
    t = cast(Table, BenefitCase.__table__)
    with engine.begin() as conn:
        conn.execute(
            update(t).where(t.c.id == bindparam("b_id")).values(due_on=bindparam("due")),
            [
                {"b_id": int(i), "due": d.astype(date)}
                for i, d in zip(rows["id"].to_pylist(), due, strict=True)
            ],
        )
    return int(rows.num_rows)


def counts_by_status(session: Session) -> dict[str, int]:
    return {
        s: int(n)
        for s, n in session.execute(select(BenefitCase.status, func.count()).group_by(BenefitCase.status))
    }


def with_session(engine: Engine) -> Any:
    return unit_of_work(engine)
