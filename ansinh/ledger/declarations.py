"""Employer declarations (kê khai lao động): joining, leaving, salary changes, unpaid leave.

The declared facts ARE the registry's effective-dated ``participations``: a declaration writes a
``declarations`` record (who, from where — web, xlsx, api —, its idempotency key) and the changes:

- ``join`` (tăng mới): a spell per scheme from the first day of ``from_period`` (to the last day of
  ``to_period`` when given), with the salary on the si/ui rows;
- ``leave`` (giảm): the employer's open spells end on the last day before ``from_period``;
- ``salary`` (điều chỉnh lương): the open si/ui spells end before ``from_period``, new ones start;
- ``unpaid_leave`` (nghỉ không lương ≥ 14 working days, Law 41/2024/QH15 Art. 33.5, 34.3): no
  participation change; the dues batch leaves those months out.

History is never edited beyond closing a spell's ``valid_to``. Months already posted are repriced by
the next close with ``reprice_from`` and produce adjustments.

Refusals, each with the row and the reason (nothing is written if any row is refused):
unknown employer; unknown person; a salary below the regional minimum wage in force in the first
month (Labour Code 2019 Art. 90–91; the employer's wage region); a person declared for a scheme and
month by more employers than ``max_employers_per_scheme`` allows (one: SI and UI under the first
contract, HI under the highest salary — Decree 115/2015 Art. 5.6, Decree 146/2018 Art. 7.1(a));
leaving or changing a salary without an open spell.

A declaration whose key was seen before is not applied again (payroll software may resend).

The .xlsx layout employers already use: one row per employee with "Số định danh" / "Mã số BHXH",
"Họ và tên", "Mức lương", "Từ tháng", "Đến tháng", "Loại bảo hiểm" (e.g. "BHXH, BHYT, BHTN") and
optionally "Phương án" (TM tăng mới, GH giảm, DC điều chỉnh lương, KL nghỉ không lương).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ansinh.core.audit import record
from ansinh.core.money import check_amount
from ansinh.core.scope import AreaScope
from ansinh.core.text import name_key
from ansinh.law.parameters import get_parameters
from ansinh.law.periods import Period, period_error
from ansinh.ledger.models import Declaration
from ansinh.registry.importing import fields
from ansinh.registry.importing.base import Column, Item, RowError, RowReader
from ansinh.registry.importing.lookup import PersonIndex, PersonRef
from ansinh.registry.importing.readers import find_table, map_headings, read_rows
from ansinh.registry.models import Employer, EmployerRegion, Participation

KINDS = ("join", "leave", "salary", "unpaid_leave")
KIND_LABELS = {
    "join": "join",
    "tm": "join",
    "tang moi": "join",
    "tang": "join",
    "leave": "leave",
    "gh": "leave",
    "giam": "leave",
    "giam han": "leave",
    "salary": "salary",
    "dc": "salary",
    "dieu chinh": "salary",
    "dieu chinh luong": "salary",
    "unpaid_leave": "unpaid_leave",
    "kl": "unpaid_leave",
    "nghi khong luong": "unpaid_leave",
}
SCHEME_WORDS = {"bhxh": "si", "si": "si", "bhyt": "hi", "hi": "hi", "bhtn": "ui", "ui": "ui"}


@dataclass
class DeclarationInput:
    """One declared line, as parsed from a form, a file row or an API item."""

    row: int
    kind: str
    person: PersonRef
    schemes: tuple[str, ...]
    from_period: Period
    to_period: Period | None = None
    salary: int | None = None
    full_name: str | None = None
    key: str | None = None

    def content_key(self, employer: str) -> str:
        text = "|".join(
            str(x)
            for x in (
                employer,
                self.kind,
                self.person.si_number,
                self.person.personal_id,
                ",".join(self.schemes),
                self.from_period,
                self.to_period,
                self.salary,
            )
        )
        return "h|" + hashlib.sha256(text.encode()).hexdigest()[:40]


@dataclass
class DeclarationReport:
    employer_id: int | None = None
    applied: int = 0
    repeated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_period(value: str, name: str = "month") -> Period:
    """``03/2026``, ``2026-03`` or a date (its month); ASCII digits, month 1–12, a year within
    ``MIN_YEAR``–``MAX_YEAR`` (ansinh.law.periods), else a ValueError naming the field ``name``."""
    value = value.strip()
    try:
        if m := re.fullmatch(r"(\d{1,2})[/.-](\d{4})", value, re.ASCII):
            period = Period(int(m[2]), int(m[1]))
        elif re.fullmatch(r"\d{4}-\d{2}", value, re.ASCII):
            period = Period.parse(value)
        elif value.isascii():
            period = Period.of(fields.parse_date(value))
        else:
            raise ValueError(value)
    except ValueError:
        raise period_error(value, name) from None
    if not period.plausible:
        raise period_error(value, name)
    return period


_TAX_CODE = re.compile(r"[0-9]{10}(-[0-9]{3})?")


def check_tax_code(value: str, name: str = "tax_code") -> str:
    """An employer's tax code (mã số thuế): 10 ASCII digits, or 10 digits, ``-`` and 3 digits for a
    dependent unit (branch); else a ValueError naming the field ``name`` (Vietnamese, then English)."""
    value = value.strip()
    if not _TAX_CODE.fullmatch(value):
        shown = repr(value.encode("utf-8", "backslashreplace").decode("utf-8"))[:40]
        raise ValueError(
            f"{name}: mã số thuế gồm 10 chữ số, hoặc 10 chữ số, dấu '-' và 3 chữ số (đơn vị trực thuộc),"
            f" nhận được {shown} / {name}: a tax code is 10 digits, or 10-3 digits for a branch, got {shown}"
        )
    return value


def parse_salary(value: str) -> int:
    """A salary in a declaration file or form (mức lương): a positive whole number of đồng within
    ``MAX_AMOUNT_DONG`` (ansinh.core.money); beyond, the row is refused naming the field."""
    return check_amount(fields.parse_amount(value))


def parse_schemes(value: str) -> tuple[str, ...]:
    words = [w for w in re.split(r"[,;+/ ]+", name_key(value)) if w]
    unknown = [w for w in words if w not in SCHEME_WORDS]
    if unknown or not words:
        raise ValueError(f"schemes are BHXH, BHYT, BHTN (si, hi, ui), got {value!r}")
    return tuple(s for s in ("si", "hi", "ui") if s in {SCHEME_WORDS[w] for w in words})


def parse_kind(value: str) -> str:
    kind = KIND_LABELS.get(name_key(value))
    if kind is None:
        raise ValueError(
            f"unknown kind {value!r}; expected TM (join), GH (leave), DC (salary) or KL (unpaid leave)"
        )
    return kind


def _last_day(period: Period) -> date:
    return period.next().first_day - timedelta(days=1)


class DeclarationService:
    """Validates a batch of declarations for one employer and applies it (all or nothing)."""

    def __init__(self, session: Session, *, actor: str, source: str, scope: AreaScope | None = None) -> None:
        """``scope``: the officer's area; an employer outside it is refused as unknown (404-like: the
        officer does not learn that it exists). None for the office's own batch jobs."""
        self.session = session
        self.actor = actor
        self.source = source
        self.scope = scope
        self.params = get_parameters()

    def submit(self, employer_tax_code: str, items: list[DeclarationInput]) -> DeclarationReport:
        s = self.session
        report = DeclarationReport()
        query = select(Employer).where(Employer.tax_code == employer_tax_code.strip())
        if self.scope is not None:
            query = self.scope.apply(query, Employer.commune_code)
        employer = s.scalar(query)
        if employer is None:
            report.errors += [
                RowError(i.row, "employer", employer_tax_code, "unknown employer (tax code)") for i in items
            ] or [RowError(0, "employer", employer_tax_code, "unknown employer")]
            return report
        report.employer_id = employer.id
        people = PersonIndex(s, [i.person for i in items])
        keys = [i.key or i.content_key(employer.tax_code) for i in items]
        seen = set(s.scalars(select(Declaration.key).where(Declaration.key.in_(keys))))
        plan: list[tuple[DeclarationInput, int, str]] = []
        claimed: dict[tuple[int, str, int], int] = {}
        for item, key in zip(items, keys, strict=True):
            if key in seen:
                report.repeated += 1
                continue
            found, reason = people.find(item.person)
            if found is None:
                report.errors.append(RowError(item.row, "person", item.person.label(), reason))
                continue
            errors = self._check(employer, found["id"], item, claimed)
            report.errors += errors
            if not errors:
                plan.append((item, found["id"], key))
        if report.errors:
            return report
        now = datetime.now(UTC)
        for item, person_id, key in plan:
            self._apply(employer.id, person_id, item)
            s.add(
                Declaration(
                    employer_id=employer.id,
                    person_id=person_id,
                    kind=item.kind,
                    schemes=",".join(item.schemes),
                    from_period=str(item.from_period),
                    to_period=str(item.to_period) if item.to_period else None,
                    salary=item.salary,
                    source=self.source,
                    key=key,
                    declared_by=self.actor,
                    declared_at=now,
                )
            )
            report.applied += 1
        if plan:
            record(
                s,
                actor=self.actor,
                action="declare",
                entity="employer",
                entity_id=employer.id,
                detail={"source": self.source, "applied": report.applied, "repeated": report.repeated},
            )
        return report

    def _region(self, employer_id: int, at: date) -> int:
        r = EmployerRegion
        region = self.session.scalar(
            select(r.region)
            .where(
                r.employer_id == employer_id, r.valid_from <= at, or_(r.valid_to.is_(None), r.valid_to >= at)
            )
            .order_by(r.valid_from.desc())
        )
        return int(region or 1)

    def _spells(self, person_id: int, schemes: tuple[str, ...]) -> list[Participation]:
        p = Participation
        return list(
            self.session.scalars(
                select(p).where(p.person_id == person_id, p.scheme.in_(schemes), p.employer_id.is_not(None))
            )
        )

    def _check(
        self,
        employer: Employer,
        person_id: int,
        item: DeclarationInput,
        claimed: dict[tuple[int, str, int], int],
    ) -> list[RowError]:
        errors: list[RowError] = []
        start = item.from_period.first_day
        if item.kind in ("join", "salary"):
            if item.salary is None:
                errors.append(RowError(item.row, "salary", "", "required"))
            else:
                region = self._region(employer.id, start)
                minimum = self.params.dong_by_region("regional_minimum_wage", start)[region]
                if item.salary < minimum:
                    errors.append(
                        RowError(
                            item.row,
                            "salary",
                            f"{item.salary:,}",
                            f"below the region {region} minimum wage {minimum:,} in force in "
                            f"{item.from_period} (Labour Code 2019 Art. 90–91)",
                        )
                    )
        if item.to_period is not None and item.to_period < item.from_period:
            errors.append(RowError(item.row, "to_month", str(item.to_period), "ends before it starts"))
        spells = self._spells(person_id, item.schemes)
        mine_open = [
            p
            for p in spells
            if p.employer_id == employer.id
            and (p.valid_to is None or p.valid_to >= start)
            and p.valid_from < start
        ]
        if item.kind in ("leave", "salary") and not mine_open:
            errors.append(
                RowError(
                    item.row,
                    "from_month",
                    str(item.from_period),
                    "no spell of this employee with this employer is open before this month",
                )
            )
        if item.kind == "join":
            limits = self.params.integer_by_key("max_employers_per_scheme", start)
            end = _last_day(item.to_period) if item.to_period else date.max
            for scheme in item.schemes:
                others = {
                    p.employer_id
                    for p in spells
                    if p.scheme == scheme
                    and p.employer_id != employer.id
                    and p.valid_from <= end
                    and (p.valid_to is None or p.valid_to >= start)
                }
                mine = [
                    p
                    for p in spells
                    if p.scheme == scheme
                    and p.employer_id == employer.id
                    and p.valid_from <= end
                    and (p.valid_to is None or p.valid_to >= start)
                ]
                if mine:
                    errors.append(
                        RowError(
                            item.row,
                            "from_month",
                            str(item.from_period),
                            f"already declared by this employer for {scheme} in that period",
                        )
                    )
                elif len(others) + 1 > limits[scheme]:
                    errors.append(
                        RowError(
                            item.row,
                            "schemes",
                            scheme,
                            f"already declared for {scheme} by another employer in that period; "
                            f"the law allows {limits[scheme]} (first contract / highest salary)",
                        )
                    )
                key = (person_id, scheme, item.from_period.index)
                if key in claimed:
                    errors.append(
                        RowError(item.row, "schemes", scheme, f"same person and scheme as row {claimed[key]}")
                    )
                claimed.setdefault(key, item.row)
        return errors

    def _apply(self, employer_id: int, person_id: int, item: DeclarationInput) -> None:
        s = self.session
        start = item.from_period.first_day
        end = _last_day(item.to_period) if item.to_period else None
        if item.kind in ("leave", "salary"):
            schemes = item.schemes if item.kind == "leave" else tuple(x for x in item.schemes if x != "hi")
            for p in self._spells(person_id, schemes):
                if (
                    p.employer_id == employer_id
                    and (p.valid_to is None or p.valid_to >= start)
                    and p.valid_from < start
                ):
                    old = p.valid_to
                    p.valid_to = start - timedelta(days=1)
                    if item.kind == "salary":
                        s.add(
                            Participation(
                                person_id=person_id,
                                scheme=p.scheme,
                                valid_from=start,
                                valid_to=old,
                                employer_id=employer_id,
                                salary=item.salary,
                            )
                        )
        elif item.kind == "join":
            for scheme in item.schemes:
                s.add(
                    Participation(
                        person_id=person_id,
                        scheme=scheme,
                        valid_from=start,
                        valid_to=end,
                        employer_id=employer_id,
                        salary=item.salary if scheme != "hi" else None,
                        hi_group="DN" if scheme == "hi" else None,
                        hi_benefit_level=4 if scheme == "hi" else None,
                    )
                )
        s.flush()


# --- the .xlsx/.csv file ---------------------------------------------------------------------------

COLUMNS = (
    Column("personal_id", ("Số định danh", "Số định danh cá nhân", "Số CCCD", "CCCD")),
    Column("si_number", ("Mã số BHXH", "Mã BHXH", "Số sổ BHXH")),
    Column("full_name", ("Họ và tên", "Họ tên")),
    Column("salary", ("Mức lương", "Mức lương đóng", "Tiền lương đóng", "Tiền lương")),
    Column("from_month", ("Từ tháng", "Từ tháng năm"), required=True),
    Column("to_month", ("Đến tháng", "Đến tháng năm")),
    Column("schemes", ("Loại bảo hiểm", "Loại BH", "Đóng"), required=True),
    Column("kind", ("Phương án", "Loại kê khai")),
)


def parse_file(path: Path, data: bytes) -> tuple[list[DeclarationInput], list[RowError]]:
    """Rows of a declaration file (.xlsx or CSV) and the row errors (pure)."""
    table = find_table(read_rows(path, data), COLUMNS)
    mapping = map_headings(table.headings, COLUMNS)
    headings = {c.name: c.name for c in COLUMNS} | mapping.headings
    out: list[DeclarationInput] = []
    errors: list[RowError] = []
    for number, cells in table.rows:
        named = {c: cells[i] if i < len(cells) else "" for c, i in mapping.index.items()}
        item: Item[DeclarationInput] = Item(row=number, original=cells, cells=named)
        row = RowReader(item, headings)
        personal_id = row.parse("personal_id", fields.digits(12, "personal ID"))
        si_number = row.parse("si_number", fields.si_number)
        if not row.raw("personal_id") and not row.raw("si_number"):
            row.error("personal_id", "give the personal ID or the SI number")
        kind = row.parse("kind", parse_kind) or "join"
        salary = row.parse("salary", parse_salary, required=kind in ("join", "salary"))
        start = row.parse("from_month", lambda v: parse_period(v, "from_month"), required=True)
        end = row.parse("to_month", lambda v: parse_period(v, "to_month"))
        schemes = row.parse("schemes", parse_schemes, required=True)
        if item.errors or start is None or schemes is None:
            errors += item.errors
            continue
        out.append(
            DeclarationInput(
                number,
                kind,
                PersonRef(si_number, personal_id),
                schemes,
                start,
                end,
                salary,
                row.text("full_name"),
            )
        )
    return out, errors
