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
leaving or changing a salary without an open spell; the same declaration twice in one file or
request; the same person joined to one scheme twice for overlapping months in one file (an employer
holds one spell per person and scheme at a time, as above).

A declaration whose key was seen before is not applied again (payroll software may resend).

A file is read in batches (:func:`import_declarations`): checked whole first, then applied, in one
transaction, so that memory does not grow with the file and a bad row anywhere writes nothing.

The .xlsx layout employers already use: one row per employee with "Số định danh" / "Mã số BHXH",
"Họ và tên", "Mức lương", "Từ tháng", "Đến tháng", "Loại bảo hiểm" (e.g. "BHXH, BHYT, BHTN") and
optionally "Phương án" (TM tăng mới, GH giảm, DC điều chỉnh lương, KL nghỉ không lương).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ansinh.core.audit import record
from ansinh.core.money import check_amount
from ansinh.core.scope import AreaScope
from ansinh.core.text import name_key
from ansinh.law.parameters import get_parameters
from ansinh.law.periods import Period, period_error
from ansinh.ledger.models import Declaration
from ansinh.ledger.streaming import NO_ROW, ErrorTally, KeyIndex, TableFile
from ansinh.registry.importing import fields
from ansinh.registry.importing.base import Column, ImportFileError, Item, RowError, RowReader
from ansinh.registry.importing.lookup import PersonIndex, PersonRef, chunks, rows_where_in
from ansinh.registry.importing.writing import bulk_insert
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
    #: The first :data:`~ansinh.registry.importing.base.MAX_ERRORS_KEPT` errors, in row order.
    errors: list[RowError] = field(default_factory=list)
    #: Every error found (``errors`` may keep fewer).
    error_count: int = 0
    #: Data rows of a file (:func:`import_declarations`).
    rows_total: int = 0
    #: The errors are cells of the file that cannot be read (the rows were not checked further).
    unreadable: bool = False

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


class _FileChecks:
    """What the checks of one submission keep from one batch to the next, compact
    (:class:`~ansinh.ledger.streaming.KeyIndex`: a 64-bit hash and a row number per entry)."""

    def __init__(self) -> None:
        #: declaration keys met in the file: the same declaration twice is refused
        self.keys = KeyIndex()
        #: (person, scheme) and the months each ``join`` row claims: two rows may not overlap
        self.claims = KeyIndex(spans=True)


@dataclass
class _Spell:
    """An employer spell (``participations`` row) as the checks and changes of one batch see it:
    a stored one (``id``), or one this batch opens (``id`` None, inserted at the end of the batch)."""

    person_id: int
    scheme: str
    valid_from: date
    valid_to: date | None
    employer_id: int | None
    salary: int | None = None
    hi_group: str | None = None
    hi_benefit_level: int | None = None
    id: int | None = None
    #: ``valid_to`` set by this batch (a stored spell to update)
    closed: bool = False

    def row(self) -> dict[str, object]:
        """The columns of a spell to insert."""
        return {
            "person_id": self.person_id,
            "scheme": self.scheme,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "employer_id": self.employer_id,
            "salary": self.salary,
            "hi_group": self.hi_group,
            "hi_benefit_level": self.hi_benefit_level,
        }


#: The last month of an open-ended ``join`` (no "to month") in the overlap check.
_OPEN_END = 2**31 - 1
#: (the declared line, person id, its idempotency key): a line checked and ready to apply.
Planned = tuple[DeclarationInput, int, str]


class DeclarationService:
    """Validates a batch of declarations for one employer and applies it (all or nothing).

    :meth:`submit` takes a list (a form, the JSON API: bounded by the request body);
    :func:`import_declarations` streams a file through :meth:`check_batch` then :meth:`apply_batch`,
    batch by batch, in the same transaction."""

    def __init__(self, session: Session, *, actor: str, source: str, scope: AreaScope | None = None) -> None:
        """``scope``: the officer's area; an employer outside it is refused as unknown (404-like: the
        officer does not learn that it exists). None for the office's own batch jobs."""
        self.session = session
        self.actor = actor
        self.source = source
        self.scope = scope
        self.params = get_parameters()
        self._regions: dict[int, list[tuple[date, date | None, int]]] = {}

    def find_employer(self, employer_tax_code: str) -> Employer | None:
        """The employer with this tax code, within the officer's area (None when unknown or outside)."""
        query = select(Employer).where(Employer.tax_code == employer_tax_code.strip())
        if self.scope is not None:
            query = self.scope.apply(query, Employer.commune_code)
        return self.session.scalar(query)

    def submit(self, employer_tax_code: str, items: list[DeclarationInput]) -> DeclarationReport:
        report = DeclarationReport()
        employer = self.find_employer(employer_tax_code)
        if employer is None:
            report.errors = unknown_employer(employer_tax_code, items) or [
                RowError(0, "employer", employer_tax_code, "unknown employer")
            ]
            report.error_count = len(report.errors)
            return report
        report.employer_id = employer.id
        plan, errors, report.repeated = self.check_batch(employer, items, _FileChecks())
        if errors:
            report.errors, report.error_count = errors, len(errors)
            return report
        report.applied = self.apply_batch(employer, plan)
        if plan:
            self.audit(employer, report)
        return report

    def audit(self, employer: Employer, report: DeclarationReport, **detail: object) -> None:
        """The audit entry of one submission (a form, an API call, a whole file)."""
        record(
            self.session,
            actor=self.actor,
            action="declare",
            entity="employer",
            entity_id=employer.id,
            detail={"source": self.source, "applied": report.applied, "repeated": report.repeated} | detail,
        )

    def _resolve(
        self, employer: Employer, items: Sequence[DeclarationInput]
    ) -> tuple[list[str], set[str], PersonIndex]:
        """The items' keys, those already stored (declared before), and their persons, in bulk."""
        keys = [i.key or i.content_key(employer.tax_code) for i in items]
        stored = {r[0] for r in rows_where_in(self.session, (Declaration.key,), Declaration.key, keys)}
        return keys, stored, PersonIndex(self.session, [i.person for i in items])

    def check_batch(
        self, employer: Employer, items: Sequence[DeclarationInput], state: _FileChecks
    ) -> tuple[list[Planned], list[RowError], int]:
        """Check one batch against the registry as it is, without writing: (the lines to apply, the
        errors in row order, how many were declared before). ``state`` carries the checks across
        the batches of one file."""
        keys, stored, people = self._resolve(employer, items)
        fresh = [(item, key) for item, key in zip(items, keys, strict=True) if key not in stored]
        again = state.keys.check([(key, item.row, 0, 0) for item, key in fresh])
        found: list[tuple[DeclarationInput, str, dict[str, object] | None, str]] = []
        errors_of: dict[int, list[RowError]] = {}
        for (item, key), first in zip(fresh, again, strict=True):
            if first != NO_ROW:
                column, value = ("key", item.key) if item.key else ("person", item.person.label())
                errors_of[id(item)] = [
                    RowError(
                        item.row,
                        column,
                        value,
                        f"trùng với dòng {first}: cùng một kê khai (duplicate of row {first}: the same "
                        "declaration)",
                    )
                ]
                continue
            person, reason = people.find(item.person)
            found.append((item, key, person, reason))
        spells = self._spells_of({int(str(p["id"])) for _i, _k, p, _r in found if p is not None})
        claims = self._claims(
            [(item, int(str(p["id"]))) for item, _k, p, _r in found if p is not None], state.claims
        )
        plan: list[Planned] = []
        for item, key, person, reason in found:
            if person is None:
                errors_of[id(item)] = [RowError(item.row, "person", item.person.label(), reason)]
                continue
            person_id = int(str(person["id"]))
            errors = self._check(employer, item, spells.get(person_id, []), claims.get(id(item), {}))
            if errors:
                errors_of[id(item)] = errors
            else:
                plan.append((item, person_id, key))
        errors = [e for item in items for e in errors_of.get(id(item), ())]
        return plan, errors, len(items) - len(fresh)

    def plan_batch(self, employer: Employer, items: Sequence[DeclarationInput]) -> tuple[list[Planned], int]:
        """The lines of a batch already checked (the second pass of a file): (those to apply, how many
        were declared before). Raises :class:`ImportFileError` if a person is no longer found."""
        keys, stored, people = self._resolve(employer, items)
        plan: list[Planned] = []
        for item, key in zip(items, keys, strict=True):
            if key in stored:
                continue
            person, _reason = people.find(item.person)
            if person is None:
                raise ImportFileError(CHANGED)
            plan.append((item, int(str(person["id"])), key))
        return plan, len(items) - len(plan)

    def apply_batch(self, employer: Employer, plan: Sequence[Planned]) -> int:
        """Write the checked lines, in order (a later line of the same person sees the spells the
        earlier one opened or closed), and their ``declarations`` records, in bulk: one UPDATE of
        the spells closed, one INSERT of the spells opened and one of the records (executemany).
        Returns how many were applied."""
        if not plan:
            return 0
        spells = self._spells_of({person_id for _item, person_id, _key in plan})
        for item, person_id, _key in plan:
            self._apply(employer.id, person_id, item, spells.setdefault(person_id, []))
        every = [spell for person in spells.values() for spell in person]
        closed = [{"id": p.id, "valid_to": p.valid_to} for p in every if p.id is not None and p.closed]
        opened = [p.row() for p in every if p.id is None]
        now = datetime.now(UTC)
        records = [
            {
                "employer_id": employer.id,
                "person_id": person_id,
                "kind": item.kind,
                "schemes": ",".join(item.schemes),
                "from_period": str(item.from_period),
                "to_period": str(item.to_period) if item.to_period else None,
                "salary": item.salary,
                "source": self.source,
                "key": key,
                "declared_by": self.actor,
                "declared_at": now,
            }
            for item, person_id, key in plan
        ]
        if closed:
            self.session.execute(update(Participation), closed)  # by primary key
        bulk_insert(self.session, Participation, opened)
        bulk_insert(self.session, Declaration, records)
        return len(plan)

    def _region(self, employer_id: int, at: date) -> int:
        """The employer's minimum-wage region in force on ``at`` (the latest one starting by then)."""
        regions = self._regions.get(employer_id)
        if regions is None:
            r = EmployerRegion
            regions = [
                (row.valid_from, row.valid_to, row.region)
                for row in self.session.execute(
                    select(r.valid_from, r.valid_to, r.region)
                    .where(r.employer_id == employer_id)
                    .order_by(r.valid_from.desc())
                )
            ]
            self._regions[employer_id] = regions
        for valid_from, valid_to, region in regions:
            if valid_from <= at and (valid_to is None or valid_to >= at):
                return int(region or 1)
        return 1

    def _spells_of(self, person_ids: set[int]) -> dict[int, list[_Spell]]:
        """Every employer spell (any scheme, any employer) of these persons, in bulk."""
        p = Participation
        out: dict[int, list[_Spell]] = {}
        for part in chunks(sorted(person_ids)):
            rows = self.session.execute(
                select(p.id, p.person_id, p.scheme, p.valid_from, p.valid_to, p.employer_id).where(
                    p.person_id.in_(part), p.employer_id.is_not(None)
                )
            )
            for row in rows:
                spell = _Spell(
                    row.person_id, row.scheme, row.valid_from, row.valid_to, row.employer_id, id=row.id
                )
                out.setdefault(row.person_id, []).append(spell)
        return out

    @staticmethod
    def _claims(joins: Sequence[tuple[DeclarationInput, int]], index: KeyIndex) -> dict[int, dict[str, int]]:
        """For each ``join`` line: scheme → the earlier row of the file that joined the same person
        to the same scheme for overlapping months (the line would open a second spell)."""
        entries: list[tuple[str, int, int, int]] = []
        owners: list[tuple[int, str]] = []
        for item, person_id in joins:
            if item.kind != "join":
                continue
            first = item.from_period.index
            last = item.to_period.index if item.to_period else _OPEN_END
            for scheme in item.schemes:
                entries.append((f"{person_id}|{scheme}", item.row, first, max(first, last)))
                owners.append((id(item), scheme))
        out: dict[int, dict[str, int]] = {}
        for (owner, scheme), row in zip(owners, index.check(entries), strict=True):
            if row != NO_ROW:
                out.setdefault(owner, {})[scheme] = row
        return out

    def _check(
        self,
        employer: Employer,
        item: DeclarationInput,
        person_spells: list[_Spell],
        claimed: dict[str, int],
    ) -> list[RowError]:
        """The refusals of one line against the registry (``person_spells``) and the earlier rows
        of the file (``claimed``: scheme → row)."""
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
        spells = [p for p in person_spells if p.scheme in item.schemes]
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
                if scheme in claimed:
                    reason = f"same person and scheme as row {claimed[scheme]}"
                    errors.append(RowError(item.row, "schemes", scheme, reason))
        return errors

    @staticmethod
    def _apply(employer_id: int, person_id: int, item: DeclarationInput, person_spells: list[_Spell]) -> None:
        """Change the person's spells for one line, in memory: ``person_spells`` (every employer
        spell of the person) has the spells it closes marked and gains those it opens."""
        start = item.from_period.first_day
        end = _last_day(item.to_period) if item.to_period else None
        opened: list[_Spell] = []
        if item.kind in ("leave", "salary"):
            schemes = item.schemes if item.kind == "leave" else tuple(x for x in item.schemes if x != "hi")
            for p in [p for p in person_spells if p.scheme in schemes]:
                if (
                    p.employer_id == employer_id
                    and (p.valid_to is None or p.valid_to >= start)
                    and p.valid_from < start
                ):
                    old = p.valid_to
                    p.valid_to = start - timedelta(days=1)
                    p.closed = True
                    if item.kind == "salary":
                        opened.append(
                            _Spell(person_id, p.scheme, start, old, employer_id, salary=item.salary)
                        )
        elif item.kind == "join":
            for scheme in item.schemes:
                opened.append(
                    _Spell(
                        person_id,
                        scheme,
                        start,
                        end,
                        employer_id,
                        salary=item.salary if scheme != "hi" else None,
                        hi_group="DN" if scheme == "hi" else None,
                        hi_benefit_level=4 if scheme == "hi" else None,
                    )
                )
        person_spells.extend(opened)


def unknown_employer(employer_tax_code: str, items: Iterable[DeclarationInput]) -> list[RowError]:
    """One error per line when the tax code names no employer (within the officer's area)."""
    return [RowError(i.row, "employer", employer_tax_code, "unknown employer (tax code)") for i in items]


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
#: Rows of a file read, checked (then, in the second pass, applied) at a time.
BATCH_ROWS = 5_000
CHANGED = (
    "tệp hoặc dữ liệu kê khai đã thay đổi trong khi nhập (the file or the declarations changed during "
    "the import); không có gì được ghi, hãy nhập lại (nothing was written; import it again)"
)


def _read_row(item: Item[DeclarationInput], headings: dict[str, str]) -> DeclarationInput | None:
    """One row of a declaration file (pure): the declared line, or None with the row's errors (each
    naming the column as the file heads it)."""
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
        return None
    return DeclarationInput(
        item.row, kind, PersonRef(si_number, personal_id), schemes, start, end, salary, row.text("full_name")
    )


def _read_batch(
    table: TableFile, batch: Sequence[Item[DeclarationInput]], tally: ErrorTally
) -> list[DeclarationInput]:
    """The declared lines of one batch; the rows that cannot be read go to ``tally``."""
    out: list[DeclarationInput] = []
    for item in batch:
        line = _read_row(item, table.headings)
        if line is None:
            tally.add_row(item.errors)
        else:
            out.append(line)
    return out


def parse_file(path: Path, data: bytes) -> tuple[list[DeclarationInput], list[RowError]]:
    """Rows of a small declaration file already in memory (.xlsx or CSV) and the row errors (pure);
    :func:`import_declarations` streams a file instead."""
    table = TableFile(path, data, COLUMNS)
    tally = ErrorTally(limit=2**62)
    return _read_batch(table, list(table.items()), tally), tally.kept


def _fingerprint(digest: Any, plan: Sequence[Planned]) -> None:
    for item, person_id, key in plan:
        digest.update(f"{item.row}|{person_id}|{key}\n".encode())


def import_declarations(
    session: Session,
    employer_tax_code: str,
    path: Path,
    data: bytes | None = None,
    *,
    actor: str,
    source: str = "xlsx",
    scope: AreaScope | None = None,
    batch_rows: int = BATCH_ROWS,
) -> DeclarationReport:
    """Apply an employer's declaration file (the file at ``path``, or its bytes ``data``: an upload),
    ``batch_rows`` rows at a time so that memory does not grow with the file, all or nothing.

    Two passes in the caller's transaction (``session``; the caller commits):

    1. *checking* (kiểm tra), reads only: each batch is parsed, then checked against the registry
       as it stands and against the earlier rows of the file (the same declaration twice, the same
       person joined twice to a scheme for overlapping months — compact state,
       :class:`_FileChecks`). A row that cannot be read stops the checks against the registry (as
       for a file read whole: those errors come first, ``report.unreadable``); every row is still
       read so that every such error is counted.
    2. *applying* (ghi), only when no row was refused: the file is read again and each batch is
       applied in file order, then one audit entry for the file.

    Why check everything before writing anything: the checks read the registry (open spells,
    earlier declarations), and a row must be judged against the registry as it was before the
    file — had an earlier batch already been applied, the answer for a row would depend on the
    batch size. The second pass repeats no check; it refuses (:class:`ImportFileError`, after
    rolling ``session`` back) a file whose lines to apply differ from those checked — the file,
    or a concurrent declaration, changed meanwhile.

    The report keeps the first :data:`~ansinh.registry.importing.base.MAX_ERRORS_KEPT` errors and
    counts all of them (``error_count``).
    """
    path = Path(path)
    table = TableFile(path, data, COLUMNS)
    service = DeclarationService(session, actor=actor, source=source, scope=scope)
    report = DeclarationReport()
    employer = service.find_employer(employer_tax_code)
    unreadable, refused = ErrorTally(), ErrorTally()
    state = _FileChecks()
    checked = hashlib.blake2b(digest_size=16)
    for batch in table.batches(batch_rows):
        lines = _read_batch(table, batch, unreadable)
        report.rows_total += len(batch)
        if unreadable.count:
            continue
        if employer is None:
            refused.add(unknown_employer(employer_tax_code, lines))
            continue
        plan, errors, _repeated = service.check_batch(employer, lines, state)
        refused.add(errors)
        _fingerprint(checked, plan)
    if employer is None and not report.rows_total:
        refused.add([RowError(0, "employer", employer_tax_code, "unknown employer")])
    report.employer_id = employer.id if employer is not None else None
    if unreadable.count or refused.count:
        tally = unreadable if unreadable.count else refused
        report.errors, report.error_count, report.unreadable = tally.kept, tally.count, bool(unreadable.count)
        return report
    assert employer is not None
    applied = hashlib.blake2b(digest_size=16)
    try:
        for batch in table.batches(batch_rows):
            stray = ErrorTally()
            lines = _read_batch(table, batch, stray)
            if stray.count:
                raise ImportFileError(CHANGED)
            plan, repeated = service.plan_batch(employer, lines)
            report.repeated += repeated
            report.applied += service.apply_batch(employer, plan)
            _fingerprint(applied, plan)
        if applied.digest() != checked.digest():
            raise ImportFileError(CHANGED)
        if report.applied:
            service.audit(employer, report, file=path.name[:100], rows=report.rows_total)
    except BaseException:
        session.rollback()
        report.applied = report.repeated = 0
        raise
    return report
