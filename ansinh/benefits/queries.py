"""Read side of the benefits domain, scoped by area: a commune officer sees the cases, beneficiaries
and payments of persons living in their commune only (another commune's record is "not found").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ansinh.benefits.models import (
    Beneficiary,
    BenefitCase,
    BenefitCaseEvent,
    BenefitPayment,
    Overpayment,
    PaymentChannel,
    PayrollRun,
)
from ansinh.core.scope import AreaScope, NotFound
from ansinh.registry.models import Person

__all__ = ["NotFound"]

OPEN_STATUSES = ("received", "drafted", "returned")


@dataclass
class CaseRow:
    id: int
    reference: str
    person_id: int
    full_name: str
    commune_code: str
    kind: str
    status: str
    received_on: date
    due_on: date
    amount: int | None
    overdue: bool
    needs_second: bool
    waiting_second: bool


def case_list(
    session: Session,
    scope: AreaScope,
    today: date,
    *,
    status: str | None = None,
    kind: str | None = None,
    overdue: bool = False,
    limit: int = 200,
) -> list[CaseRow]:
    """Cases, most urgent first (open cases by due date, then the decided ones, newest first)."""
    stmt = select(BenefitCase, Person.full_name, Person.commune_code).join(
        Person, Person.id == BenefitCase.person_id
    )
    stmt = scope.apply(stmt, Person.commune_code)
    if status:
        stmt = stmt.where(BenefitCase.status == status)
    if kind:
        stmt = stmt.where(BenefitCase.kind == kind)
    if overdue:
        stmt = stmt.where(BenefitCase.status.in_(OPEN_STATUSES), BenefitCase.due_on < today)
    stmt = stmt.order_by(
        BenefitCase.due_on.asc() if overdue or status in OPEN_STATUSES else BenefitCase.id.desc()
    )
    out = []
    for case, name, commune in session.execute(stmt.limit(limit)):
        out.append(
            CaseRow(
                case.id,
                case.reference,
                case.person_id,
                name,
                commune,
                case.kind,
                case.status,
                case.received_on,
                case.due_on,
                case.amount,
                case.status in OPEN_STATUSES and case.due_on < today,
                case.needs_second,
                case.status == "drafted" and case.needs_second and case.first_approved_by is not None,
            )
        )
    return out


def case_counts(session: Session, scope: AreaScope, today: date) -> dict[str, int]:
    """Cases by status, and the open ones past their deadline (``overdue``)."""
    base = select(BenefitCase.status, func.count()).join(Person, Person.id == BenefitCase.person_id)
    base = scope.apply(base, Person.commune_code)
    counts = {s: int(n) for s, n in session.execute(base.group_by(BenefitCase.status))}
    late = select(func.count()).select_from(BenefitCase).join(Person, Person.id == BenefitCase.person_id)
    late = scope.apply(late, Person.commune_code).where(
        BenefitCase.status.in_(OPEN_STATUSES), BenefitCase.due_on < today
    )
    counts["overdue"] = int(session.scalar(late) or 0)
    return counts


def scoped_person(session: Session, scope: AreaScope, person_id: int) -> Person:
    person = session.scalar(scope.apply(select(Person).where(Person.id == person_id), Person.commune_code))
    if person is None:
        raise NotFound(person_id)
    return person


def scoped_case(session: Session, scope: AreaScope, case_id: int) -> tuple[BenefitCase, Person]:
    row = session.execute(
        scope.apply(
            select(BenefitCase, Person)
            .join(Person, Person.id == BenefitCase.person_id)
            .where(BenefitCase.id == case_id),
            Person.commune_code,
        )
    ).first()
    if row is None:
        raise NotFound(case_id)
    return row[0], row[1]


def case_events(session: Session, case_id: int) -> list[BenefitCaseEvent]:
    return list(
        session.scalars(
            select(BenefitCaseEvent)
            .where(BenefitCaseEvent.case_id == case_id)
            .order_by(BenefitCaseEvent.at, BenefitCaseEvent.id)
        )
    )


def explanation(case: BenefitCase) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(case.explanation) if case.explanation else {}
    return data


@dataclass
class BeneficiaryView:
    person: Person
    benefits: list[Beneficiary]
    channels: list[PaymentChannel]
    payments: list[BenefitPayment]
    cases: list[BenefitCase]
    overpayments: list[Overpayment]


def beneficiary(session: Session, scope: AreaScope, person_id: int) -> BeneficiaryView:
    person = scoped_person(session, scope, person_id)
    return BeneficiaryView(
        person,
        list(
            session.scalars(
                select(Beneficiary).where(Beneficiary.person_id == person_id).order_by(Beneficiary.id)
            )
        ),
        list(
            session.scalars(
                select(PaymentChannel)
                .where(PaymentChannel.person_id == person_id)
                .order_by(PaymentChannel.valid_from.desc())
            )
        ),
        list(
            session.scalars(
                select(BenefitPayment)
                .where(BenefitPayment.person_id == person_id)
                .order_by(BenefitPayment.period.desc(), BenefitPayment.id.desc())
                .limit(36)
            )
        ),
        list(
            session.scalars(
                select(BenefitCase).where(BenefitCase.person_id == person_id).order_by(BenefitCase.id.desc())
            )
        ),
        list(session.scalars(select(Overpayment).where(Overpayment.person_id == person_id))),
    )


@dataclass
class RunView:
    run: PayrollRun
    by_status: dict[str, tuple[int, int]]
    by_channel: dict[str, tuple[int, int]]
    payments: int
    amount: int


def runs(session: Session, limit: int = 36) -> list[PayrollRun]:
    return list(
        session.scalars(
            select(PayrollRun).order_by(PayrollRun.period.desc(), PayrollRun.id.desc()).limit(limit)
        )
    )


def run_view(session: Session, scope: AreaScope, run_id: int) -> RunView:
    """A run's totals within the caller's area (the province sees all of it)."""
    run = session.get(PayrollRun, run_id)
    if run is None:
        raise NotFound(run_id)
    stmt = (
        select(BenefitPayment.status, BenefitPayment.channel, func.count(), func.sum(BenefitPayment.amount))
        .join(Person, Person.id == BenefitPayment.person_id)
        .where(BenefitPayment.run_id == run_id)
        .group_by(BenefitPayment.status, BenefitPayment.channel)
    )
    by_status: dict[str, tuple[int, int]] = {}
    by_channel: dict[str, tuple[int, int]] = {}
    total_n = total_amount = 0
    for status, channel, n, amount in session.execute(scope.apply(stmt, Person.commune_code)):
        a = int(amount or 0)
        s = by_status.get(status, (0, 0))
        by_status[status] = (s[0] + int(n), s[1] + a)
        c = by_channel.get(channel, (0, 0))
        by_channel[channel] = (c[0] + int(n), c[1] + a)
        total_n += int(n)
        total_amount += a
    return RunView(run, by_status, by_channel, total_n, total_amount)


def problem_payments(
    session: Session, scope: AreaScope, run_id: int, limit: int = 200
) -> list[tuple[BenefitPayment, str]]:
    stmt = (
        select(BenefitPayment, Person.full_name)
        .join(Person, Person.id == BenefitPayment.person_id)
        .where(BenefitPayment.run_id == run_id, BenefitPayment.status.in_(("failed", "returned")))
        .order_by(BenefitPayment.id)
        .limit(limit)
    )
    return [(p, n) for p, n in session.execute(scope.apply(stmt, Person.commune_code))]
