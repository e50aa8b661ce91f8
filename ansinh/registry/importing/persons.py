"""Persons file (danh sách người tham gia): one row per person.

Columns (English name / Vietnamese headings accepted):

- ``personal_id`` / "Số định danh", "Số CCCD", "CCCD" — 12 digits, digit 4 consistent with birth
  year and gender, digits 5–6 with the birth year
- ``si_number`` / "Mã số BHXH" — 10 digits, opaque (format the column as Text in Excel)
- ``full_name`` / "Họ và tên" (required), ``birth_date`` / "Ngày sinh" (required; dd/mm/yyyy or
  yyyy-mm-dd), ``gender`` / "Giới tính" (required; Nam/Nữ, male/female)
- ``commune_code`` / "Mã xã" (required; must exist), ``household_code`` / "Mã hộ" (must exist),
  ``relation_to_head`` / "Quan hệ với chủ hộ" (Chủ hộ, Vợ, Chồng, Con, …)
- ``ethnicity`` / "Dân tộc" (code 01–54 or name), ``phone`` / "Số điện thoại", ``death_date`` / "Ngày mất"

At least one of personal ID and SI number per row. Matching (the natural key): the SI number when
given; otherwise the personal ID if exactly one live record has it (a row with a new SI number also
takes over a single record that has the personal ID and no SI number yet). An empty cell means
"not given": it never erases a stored value.

Example (CSV, UTF-8)::

    Số định danh,Mã số BHXH,Họ và tên,Ngày sinh,Giới tính,Mã xã
    042088001234,4201234567,Nguyễn Văn An,05/01/1988,Nam,18631
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ansinh.core.text import name_key
from ansinh.registry.identifiers import InvalidIdentifier, validate_personal_id
from ansinh.registry.importing import fields
from ansinh.registry.importing.base import Column, Importer, Item, RowReader
from ansinh.registry.importing.lookup import rows_where_in, several_with_personal_id
from ansinh.registry.importing.writing import audit_change, bulk_insert, bulk_update, diff
from ansinh.registry.models import Commune, Household, Person

RELATION = fields.choice(fields.RELATION_LABELS, "relation to the head")
PERSON_ID_COLUMNS = (
    Column("personal_id", ("Số định danh", "Số định danh cá nhân", "Số CCCD", "CCCD", "Số CCCD/CC")),
    Column("si_number", ("Mã số BHXH", "Mã BHXH", "Số sổ BHXH")),
)

# names repeat (a few thousand family + middle + given names make most of a province): keyed once
_name_key = lru_cache(maxsize=1 << 16)(name_key)

UNKNOWN_HOUSEHOLD = ("không có hộ mã {value}; hãy nhập danh sách hộ trước (unknown household; import the "
                     "households first)")
GIVE_AN_ID = "hãy ghi số định danh hoặc mã số BHXH (give the personal ID or the SI number)"
# parsers built once: building a label table per row costs more than the row
GENDER = fields.choice(fields.GENDER_LABELS, "gender")


@dataclass
class PersonRecord:
    personal_id: str | None
    si_number: str | None
    full_name: str
    birth_date: date
    gender: str
    commune_code: str
    household_code: str | None
    relation_to_head: str | None
    ethnicity: str | None
    phone: str | None
    death_date: date | None


def parse_personal_id(row: RowReader, birth: date | None, gender: str | None) -> str | None:
    raw = row.raw("personal_id")
    if not raw:
        return None
    try:
        return validate_personal_id(raw, birth_date=birth, gender=gender)
    except InvalidIdentifier as exc:
        hint = fields.ZERO_HINT if raw.isascii() and raw.isdigit() and len(raw) < 12 else ""
        row.error("personal_id", f"{exc}{hint}")
        return None


class PersonsImporter(Importer[PersonRecord]):
    kind = "persons"
    columns = (
        *PERSON_ID_COLUMNS,
        Column("full_name", ("Họ và tên", "Họ tên", "Tên"), required=True),
        Column("birth_date", ("Ngày sinh", "Ngày tháng năm sinh"), required=True),
        Column("gender", ("Giới tính",), required=True),
        Column("commune_code", ("Mã xã", "Mã xã/phường", "Mã đơn vị hành chính"), required=True),
        Column("household_code", ("Mã hộ", "Mã hộ gia đình", "Số hộ khẩu")),
        Column("relation_to_head", ("Quan hệ với chủ hộ", "Quan hệ chủ hộ", "Quan hệ")),
        Column("ethnicity", ("Dân tộc",)),
        Column("phone", ("Số điện thoại", "Điện thoại", "SĐT")),
        Column("death_date", ("Ngày mất", "Ngày chết", "Ngày tử vong")),
    )

    references: ClassVar[dict[str, tuple[Any, str]]] = {
        "commune_code": (Commune.code, "không có xã mã {value} (unknown commune)"),
        "household_code": (Household.code, UNKNOWN_HOUSEHOLD),
    }

    deferred_indexes = ("persons", ("ix_persons_name_key", "ix_persons_commune_code",
                                    "ix_persons_household_id", "ix_persons_merged_into_id"))
    row_bytes = 90

    def __init__(self, *, today: date | None = None) -> None:
        super().__init__(today=today)
        #: stored person id → the row that names it, across the batches of one import
        self.claimed: dict[int, int] = {}
        #: live records without an SI number (counted once, then kept up to date by :meth:`apply`)
        self.without_si: int | None = None

    def check_columns(self, present: set[str]) -> list[str]:
        if not present & {"personal_id", "si_number"}:
            return ["the file needs a personal ID column (Số định danh) or an SI number column (Mã số BHXH)"]
        return []

    def parse(self, row: RowReader) -> PersonRecord | None:
        si_number = row.parse("si_number", fields.si_number)
        full_name = row.text("full_name", required=True, max_len=100)
        birth = row.date("birth_date", required=True)
        gender = row.parse("gender", GENDER, required=True)
        personal_id = parse_personal_id(row, birth, gender)
        if not row.raw("personal_id") and not row.raw("si_number"):
            row.error("personal_id", GIVE_AN_ID)
        if birth is not None:
            if birth > self.today:
                row.error("birth_date", "ngày sinh ở tương lai (birth date is in the future)")
            elif birth.year < 1900:
                row.error("birth_date", "ngày sinh trước năm 1900 (birth date is before 1900)")
        death = row.date("death_date")
        if death is not None:
            if birth is not None and death < birth:
                row.error("death_date", "ngày mất trước ngày sinh (death date is before the birth date)")
            if death > self.today:
                row.error("death_date", "ngày mất ở tương lai (death date is in the future)")
        commune = row.parse("commune_code", fields.digits(5, "commune code"), required=True)
        household = row.text("household_code", max_len=20)
        relation = row.parse("relation_to_head", RELATION)
        if relation and not household:
            row.error("relation_to_head", "có quan hệ với chủ hộ thì phải có mã hộ (a relation to the head "
                      "needs a household code)")
        ethnicity = row.parse("ethnicity", fields.ethnicity)
        phone = row.parse("phone", fields.phone)
        if row.item.errors:
            return None
        assert full_name is not None and birth is not None and gender is not None and commune is not None
        return PersonRecord(personal_id, si_number, full_name, birth, gender, commune, household, relation,
                            ethnicity, phone, death)

    def key(self, record: PersonRecord) -> Hashable:
        return ("si", record.si_number) if record.si_number else ("pid", record.personal_id)

    def describe_key(self, record: PersonRecord) -> tuple[str, str]:
        if record.si_number:
            return "si_number", record.si_number
        return "personal_id", record.personal_id or ""

    # --- database ----------------------------------------------------------------------------

    def resolve(self, session: Session, items: Sequence[Item[PersonRecord]]) -> None:
        records = [(i, i.record) for i in items if i.record is not None]
        households = {r.code: r.id for r in rows_where_in(
            session, (Household.code, Household.id), Household.code,
            {r.household_code for _, r in records if r.household_code})}
        stored_cols = [Person.id, Person.merged_into_id, Person.household_id,
                       *(getattr(Person, f) for f in _COMPARED)]
        by_si = {r.si_number: r._asdict() for r in rows_where_in(
            session, stored_cols, Person.si_number, {r.si_number for _, r in records if r.si_number})}
        by_pid: dict[str, list[dict[str, Any]]] = {}
        # a row with an SI number that is not stored can only take over a record WITHOUT an SI
        # number: when the registry has none (a fresh load, a well-kept register), such rows need
        # no look-up by personal ID
        if self.without_si is None:
            self.without_si = int(session.scalar(select(func.count()).select_from(Person).where(
                Person.si_number.is_(None), Person.merged_into_id.is_(None))) or 0)
        pids = {r.personal_id for _, r in records if r.personal_id
                and (not r.si_number or (self.without_si and r.si_number not in by_si))}
        for r in rows_where_in(session, stored_cols, Person.personal_id, pids):
            if r.merged_into_id is None:
                by_pid.setdefault(r.personal_id, []).append(r._asdict())

        self.plan: dict[int, tuple[dict[str, Any] | None, dict[str, Any]]] = {}
        claimed = self.claimed
        for item, rec in records:
            household_id = None
            if rec.household_code:
                household_id = households.get(rec.household_code)
                if household_id is None:
                    self.error(item, "household_code", UNKNOWN_HOUSEHOLD.format(value=rec.household_code))
            target = by_si.get(rec.si_number) if rec.si_number else None
            if target is None and rec.personal_id:
                candidates = by_pid.get(rec.personal_id, [])
                if rec.si_number:
                    candidates = [c for c in candidates if c["si_number"] is None]
                if len(candidates) == 1:
                    target = candidates[0]
                elif len(candidates) > 1:
                    self.error(item, "personal_id", several_with_personal_id(len(candidates)))
            if target is not None:
                if target["id"] in claimed:
                    self.error(item, "personal_id" if not rec.si_number else "si_number",
                               f"cùng một người với dòng {claimed[target['id']]} (same person as row "
                               f"{claimed[target['id']]})")
                claimed[target["id"]] = item.row
            wanted = {k: v for k, v in vars(rec).items() if k != "household_code"}
            wanted["household_id"] = household_id
            self.plan[item.row] = (target, wanted)

    def apply(self, session: Session, items: Sequence[Item[PersonRecord]], actor: str) -> None:
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for item in items:
            target, wanted = self.plan[item.row]
            if target is None:
                inserts.append({**wanted, "name_key": _name_key(wanted["full_name"])})
                item.outcome = "inserted"
                continue
            changes = diff(target, wanted)
            if not changes:
                item.outcome = "unchanged"
                continue
            values = {k: new for k, (_old, new) in changes.items()}
            if "full_name" in values:
                values["name_key"] = name_key(values["full_name"])
            updates.append({"id": target["id"], **values})
            audit_change(session, actor=actor, entity="person", entity_id=target["id"], changes=changes,
                         source=self.source)
            item.outcome = "updated"
        self.without_si = (self.without_si or 0) + sum(1 for r in inserts if not r["si_number"])
        bulk_insert(session, Person, inserts)
        bulk_update(session, Person, updates)


_COMPARED = ("personal_id", "si_number", "full_name", "birth_date", "gender", "commune_code",
             "relation_to_head", "ethnicity", "phone", "death_date")
