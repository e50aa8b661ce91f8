"""Read side of the ledger, scoped by area (a commune officer sees its commune's employers only):
the arrears list, the employer ledger, the person view, the dashboard, the unmatched queue, and the
balance check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from ansinh.core.scope import AreaScope
from ansinh.core.scope import NotFound as NotFound  # re-exported: routes catch queries.NotFound
from ansinh.law.parameters import get_parameters
from ansinh.law.periods import Period
from ansinh.ledger.debt_ratio import Ratio, Variant, debt_ratio
from ansinh.ledger.models import LedgerAreaKpi, LedgerBalance, LedgerEntry, LedgerKpi, Payment, Reminder
from ansinh.ledger.periods import AGING_LABELS, deadline_of, period_text
from ansinh.registry.models import Commune, Employer, Participation, Person

STATUS_ORDER = ("paid", "due", "late", "reminded", "evasion")


def scoped_employer(session: Session, scope: AreaScope, employer_id: int) -> Employer:
    stmt = scope.apply(select(Employer).where(Employer.id == employer_id), Employer.commune_code)
    employer = session.scalar(stmt)
    if employer is None:
        raise NotFound(employer_id)
    return employer


# --- arrears list ------------------------------------------------------------------------------


@dataclass
class ArrearsRow:
    employer_id: int
    tax_code: str
    name: str
    commune_code: str
    sector: str
    months: int
    oldest: str
    open_amount: int
    surcharge: int
    status: str
    aging: int


def arrears_list(
    session: Session,
    scope: AreaScope,
    *,
    commune: str | None = None,
    sector: str | None = None,
    status: str | None = None,
    aging: int | None = None,
    sort: str = "amount",
    limit: int = 200,
) -> list[ArrearsRow]:
    """Employers with open months, one row each, largest first (or oldest first)."""
    b = LedgerBalance
    cond = [b.open_amount > 0]
    if status:
        cond.append(b.status == status)
    if aging is not None:
        cond.append(b.aging == aging)
    worst = func.max(case(*((b.status == s, i) for i, s in enumerate(STATUS_ORDER)), else_=0)).label("worst")
    stmt = (
        select(
            Employer.id,
            Employer.tax_code,
            Employer.name,
            Employer.commune_code,
            Employer.sector,
            func.count().label("months"),
            func.min(b.period).label("oldest"),
            func.sum(b.open_amount).label("open_amount"),
            func.sum(b.surcharge_accrued + b.surcharge_open).label("surcharge"),
            worst,
            func.max(b.aging).label("aging"),
        )
        .join(Employer, Employer.id == b.employer_id)
        .where(*cond)
        .group_by(Employer.id, Employer.tax_code, Employer.name, Employer.commune_code, Employer.sector)
    )
    stmt = scope.apply(stmt, Employer.commune_code)
    if commune:
        stmt = stmt.where(Employer.commune_code == commune)
    if sector:
        stmt = stmt.where(Employer.sector == sector)
    order: Any = {
        "amount": func.sum(b.open_amount).desc(),
        "oldest": func.min(b.period).asc(),
        "months": func.count().desc(),
    }.get(sort, func.sum(b.open_amount).desc())
    rows = session.execute(stmt.order_by(order, Employer.id).limit(limit)).all()
    return [
        ArrearsRow(
            r.id,
            r.tax_code,
            r.name,
            r.commune_code,
            r.sector,
            r.months,
            r.oldest,
            int(r.open_amount),
            int(r.surcharge or 0),
            STATUS_ORDER[int(r.worst)],
            int(r.aging),
        )
        for r in rows
    ]


def arrears_totals(session: Session, scope: AreaScope) -> dict[str, Any]:
    """Open amount per status and per aging bucket (for the filters' counts)."""
    b = LedgerBalance
    base = scope.apply(
        select(b.status, b.aging, func.count(), func.sum(b.open_amount))
        .join(Employer, Employer.id == b.employer_id)
        .where(b.open_amount > 0),
        Employer.commune_code,
    )
    by_status: dict[str, int] = {}
    by_aging = [0] * len(AGING_LABELS)
    for status, aging, _n, amount in session.execute(base.group_by(b.status, b.aging)).all():
        by_status[status] = by_status.get(status, 0) + int(amount or 0)
        by_aging[int(aging)] += int(amount or 0)
    as_of = session.scalar(select(func.max(b.as_of)))
    return {"by_status": by_status, "by_aging": by_aging, "as_of": as_of}


# --- employer ledger ---------------------------------------------------------------------------


@dataclass
class StatementRow:
    period: str
    due: int = 0
    paid: int = 0
    open_amount: int = 0
    surcharge: int = 0
    surcharge_open: int = 0
    surcharge_accrued: int = 0
    deadline: date | None = None
    status: str = "paid"
    days_late: int = 0


@dataclass
class EmployerLedger:
    employer: Employer
    commune_name: str
    rows: list[StatementRow]
    payments: list[Payment]
    reminders: list[Reminder]
    as_of: date | None
    totals: StatementRow = field(default_factory=lambda: StatementRow("total"))


def employer_ledger(session: Session, scope: AreaScope, employer_id: int) -> EmployerLedger:
    employer = scoped_employer(session, scope, employer_id)
    e = LedgerEntry
    sums = session.execute(
        select(e.period, e.item, e.kind, func.sum(e.amount))
        .where(e.employer_id == employer_id)
        .group_by(e.period, e.item, e.kind)
    ).all()
    rows: dict[str, StatementRow] = {}
    for period, item, kind, amount in sums:
        row = rows.setdefault(period, StatementRow(period))
        amount = int(amount)
        if item == "contribution":
            if kind in ("due", "adjustment"):
                row.due += amount
            else:
                row.paid -= amount
            row.open_amount += amount
        else:
            if kind == "surcharge":
                row.surcharge += amount
            row.surcharge_open += amount
    snap = {
        b.period: b
        for b in session.scalars(select(LedgerBalance).where(LedgerBalance.employer_id == employer_id))
    }
    params = get_parameters()
    as_of = session.scalar(select(func.max(LedgerBalance.as_of)))
    for row in rows.values():
        row.deadline = deadline_of(Period.parse(row.period), params)
        b = snap.get(row.period)
        if b is not None:
            row.status, row.days_late, row.surcharge_accrued = b.status, b.days_late, b.surcharge_accrued
    ordered = sorted(rows.values(), key=lambda r: r.period, reverse=True)
    totals = StatementRow("total")
    for r in ordered:
        totals.due += r.due
        totals.paid += r.paid
        totals.open_amount += r.open_amount
        totals.surcharge += r.surcharge
        totals.surcharge_open += r.surcharge_open
        totals.surcharge_accrued += r.surcharge_accrued
    payments = list(
        session.scalars(
            select(Payment)
            .where(Payment.employer_id == employer_id)
            .order_by(Payment.value_date.desc())
            .limit(60)
        )
    )
    reminders = list(
        session.scalars(
            select(Reminder).where(Reminder.employer_id == employer_id).order_by(Reminder.sent_on.desc())
        )
    )
    commune = session.scalar(select(Commune.name).where(Commune.code == employer.commune_code)) or ""
    return EmployerLedger(employer, commune, ordered, payments, reminders, as_of, totals)


# --- person view -------------------------------------------------------------------------------


@dataclass
class PersonMonth:
    period: str
    employer_id: int
    employer_name: str
    schemes: str
    salary: int | None
    paid: bool
    status: str


def person_months(session: Session, scope: AreaScope, person_id: int, months: int = 36) -> list[PersonMonth]:
    """For each month the person was declared by an employer (latest first): paid by the employer,
    or not (the employer's month is still open) — what the citizen sees in VssID."""
    person = session.scalar(scope.apply(select(Person).where(Person.id == person_id), Person.commune_code))
    if person is None:
        raise NotFound(person_id)
    as_of = session.scalar(select(func.max(LedgerBalance.as_of))) or date.today()
    last = Period.of(as_of).index
    first = last - months + 1
    p = Participation
    spells = session.execute(
        select(p.scheme, p.valid_from, p.valid_to, p.employer_id, p.salary, Employer.name)
        .join(Employer, Employer.id == p.employer_id)
        .where(
            p.person_id == person_id,
            p.scheme.in_(("si", "ui", "hi")),
            or_(p.valid_to.is_(None), p.valid_to >= Period.from_index(first).first_day),
        )
    ).all()
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for scheme, start, end, employer_id, salary, name in spells:
        a = max(Period.of(start).index, first)
        b = min(Period.of(end).index if end else last, last)
        for m in range(a, b + 1):
            cell = cells.setdefault((m, employer_id), {"schemes": set(), "salary": None, "name": name})
            cell["schemes"].add(scheme)
            if salary is not None:
                cell["salary"] = salary
    if not cells:
        return []
    employers = {e for _, e in cells}
    periods = {period_text(m) for m, _ in cells}
    snap = {
        (b.employer_id, b.period): b.status
        for b in session.scalars(
            select(LedgerBalance).where(
                LedgerBalance.employer_id.in_(employers),
                LedgerBalance.period.in_(periods),
                LedgerBalance.open_amount > 0,
            )
        )
    }
    posted = {
        (r[0], r[1])
        for r in session.execute(
            select(LedgerEntry.employer_id, LedgerEntry.period)
            .where(
                LedgerEntry.employer_id.in_(employers),
                LedgerEntry.period.in_(periods),
                LedgerEntry.kind == "due",
            )
            .distinct()
        )
    }
    out = []
    for (m, employer_id), cell in sorted(cells.items(), reverse=True):
        period = period_text(m)
        status = snap.get((employer_id, period))
        if status is None:
            status = "paid" if (employer_id, period) in posted else "not_posted"
        out.append(
            PersonMonth(
                period,
                employer_id,
                cell["name"],
                ", ".join(sorted(cell["schemes"])),
                cell["salary"],
                status == "paid",
                status,
            )
        )
    return out


# --- dashboard ---------------------------------------------------------------------------------


@dataclass
class KpiRow:
    period: str
    receivable: int
    receivable_ytd: int
    collected: int
    arrears: int
    ratio: Ratio
    employers_late: int
    surcharge_accrued: int


def dashboard(
    session: Session, variant: Variant, months: int = 24, scope: AreaScope | None = None
) -> list[KpiRow]:
    """The collection figures of the last ``months`` closes: the whole ledger's for a province
    scope, the commune's employers' for a commune scope (``ledger_area_kpis``)."""
    rows: list[LedgerKpi | LedgerAreaKpi]
    if scope is not None and scope.commune_code is not None:
        area = LedgerAreaKpi
        query = select(area).where(area.area_code == scope.commune_code)
        rows = list(session.scalars(query.order_by(area.period.desc()).limit(months)))
    else:
        rows = list(session.scalars(select(LedgerKpi).order_by(LedgerKpi.period.desc()).limit(months)))
    out = []
    for k in reversed(rows):
        figures = {
            c: getattr(k, c)
            for c in ("arrears_late", "arrears_collectible", "arrears_open", "receivable_ytd")
        }
        ratio = debt_ratio(figures, int(k.period[5:7]), variant)
        out.append(
            KpiRow(
                k.period,
                k.receivable,
                k.receivable_ytd,
                k.collected,
                ratio.numerator,
                ratio,
                k.employers_late,
                k.surcharge_accrued,
            )
        )
    return out


def debt_ratio_target(year: int) -> tuple[Any, str]:
    """The debt-ratio target in force (Hà Tĩnh 2030 goal, from targets.yaml) and its legal basis."""
    params = get_parameters()
    at = date(max(year, 2025), 1, 1)
    entry = params.entry("target_ha_tinh_debt_ratio_max", at)
    records = params.records("target_ha_tinh_debt_ratio_max", at)
    return records[-1]["target"], entry.legal_basis


# --- unmatched queue ---------------------------------------------------------------------------


def unmatched_payments(session: Session, limit: int = 200) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.status == "unmatched")
            .order_by(Payment.value_date, Payment.id)
            .limit(limit)
        )
    )


# --- balance check -----------------------------------------------------------------------------


@dataclass
class CheckResult:
    employers: int = 0
    dues: int = 0
    payments: int = 0
    open_total: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(session: Session) -> CheckResult:
    """Prove, for every employer, Σ receivables (dues, adjustments, surcharges) − Σ payments (net of
    reversals) = Σ of its open balances per month, scheme and item; that no payment is allocated
    beyond its amount; that reversed payments net to zero; and that the snapshot agrees."""
    e = LedgerEntry
    result = CheckResult()
    receivable = func.sum(case((e.kind.in_(("due", "adjustment", "surcharge")), e.amount), else_=0))
    paid = -func.sum(case((e.kind.in_(("payment", "reversal")), e.amount), else_=0))
    per_employer = session.execute(
        select(e.employer_id, receivable, paid).where(e.employer_id.is_not(None)).group_by(e.employer_id)
    ).all()
    cells = (
        select(e.employer_id.label("employer_id"), func.sum(e.amount).label("open"))
        .where(e.employer_id.is_not(None))
        .group_by(e.employer_id, e.period, e.scheme, e.item)
        .subquery()
    )
    open_by_employer: dict[int, int] = dict(
        session.execute(select(cells.c.employer_id, func.sum(cells.c.open)).group_by(cells.c.employer_id))
        .tuples()
        .all()
    )
    for employer_id, rec, pay in per_employer:
        result.employers += 1
        result.dues += int(rec)
        result.payments += int(pay)
        open_total = int(open_by_employer.get(employer_id, 0))
        result.open_total += open_total
        if int(rec) - int(pay) != open_total:
            result.problems.append(f"employer {employer_id}: {rec} − {pay} ≠ open {open_total}")
    over = session.execute(
        select(Payment.id, Payment.amount, -func.sum(e.amount))
        .join(e, and_(e.payment_id == Payment.id, e.kind == "payment"))
        .group_by(Payment.id, Payment.amount)
        .having(-func.sum(e.amount) > Payment.amount)
    ).all()
    for pid, amount, allocated in over:
        result.problems.append(f"payment {pid}: allocated {allocated} > amount {amount}")
    reversed_net = session.execute(
        select(Payment.id, func.sum(e.amount))
        .join(e, e.payment_id == Payment.id)
        .where(Payment.status == "reversed")
        .group_by(Payment.id)
        .having(func.sum(e.amount) != 0)
    ).all()
    for pid, net in reversed_net:
        result.problems.append(f"reversed payment {pid}: its entries net to {net}, not 0")
    snap = session.scalar(select(func.sum(LedgerBalance.open_amount + LedgerBalance.surcharge_open)))
    if snap is not None and int(snap) != result.open_total:
        result.problems.append(f"snapshot open {snap} ≠ entries open {result.open_total} (run a close)")
    return result
