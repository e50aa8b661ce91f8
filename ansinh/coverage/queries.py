"""Read side of coverage: the snapshot, projections, ranking and the people behind a number.

Pages read only the precomputed tables (``coverage_indicators``, ``coverage_projections``), a few
hundred rows each, which is how the dashboard stays fast on a 1.3M-person province. The people
behind a number are read from the registry, scoped by area (a commune officer asking for another
commune gets :class:`~ansinh.core.scope.NotFound`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ansinh.core.scope import AreaScope, NotFound
from ansinh.coverage.definitions import HEADLINE, INDICATORS
from ansinh.coverage.models import Denominator, IndicatorValue, Projection, Run
from ansinh.coverage.targets import Target, targets
from ansinh.law.periods import Period
from ansinh.registry.models import Commune, Household, Participation, Person, Province


@dataclass
class HeadlineRow:
    indicator: str
    period: str | None
    numerator: int | None
    denominator: int | None
    value: float | None
    status: str = "no_data"
    target: float | None = None
    target_year: int | None = None
    target_source: str | None = None
    projected: float | None = None
    lower: float | None = None
    upper: float | None = None
    slope_per_year: float | None = None
    needed_per_month: int | None = None
    path: list[list[Any]] = field(default_factory=list)
    direction: str = "min"

    @property
    def target_label(self) -> str | None:
        if self.target is None:
            return None
        sign = "≤" if self.direction == "max" else "≥"
        return f"{sign} {100 * self.target:.1f}% ({self.target_year})"


def latest_period(session: Session, area: str) -> str | None:
    return session.scalar(select(func.max(IndicatorValue.period)).where(IndicatorValue.area_code == area))


def last_run(session: Session) -> Run | None:
    return session.scalar(select(Run).order_by(Run.id.desc()).limit(1))


def area_name(session: Session, code: str) -> str | None:
    if len(code) == 2:
        return session.scalar(select(Province.name).where(Province.code == code))
    return session.scalar(select(Commune.name).where(Commune.code == code))


def check_area(session: Session, scope: AreaScope, code: str) -> str:
    """The area's name if the scope may see it, else :class:`NotFound`."""
    if len(code) == 2:
        if not scope.is_province or code != scope.province_code:
            raise NotFound(code)
    else:
        province = session.scalar(select(Commune.province_code).where(Commune.code == code))
        if province is None or not scope.allows_commune(code, province):
            raise NotFound(code)
    name = area_name(session, code)
    if name is None:
        raise NotFound(code)
    return name


def headline(session: Session, area: str, period: str | None = None) -> list[HeadlineRow]:
    """The headline indicators of an area at ``period`` (default: the latest), with projections."""
    period = period or latest_period(session, area)
    values = {
        v.indicator: v
        for v in session.scalars(
            select(IndicatorValue).where(IndicatorValue.area_code == area, IndicatorValue.period == period)
        )
    }
    projections = {
        p.indicator: p for p in session.scalars(select(Projection).where(Projection.area_code == area))
    }
    out = []
    for code in HEADLINE:
        v = values.get(code)
        row = HeadlineRow(
            code,
            period if v else None,
            v.numerator if v else None,
            v.denominator if v else None,
            v.value if v else None,
        )
        row.direction = "max" if INDICATORS[code].kind == "ratio_max" else "min"
        p = projections.get(code)
        if p is not None:
            row.status = p.status
            row.target, row.target_year, row.target_source = p.target, p.target_year, p.target_source
            row.projected, row.lower, row.upper = p.projected, p.lower, p.upper
            row.slope_per_year, row.needed_per_month = p.slope_per_year, p.needed_per_month
            row.path = json.loads(p.path or "[]")
        out.append(row)
    return out


def series(
    session: Session, area: str, codes: tuple[str, ...], months: int = 36
) -> dict[str, list[IndicatorValue]]:
    """Monthly values of some indicators of an area, oldest first."""
    rows = session.scalars(
        select(IndicatorValue)
        .where(IndicatorValue.area_code == area, IndicatorValue.indicator.in_(codes))
        .order_by(IndicatorValue.period)
    )
    out: dict[str, list[IndicatorValue]] = {c: [] for c in codes}
    for r in rows:
        out[r.indicator].append(r)
    return {c: v[-months:] for c, v in out.items()}


@dataclass
class RankRow:
    commune_code: str
    name: str
    value: float | None
    numerator: int
    denominator: int | None
    status: str
    net_growth: int | None = None
    rank: int = 0


def ranking(session: Session, scope: AreaScope, indicator: str, period: str | None = None) -> list[RankRow]:
    """Communes of the scope by the indicator's value at ``period``, best first (lowest for a ceiling)."""
    period = period or latest_period(session, scope.area_code)
    stmt = (
        select(IndicatorValue, Commune.name)
        .join(Commune, Commune.code == IndicatorValue.area_code)
        .where(IndicatorValue.indicator == indicator, IndicatorValue.period == period)
    )
    stmt = scope.apply(stmt, Commune.code)
    status = {
        p.area_code: p.status
        for p in session.scalars(select(Projection).where(Projection.indicator == indicator))
    }
    growth = {
        v.area_code: v.numerator
        for v in session.scalars(
            select(IndicatorValue).where(
                IndicatorValue.indicator == "net_growth", IndicatorValue.period == period
            )
        )
    }
    rows = [
        RankRow(
            v.area_code,
            name,
            v.value,
            v.numerator,
            v.denominator,
            status.get(v.area_code, "no_data"),
            growth.get(v.area_code),
        )
        for v, name in session.execute(stmt).all()
    ]
    worst_first = INDICATORS[indicator].kind == "ratio_max"
    rows.sort(
        key=lambda r: (r.value is None, (r.value or 0) if worst_first else -(r.value or 0), r.commune_code)
    )
    for i, r in enumerate(rows, 1):
        r.rank = i
    return rows


@dataclass
class YearRow:
    indicator: str
    year: int
    value: float | None
    period: str | None
    targets: list[Target]

    def met(self, t: Target) -> bool | None:
        if self.value is None:
            return None
        return self.value <= float(t.value) if t.direction == "max" else self.value >= float(t.value)


def against_targets(session: Session, area: str, province: str, at: date) -> list[YearRow]:
    """For every target year of every indicator: the value reached (December, or the latest month of
    that year in the snapshot), next to the targets of that year."""
    all_targets = targets(province, at)
    years = sorted({(t.indicator, t.year) for t in all_targets})
    out = []
    for code, year in years:
        v = session.scalar(
            select(IndicatorValue)
            .where(
                IndicatorValue.area_code == area,
                IndicatorValue.indicator == code,
                IndicatorValue.period.between(f"{year}-01", f"{year}-12"),
            )
            .order_by(IndicatorValue.period.desc())
            .limit(1)
        )
        out.append(
            YearRow(
                code,
                year,
                v.value if v else None,
                v.period if v else None,
                [t for t in all_targets if t.indicator == code and t.year == year],
            )
        )
    return out


def denominators(session: Session, area: str) -> list[Denominator]:
    return list(
        session.scalars(select(Denominator).where(Denominator.area_code == area).order_by(Denominator.year))
    )


# --- the people behind a number --------------------------------------------------------------

PEOPLE_SCHEMES = {
    "si_participants": ("si", "vsi"),
    "si_working_age": ("si", "vsi"),
    "si_compulsory": ("si",),
    "si_voluntary": ("vsi",),
    "ui": ("ui",),
    "hi": ("hi",),
    "pension": ("hi",),
}


@dataclass
class PersonRow:
    person_id: int
    full_name: str
    birth_date: date
    gender: str
    household_code: str | None
    scheme: str
    valid_from: date
    hi_group: str | None


def people_behind(
    session: Session,
    scope: AreaScope,
    commune: str,
    indicator: str,
    period: str,
    *,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[PersonRow]]:
    """The persons of a commune counted in an indicator's numerator on the period's last day
    (total, one page). Pension: the registry's part (HI groups HT, BT)."""
    check_area(session, scope, commune)
    if indicator not in PEOPLE_SCHEMES:
        raise NotFound(indicator)
    day = Period.parse(period).next().first_day - timedelta(days=1)
    p = Participation
    cond = [
        p.scheme.in_(PEOPLE_SCHEMES[indicator]),
        p.valid_from <= day,
        or_(p.valid_to.is_(None), p.valid_to >= day),
        Person.commune_code == commune,
        Person.merged_into_id.is_(None),
        or_(Person.death_date.is_(None), Person.death_date > day),
    ]
    if indicator == "pension":
        cond.append(p.hi_group.in_(("HT", "BT")))
    first_spell = (
        select(p.person_id, func.min(p.id).label("pid"))
        .join(Person, Person.id == p.person_id)
        .where(and_(*cond))
        .group_by(p.person_id)
        .subquery()
    )
    total = session.scalar(select(func.count()).select_from(first_spell)) or 0
    stmt = (
        select(Person, Household.code, p)
        .join(first_spell, first_spell.c.person_id == Person.id)
        .join(p, p.id == first_spell.c.pid)
        .outerjoin(Household, Household.id == Person.household_id)
        .order_by(Person.name_key, Person.id)
        .limit(limit)
        .offset(offset)
    )
    rows = [
        PersonRow(
            person.id,
            person.full_name,
            person.birth_date,
            person.gender,
            hh,
            spell.scheme,
            spell.valid_from,
            spell.hi_group,
        )
        for person, hh, spell in session.execute(stmt).all()
    ]
    return int(total), rows
