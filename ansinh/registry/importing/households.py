"""Households file (sổ theo dõi hộ gia đình): one row per member, as commune staff keep it.

Columns:

- ``household_code`` / "Mã hộ" (required), ``commune_code`` / "Mã xã" (required; must exist),
  ``address`` / "Địa chỉ" — household facts, repeated on each member row (they must agree)
- ``personal_id`` / "Số định danh" or ``si_number`` / "Mã số BHXH" — the member, who must already be
  in the registry (import persons first); leave both empty for a row that only declares the
  household or its poverty status
- ``relation_to_head`` / "Quan hệ với chủ hộ" (required with a member; at most one "Chủ hộ")
- ``poverty_year`` / "Năm" + ``poverty_status`` / "Hộ nghèo/cận nghèo" (poor, near_poor, none;
  "Hộ nghèo", "Hộ cận nghèo", "Không") — both or neither

Writing: the household is created or its commune/address updated; the member's household and
relation are set on the person; the poverty status for the year is stored (household_poverty).
A member already in another household is moved (audited), never duplicated.

Example::

    Mã hộ,Mã xã,Địa chỉ,Số định danh,Quan hệ với chủ hộ,Năm,Hộ nghèo/cận nghèo
    HGD-0001,18631,Thôn 3,042088001234,Chủ hộ,2025,Hộ cận nghèo
    HGD-0001,18631,Thôn 3,042190004321,Vợ,2025,Hộ cận nghèo
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from ansinh.registry.importing import fields
from ansinh.registry.importing.base import Column, Importer, Item, RowReader
from ansinh.registry.importing.lookup import PersonIndex, PersonRef, rows_where_in
from ansinh.registry.importing.persons import PERSON_ID_COLUMNS, RELATION
from ansinh.registry.importing.writing import audit_change, bulk_insert, bulk_update, diff
from ansinh.registry.models import Commune, Household, HouseholdPoverty, Person

# parsers built once: building a label table per row costs more than the row
POVERTY = fields.choice(fields.POVERTY_LABELS, "poverty status")


@dataclass
class HouseholdRow:
    code: str
    commune_code: str
    address: str | None
    member: PersonRef | None
    relation: str | None
    poverty_year: int | None
    poverty_status: str | None


class HouseholdsImporter(Importer[HouseholdRow]):
    kind = "households"
    columns = (
        Column("household_code", ("Mã hộ", "Mã hộ gia đình", "Số hộ khẩu"), required=True),
        Column("commune_code", ("Mã xã", "Mã xã/phường"), required=True),
        Column("address", ("Địa chỉ", "Địa chỉ hộ")),
        *PERSON_ID_COLUMNS,
        Column("relation_to_head", ("Quan hệ với chủ hộ", "Quan hệ chủ hộ", "Quan hệ")),
        Column("poverty_year", ("Năm", "Năm rà soát", "Năm xét duyệt")),
        Column("poverty_status", ("Hộ nghèo/cận nghèo", "Tình trạng nghèo", "Phân loại hộ", "Diện hộ")),
    )

    references: ClassVar[dict[str, tuple[Any, str]]] = {
        "commune_code": (Commune.code, "không có xã mã {value} (unknown commune)"),
    }

    def parse(self, row: RowReader) -> HouseholdRow | None:
        code = row.text("household_code", required=True, max_len=20)
        commune = row.parse("commune_code", fields.digits(5, "commune code"), required=True)
        address = row.text("address", max_len=200)
        personal_id = row.parse("personal_id", fields.digits(12, "personal ID"))
        si_number = row.parse("si_number", fields.si_number)
        member = PersonRef(si_number, personal_id) if personal_id or si_number else None
        relation = row.parse("relation_to_head", RELATION)
        has_member = bool(row.raw("personal_id") or row.raw("si_number"))
        if has_member and not row.raw("relation_to_head"):
            row.error("relation_to_head", "bắt buộc với thành viên hộ (required for a member)")
        if relation and not has_member:
            row.error("relation_to_head", "có quan hệ thì phải có thành viên (số định danh hoặc mã số BHXH) "
                      "(a relation needs a member: personal ID or SI number)")
        year = row.parse("poverty_year", fields.int_range(2000, self.today.year + 1, "year"))
        status = row.parse("poverty_status", POVERTY)
        if bool(row.raw("poverty_year")) != bool(row.raw("poverty_status")):
            missing = "poverty_status" if row.raw("poverty_year") else "poverty_year"
            row.error(missing, "hãy ghi cùng lúc năm và tình trạng nghèo (give the poverty year and status "
                               "together)")
        if row.item.errors:
            return None
        assert code is not None and commune is not None
        return HouseholdRow(code, commune, address, member, relation, year, status)

    def key(self, record: HouseholdRow) -> Hashable:
        if record.member is not None:
            return ("member", record.member)
        return ("household", record.code, record.poverty_year)

    def describe_key(self, record: HouseholdRow) -> tuple[str, str]:
        if record.member is not None:
            if record.member.si_number:
                return "si_number", record.member.si_number
            return "personal_id", record.member.personal_id or ""
        return "household_code", record.code

    def __init__(self, *, today: date | None = None) -> None:
        super().__init__(today=today)
        # kept across the batches of one import: household code → (first row, commune, address),
        # (code, year) → (row, poverty status), code → the head's row, person id → (code, row)
        self.first: dict[str, tuple[int, str, str | None]] = {}
        self.poverty_seen: dict[tuple[str, int], tuple[int, str]] = {}
        self.heads: dict[str, int] = {}
        self.member_of: dict[int, tuple[str, int]] = {}

    def check_file(self, items: Sequence[Item[HouseholdRow]]) -> None:
        """Household facts repeated on member rows must agree; one head per household."""
        first, poverty, heads = self.first, self.poverty_seen, self.heads
        for item in items:
            rec = item.record
            if rec is None:
                continue
            if rec.code in first:
                row0, commune0, address0 = first[rec.code]
                if rec.commune_code != commune0:
                    self.error(item, "commune_code", f"khác với dòng {row0} của cùng hộ (differs from row "
                                                     f"{row0} of this household)")
                if rec.address and address0 and rec.address != address0:
                    self.error(item, "address", f"khác với dòng {row0} của cùng hộ (differs from row {row0} "
                                                "of this household)")
            else:
                first[rec.code] = (item.row, rec.commune_code, rec.address)
            if rec.poverty_year is not None and rec.poverty_status is not None:
                seen = poverty.setdefault((rec.code, rec.poverty_year), (item.row, rec.poverty_status))
                if seen[1] != rec.poverty_status:
                    self.error(item, "poverty_status", f"khác với dòng {seen[0]} cho năm {rec.poverty_year} "
                                                       f"(differs from row {seen[0]} for {rec.poverty_year})")
            if rec.relation == "head":
                if rec.code in heads:
                    self.error(item, "relation_to_head", f"hộ đã có chủ hộ ở dòng {heads[rec.code]} (the "
                               f"household already has a head on row {heads[rec.code]})")
                else:
                    heads[rec.code] = item.row

    def resolve(self, session: Session, items: Sequence[Item[HouseholdRow]]) -> None:
        records = [(i, i.record) for i in items if i.record is not None]
        self.households = {r.code: r._asdict() for r in rows_where_in(
            session, (Household.id, Household.code, Household.commune_code, Household.address),
            Household.code, {r.code for _, r in records})}
        people = PersonIndex(session, [r.member for _, r in records if r.member is not None],
                             extra=(Person.household_id, Person.relation_to_head))
        self.poverty = {(r.household_id, r.year): r.status for r in rows_where_in(
            session, (HouseholdPoverty.household_id, HouseholdPoverty.year, HouseholdPoverty.status),
            HouseholdPoverty.household_id, {h["id"] for h in self.households.values()})}
        self.members: dict[int, dict[str, Any]] = {}
        member_of = self.member_of
        for item, rec in records:
            if rec.member is None:
                continue
            person, reason = people.find(rec.member)
            column = "si_number" if rec.member.si_number else "personal_id"
            if person is None:
                self.error(item, column, f"{reason}; hãy nhập danh sách người trước (import the persons "
                                         "first)")
                continue
            if person["id"] in member_of and member_of[person["id"]][0] != rec.code:
                code, row = member_of[person["id"]]
                self.error(item, column, f"người này đã có trong hộ {code} ở dòng {row} (the same person is "
                               f"listed in household {code} on row {row})")
            member_of.setdefault(person["id"], (rec.code, item.row))
            self.members[item.row] = person

    def apply(self, session: Session, items: Sequence[Item[HouseholdRow]], actor: str) -> None:
        new_codes: dict[str, dict[str, Any]] = {}
        household_updates: dict[int, dict[str, Any]] = {}
        touched: dict[int, bool] = {}
        for item in items:
            rec = item.record
            assert rec is not None
            stored = self.households.get(rec.code)
            if stored is None:
                new = new_codes.setdefault(rec.code, {"code": rec.code, "commune_code": rec.commune_code,
                                                      "address": None})
                new["address"] = new["address"] or rec.address
                continue
            changes = diff(stored, {"commune_code": rec.commune_code, "address": rec.address})
            if changes and stored["id"] not in household_updates:
                values = {k: v for k, (_o, v) in changes.items()}
                household_updates[stored["id"]] = {"id": stored["id"], **values}
                audit_change(session, actor=actor, entity="household", entity_id=stored["id"],
                             changes=changes, source=self.source)
                touched[item.row] = True
        bulk_insert(session, Household, list(new_codes.values()))
        bulk_update(session, Household, list(household_updates.values()))
        ids = {h["code"]: h["id"] for h in self.households.values()}
        ids.update({r.code: r.id for r in rows_where_in(session, (Household.code, Household.id),
                                                        Household.code, new_codes)})

        poverty_new: list[dict[str, Any]] = []
        poverty_upd: list[dict[str, Any]] = []
        person_upd: list[dict[str, Any]] = []
        for item in items:
            rec = item.record
            assert rec is not None
            household_id = ids[rec.code]
            if rec.poverty_year is not None and rec.poverty_status is not None:
                key = (household_id, rec.poverty_year)
                old = self.poverty.get(key)
                if old is None:
                    poverty_new.append({"household_id": household_id, "year": rec.poverty_year,
                                        "status": rec.poverty_status})
                    self.poverty[key] = rec.poverty_status
                    touched[item.row] = True
                elif old != rec.poverty_status:
                    poverty_upd.append({"household_id": household_id, "year": rec.poverty_year,
                                        "status": rec.poverty_status})
                    audit_change(session, actor=actor, entity="household", entity_id=household_id,
                                 changes={f"poverty_{rec.poverty_year}": (old, rec.poverty_status)},
                                 source=self.source)
                    self.poverty[key] = rec.poverty_status
                    touched[item.row] = True
            person = self.members.get(item.row)
            if person is not None:
                changes = diff(person, {"household_id": household_id, "relation_to_head": rec.relation})
                if changes:
                    person_upd.append({"id": person["id"], **{k: v for k, (_o, v) in changes.items()}})
                    audit_change(session, actor=actor, entity="person", entity_id=person["id"],
                                 changes=changes, source=self.source)
                    touched[item.row] = True
            if rec.code in new_codes:
                item.outcome = "inserted"
            else:
                item.outcome = "updated" if touched.get(item.row) else "unchanged"
        bulk_insert(session, HouseholdPoverty, poverty_new)
        bulk_update(session, HouseholdPoverty, poverty_upd)
        bulk_update(session, Person, person_upd)
