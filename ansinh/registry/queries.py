"""Read services of the registry, shared by the web pages and the JSON API. Every function takes the
caller's :class:`~ansinh.core.scope.AreaScope`; a record outside it is :class:`NotFound`, exactly like
a record that does not exist, so that a commune officer cannot even learn that it exists.

>>> classify_query("042088001234")
('personal_id', '042088001234')
>>> classify_query("Nguyễn Văn")
('name', 'nguyen van')
>>> next_prefix("nguyen")
'nguyem'
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ansinh.core.scope import AreaScope
from ansinh.core.scope import NotFound as NotFound  # re-exported: routes catch queries.NotFound
from ansinh.core.text import mask_id, name_key
from ansinh.registry.models import SCHEMES, Commune, Employer, Household, Participation, Person, Province

Located = TypeVar("Located", Person, Employer)


_HI_CARD = re.compile(r"^[A-Z]{2}[1-5]\d{12}$")
_TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$")


def next_prefix(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (for range scans)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def classify_query(q: str) -> tuple[str, str]:
    """What a search box input is: 12 digits a personal ID, 10 digits an SI number, 15 characters an
    HI card number, anything else a name prefix (compared without diacritics)."""
    q = q.strip()
    if q.isdigit() and len(q) == 12:
        return "personal_id", q
    if q.isdigit() and len(q) == 10:
        return "si_number", q
    if _HI_CARD.fullmatch(q.upper()):
        return "hi_card", q.upper()
    return "name", name_key(q)


# --- persons -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    """A person in a list: identifiers masked (danh sách không hiển thị đầy đủ số định danh)."""

    id: int
    full_name: str
    birth_date: date
    gender: str
    personal_id_masked: str
    si_number: str | None
    commune_code: str
    commune_name: str
    merged_into_id: int | None


@dataclass(frozen=True)
class Spell:
    """One participation spell (quá trình tham gia) as shown on the timeline."""

    scheme: str
    valid_from: date
    valid_to: date | None
    employer_id: int | None
    employer_name: str | None
    salary: int | None
    income: int | None
    support_group: str | None
    hi_group: str | None
    hi_benefit_level: int | None
    hi_facility: str | None
    hi_card_number: str | None

    def active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)


@dataclass(frozen=True)
class Member:
    id: int | None
    full_name: str
    birth_date: date
    gender: str
    relation_to_head: str | None


@dataclass(frozen=True)
class PersonDetail:
    """Everything the person page shows. Identifiers in full: reading it must be audited."""

    id: int
    full_name: str
    birth_date: date
    gender: str
    personal_id: str | None
    si_number: str | None
    phone: str | None
    ethnicity: str | None
    death_date: date | None
    commune_code: str
    commune_name: str
    province_name: str
    merged_into_id: int | None
    household_code: str | None
    household_address: str | None
    relation_to_head: str | None
    #: Other members of the household, in the caller's scope.
    household: list[Member]
    #: Spells per scheme, oldest first, schemes in the order of SCHEMES (only schemes with spells).
    timeline: dict[str, list[Spell]]
    #: Latest health-insurance spell (the current or last HI card), if any.
    hi_card: Spell | None


def _commune_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(
        session.execute(select(Commune.code, Commune.name).where(Commune.code.in_(codes))).tuples().all()
    )


def search_persons(session: Session, scope: AreaScope, q: str, limit: int = 50) -> list[PersonRow]:
    """Persons matching ``q`` in scope: exact identifier, or name prefix in name order."""
    kind, value = classify_query(q)
    stmt = select(Person)
    if kind == "personal_id":
        stmt = stmt.where(Person.personal_id == value).order_by(Person.id)
    elif kind == "si_number":
        stmt = stmt.where(Person.si_number == value)
    elif kind == "hi_card":
        holders = select(Participation.person_id).where(Participation.hi_card_number == value)
        stmt = stmt.where(Person.id.in_(holders)).order_by(Person.id)
    else:
        if not value:
            return []
        # A range on the byte-collated key, so the index serves the prefix search on both backends.
        stmt = stmt.where(Person.name_key >= value, Person.name_key < next_prefix(value))
        stmt = stmt.order_by(Person.name_key, Person.birth_date, Person.id)
    persons = list(session.scalars(scope.apply(stmt, Person.commune_code).limit(limit)))
    names = _commune_names(session, {p.commune_code for p in persons})
    return [
        PersonRow(
            id=p.id,
            full_name=p.full_name,
            birth_date=p.birth_date,
            gender=p.gender,
            personal_id_masked=mask_id(p.personal_id),
            si_number=p.si_number,
            commune_code=p.commune_code,
            commune_name=names.get(p.commune_code, p.commune_code),
            merged_into_id=p.merged_into_id,
        )
        for p in persons
    ]


def _located(
    session: Session, scope: AreaScope, model: type[Located], record_id: int
) -> tuple[Located, Commune]:
    """A person or employer with its commune, if the scope may see it; NotFound otherwise."""
    row = session.execute(
        select(model, Commune).join(Commune, Commune.code == model.commune_code).where(model.id == record_id)
    ).first()
    if row is None:
        raise NotFound(f"{model.__tablename__} {record_id}")
    found, commune = row._tuple()
    if not scope.allows_commune(commune.code, commune.province_code):
        raise NotFound(f"{model.__tablename__} {record_id}")
    return found, commune


def person_detail(session: Session, scope: AreaScope, person_id: int) -> PersonDetail:
    """The person page: identity, household, timeline per scheme, HI card. Raises NotFound."""
    person, commune = _located(session, scope, Person, person_id)
    province_name = session.scalar(select(Province.name).where(Province.code == commune.province_code))

    household: Household | None = None
    members: list[Member] = []
    if person.household_id is not None:
        household = session.get(Household, person.household_id)
        others = select(Person).where(
            Person.household_id == person.household_id,
            Person.id != person.id,
            Person.merged_into_id.is_(None),
        )
        members = [
            Member(m.id, m.full_name, m.birth_date, m.gender, m.relation_to_head)
            for m in session.scalars(scope.apply(others, Person.commune_code).order_by(Person.birth_date))
        ]

    rows = list(
        session.execute(
            select(Participation, Employer.name)
            .outerjoin(Employer, Employer.id == Participation.employer_id)
            .where(Participation.person_id == person.id)
            .order_by(Participation.scheme, Participation.valid_from)
        ).tuples()
    )
    timeline: dict[str, list[Spell]] = {}
    for p, employer_name in rows:
        timeline.setdefault(p.scheme, []).append(
            Spell(
                p.scheme,
                p.valid_from,
                p.valid_to,
                p.employer_id,
                employer_name,
                p.salary,
                p.income,
                p.support_group,
                p.hi_group,
                p.hi_benefit_level,
                p.hi_facility,
                p.hi_card_number,
            )
        )
    timeline = {s: timeline[s] for s in SCHEMES if s in timeline}
    hi_spells = timeline.get("hi", [])

    return PersonDetail(
        id=person.id,
        full_name=person.full_name,
        birth_date=person.birth_date,
        gender=person.gender,
        personal_id=person.personal_id,
        si_number=person.si_number,
        phone=person.phone,
        ethnicity=person.ethnicity,
        death_date=person.death_date,
        commune_code=commune.code,
        commune_name=commune.name,
        province_name=province_name or commune.province_code,
        merged_into_id=person.merged_into_id,
        household_code=household.code if household else None,
        household_address=household.address if household else None,
        relation_to_head=person.relation_to_head,
        household=members,
        timeline=timeline,
        hi_card=hi_spells[-1] if hi_spells else None,
    )


# --- employers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmployerRow:
    id: int
    tax_code: str
    name: str
    kind: str
    sector: str
    commune_code: str
    commune_name: str


@dataclass(frozen=True)
class EmployerDetail:
    id: int
    tax_code: str
    name: str
    kind: str
    sector: str
    commune_code: str
    commune_name: str
    registered_on: date | None
    #: People with an open compulsory SI spell at this employer today.
    employees: int
    #: Sum of their contribution salaries (đồng).
    payroll: int
    #: First employees by name (masked identifiers), in the caller's scope.
    employee_sample: list[PersonRow]


def search_employers(session: Session, scope: AreaScope, q: str, limit: int = 50) -> list[EmployerRow]:
    q = q.strip()
    stmt = select(Employer)
    if _TAX_CODE.fullmatch(q):
        stmt = stmt.where(Employer.tax_code == q)
    else:
        key = name_key(q)
        if not key:
            return []
        stmt = stmt.where(Employer.name_key >= key, Employer.name_key < next_prefix(key))
        stmt = stmt.order_by(Employer.name_key, Employer.id)
    employers = list(session.scalars(scope.apply(stmt, Employer.commune_code).limit(limit)))
    names = _commune_names(session, {e.commune_code for e in employers})
    return [
        EmployerRow(
            e.id,
            e.tax_code,
            e.name,
            e.kind,
            e.sector,
            e.commune_code,
            names.get(e.commune_code, e.commune_code),
        )
        for e in employers
    ]


def employer_detail(
    session: Session, scope: AreaScope, employer_id: int, today: date | None = None, sample: int = 20
) -> EmployerDetail:
    """An employer in scope, with its current number of insured employees. Raises NotFound."""
    today = today or date.today()
    employer, commune = _located(session, scope, Employer, employer_id)
    current = (
        Participation.employer_id == employer.id,
        Participation.scheme == "si",
        Participation.valid_from <= today,
        or_(Participation.valid_to.is_(None), Participation.valid_to >= today),
    )
    employees, payroll = (
        session.execute(
            select(
                func.count(func.distinct(Participation.person_id)),
                func.coalesce(func.sum(Participation.salary), 0),
            ).where(*current)
        )
        .one()
        ._tuple()
    )
    people = select(Person).where(Person.id.in_(select(Participation.person_id).where(*current)))
    people = scope.apply(people, Person.commune_code).order_by(Person.name_key).limit(sample)
    persons = list(session.scalars(people))
    names = _commune_names(session, {p.commune_code for p in persons})
    return EmployerDetail(
        id=employer.id,
        tax_code=employer.tax_code,
        name=employer.name,
        kind=employer.kind,
        sector=employer.sector,
        commune_code=commune.code,
        commune_name=commune.name,
        registered_on=employer.registered_on,
        employees=int(employees or 0),
        payroll=int(payroll or 0),
        employee_sample=[
            PersonRow(
                p.id,
                p.full_name,
                p.birth_date,
                p.gender,
                mask_id(p.personal_id),
                p.si_number,
                p.commune_code,
                names.get(p.commune_code, p.commune_code),
                p.merged_into_id,
            )
            for p in persons
        ],
    )


# --- dashboard ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    """Headline figures of the home page for one scope, as of ``as_of``."""

    as_of: date
    persons: int
    households: int
    employers: int
    communes: int
    #: Persons with a spell in force on ``as_of``, per scheme (every scheme present, maybe 0).
    participants: dict[str, int]


_dashboard_cache: dict[tuple[Any, ...], tuple[float, Dashboard]] = {}
_dashboard_lock = threading.Lock()
#: The counts scan whole tables (1.3M people); a few minutes' staleness is fine for a dashboard.
DASHBOARD_TTL_SECONDS = 300.0


def dashboard(session: Session, scope: AreaScope, as_of: date | None = None) -> Dashboard:
    as_of = as_of or date.today()
    bind = session.get_bind()
    key = (str(bind.engine.url), scope, as_of)
    with _dashboard_lock:
        hit = _dashboard_cache.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    persons = (
        session.scalar(
            scope.apply(
                select(func.count()).select_from(Person).where(Person.merged_into_id.is_(None)),
                Person.commune_code,
            )
        )
        or 0
    )
    households = (
        session.scalar(scope.apply(select(func.count()).select_from(Household), Household.commune_code)) or 0
    )
    employers = (
        session.scalar(scope.apply(select(func.count()).select_from(Employer), Employer.commune_code)) or 0
    )
    communes_stmt = (
        select(func.count()).select_from(Commune).where(Commune.province_code == scope.province_code)
    )
    if scope.commune_code is not None:
        communes_stmt = communes_stmt.where(Commune.code == scope.commune_code)
    communes = session.scalar(communes_stmt) or 0
    in_force = (
        select(Participation.scheme, func.count(func.distinct(Participation.person_id)))
        .join(Person, Person.id == Participation.person_id)
        .where(
            Participation.valid_from <= as_of,
            or_(Participation.valid_to.is_(None), Participation.valid_to >= as_of),
        )
        .group_by(Participation.scheme)
    )
    counts = dict(session.execute(scope.apply(in_force, Person.commune_code)).tuples().all())
    result = Dashboard(
        as_of, persons, households, employers, communes, {s: int(counts.get(s) or 0) for s in SCHEMES}
    )
    with _dashboard_lock:
        _dashboard_cache[key] = (time.monotonic() + DASHBOARD_TTL_SECONDS, result)
    return result


def clear_dashboard_cache() -> None:
    with _dashboard_lock:
        _dashboard_cache.clear()
