"""Participation file (quá trình tham gia): one row per spell of one person in one scheme.

Columns:

- the person: ``personal_id`` / "Số định danh" and/or ``si_number`` / "Mã số BHXH" (must exist)
- ``scheme`` / "Loại hình" (required; si, vsi, hi, ui or "BHXH bắt buộc", "BHXH tự nguyện", "BHYT",
  "BHTN"), ``valid_from`` / "Từ ngày" (required), ``valid_to`` / "Đến ngày" (≥ valid_from)
- si, ui: ``employer_tax_code`` / "Mã số thuế đơn vị" (must exist) and ``salary`` / "Mức lương đóng"
  (positive whole đồng), both required
- vsi: ``income`` / "Mức thu nhập" (required), ``support_group`` / "Nhóm hỗ trợ" (Hộ nghèo, Hộ cận
  nghèo, Dân tộc thiểu số, Khác)
- hi: ``hi_group`` / "Mã đối tượng" (2 letters), ``hi_benefit_level`` / "Mức hưởng" (1–5),
  ``hi_facility`` / "Nơi ĐKKCB" (5 digits), ``hi_card_number`` / "Mã thẻ BHYT" (15 characters; its
  group and benefit digit must equal the columns, its last 10 digits the person's SI number).
  Group and benefit level may be left empty when the card number is given: they are read from it.
  For hi, valid_from/valid_to are the card's validity.

Columns of another scheme must be empty on a row (a salary on a BHYT row is a mistake, not data).
The natural key is (person, scheme, valid_from): a row with the same key updates that spell.

Example::

    Mã số BHXH,Loại hình,Từ ngày,Đến ngày,Mã thẻ BHYT,Nơi ĐKKCB
    4201234567,BHYT,01/01/2025,31/12/2025,GD4424201234567,42001
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from ansinh.registry.identifiers import InvalidIdentifier, validate_hi_card
from ansinh.registry.importing import fields
from ansinh.registry.importing.base import Column, Importer, Item, RowReader, compact_key
from ansinh.registry.importing.lookup import PersonIndex, PersonRef, rows_where_in
from ansinh.registry.importing.persons import GIVE_AN_ID, PERSON_ID_COLUMNS
from ansinh.registry.importing.writing import audit_change, bulk_insert, bulk_update, diff
from ansinh.registry.models import Employer, Participation

#: Which optional columns belong to which schemes.
SCHEME_COLUMNS = {
    "employer_tax_code": ("si", "ui"), "salary": ("si", "ui"),
    "income": ("vsi",), "support_group": ("vsi",),
    "hi_group": ("hi",), "hi_benefit_level": ("hi",), "hi_facility": ("hi",), "hi_card_number": ("hi",),
}
_GROUP = re.compile(r"^[A-Z]{2}$")

# parsers built once: building a label table per row costs more than the row
SCHEME = fields.choice(fields.SCHEME_LABELS, "scheme")
SUPPORT_GROUP = fields.choice(fields.SUPPORT_GROUP_LABELS, "support group")


@dataclass
class ParticipationRecord:
    person: PersonRef
    scheme: str
    valid_from: date
    valid_to: date | None
    employer_tax_code: str | None
    salary: int | None
    income: int | None
    support_group: str | None
    hi_group: str | None
    hi_benefit_level: int | None
    hi_facility: str | None
    hi_card_number: str | None


def _hi_group(value: str) -> str:
    value = value.strip().upper()
    if not _GROUP.fullmatch(value):
        raise ValueError(f"mã đối tượng BHYT phải gồm 2 chữ cái, nhận được {value!r} (HI group code must be "
                         "2 letters)")
    return value


def _hi_card(value: str) -> str:
    try:
        return str(validate_hi_card(value))
    except InvalidIdentifier as exc:
        raise ValueError(str(exc)) from None


class ParticipationImporter(Importer[ParticipationRecord]):
    kind = "participation"
    columns = (
        *PERSON_ID_COLUMNS,
        Column("scheme", ("Loại hình", "Loại bảo hiểm", "Chế độ"), required=True),
        Column("valid_from", ("Từ ngày", "Từ tháng", "Ngày bắt đầu", "Hạn thẻ từ"), required=True),
        Column("valid_to", ("Đến ngày", "Đến tháng", "Ngày kết thúc", "Hạn thẻ đến")),
        Column("employer_tax_code", ("Mã số thuế đơn vị", "MST đơn vị", "Mã số thuế", "MST")),
        Column("salary", ("Mức lương đóng", "Tiền lương đóng", "Tiền lương đóng BHXH", "Lương")),
        Column("income", ("Mức thu nhập", "Thu nhập làm căn cứ đóng", "Thu nhập")),
        Column("support_group", ("Nhóm hỗ trợ", "Đối tượng hỗ trợ")),
        Column("hi_group", ("Mã đối tượng", "Mã nhóm đối tượng", "Nhóm đối tượng")),
        Column("hi_benefit_level", ("Mức hưởng", "Mã mức hưởng", "Quyền lợi")),
        Column("hi_facility", ("Nơi ĐKKCB", "Mã nơi ĐKKCB", "Mã KCB ban đầu", "Nơi đăng ký KCB ban đầu")),
        Column("hi_card_number", ("Mã thẻ BHYT", "Số thẻ BHYT", "Mã thẻ")),
    )

    references: ClassVar[dict[str, tuple[Any, str]]] = {
        "employer_tax_code": (Employer.tax_code, "không có đơn vị mã số thuế {value}; hãy nhập danh sách đơn "
                              "vị trước (unknown employer; import the employers first)"),
    }

    def __init__(self, *, today: date | None = None) -> None:
        super().__init__(today=today)
        #: compact (person id, scheme, start) → the first row, across the batches of one import
        self.claimed: dict[int, int] = {}

    def check_columns(self, present: set[str]) -> list[str]:
        if not present & {"personal_id", "si_number"}:
            return ["the file needs a personal ID column (Số định danh) or an SI number column (Mã số BHXH)"]
        return []

    def parse(self, row: RowReader) -> ParticipationRecord | None:
        personal_id = row.parse("personal_id", fields.digits(12, "personal ID"))
        si_number = row.parse("si_number", fields.si_number)
        if not row.raw("personal_id") and not row.raw("si_number"):
            row.error("personal_id", GIVE_AN_ID)
        scheme = row.parse("scheme", SCHEME, required=True)
        start = row.date("valid_from", required=True)
        end = row.date("valid_to")
        if start and end and end < start:
            row.error("valid_to", f"kết thúc trước ngày bắt đầu {start:%d/%m/%Y} (ends before it starts)")
        if scheme is not None:
            for column, schemes in SCHEME_COLUMNS.items():
                if row.raw(column) and scheme not in schemes:
                    row.error(column, f"không dùng cho loại bảo hiểm {scheme}; hãy để trống (not used for "
                                      f"scheme {scheme}; leave it empty)")
        need = scheme if scheme is not None else ""
        tax_code = row.parse("employer_tax_code", fields.tax_code, required=need in ("si", "ui"))
        salary = row.parse("salary", fields.parse_amount, required=need in ("si", "ui"))
        income = row.parse("income", fields.parse_amount, required=need == "vsi")
        support = row.parse("support_group", SUPPORT_GROUP)
        card = row.parse("hi_card_number", _hi_card)
        group = row.parse("hi_group", _hi_group)
        level = row.parse("hi_benefit_level", fields.int_range(1, 5, "benefit level"))
        facility = row.parse("hi_facility", fields.digits(5, "facility code"))
        if card is not None:
            if group is not None and card[:2] != group:
                row.error("hi_card_number", f"mã đối tượng trên thẻ {card[:2]} khác mã đối tượng {group} "
                                            f"(the card's group {card[:2]} differs from the group {group})")
            if level is not None and int(card[2]) != level:
                row.error("hi_card_number", f"mức hưởng trên thẻ {card[2]} khác mức hưởng {level} (the "
                                            f"card's benefit digit {card[2]} differs from the benefit level "
                                            f"{level})")
            if si_number is not None and card[5:] != si_number:
                row.error("hi_card_number", f"thẻ kết thúc bằng {card[5:]}, không phải mã số BHXH "
                                            f"{si_number} (the card ends with {card[5:]}, not the SI number "
                                            f"{si_number})")
            group, level = group or card[:2], level or int(card[2])
        if need == "hi":
            if group is None and not row.raw("hi_group"):
                row.error("hi_group", "bắt buộc với BHYT, hoặc ghi mã thẻ (required for hi, or give the "
                                      "card number)")
            if level is None and not row.raw("hi_benefit_level"):
                row.error("hi_benefit_level", "bắt buộc với BHYT, hoặc ghi mã thẻ (required for hi, or give "
                                              "the card number)")
        if row.item.errors:
            return None
        assert scheme is not None and start is not None
        return ParticipationRecord(PersonRef(si_number, personal_id), scheme, start, end, tax_code, salary,
                                   income, support, group, level, facility, card)

    def key(self, record: ParticipationRecord) -> Hashable:
        return (record.person, record.scheme, record.valid_from)

    def describe_key(self, record: ParticipationRecord) -> tuple[str, str]:
        return "valid_from", f"{record.scheme} from {record.valid_from:%d/%m/%Y}"

    def resolve(self, session: Session, items: Sequence[Item[ParticipationRecord]]) -> None:
        records = [(i, i.record) for i in items if i.record is not None]
        people = PersonIndex(session, [r.person for _, r in records])
        employers = {r.tax_code: r.id for r in rows_where_in(
            session, (Employer.tax_code, Employer.id), Employer.tax_code,
            {r.employer_tax_code for _, r in records if r.employer_tax_code})}
        self.plan: dict[int, tuple[dict[str, Any] | None, dict[str, Any]]] = {}
        found: dict[int, dict[str, Any]] = {}
        claimed = self.claimed
        for item, rec in records:
            person, reason = people.find(rec.person)
            if person is None:
                self.error(item, "si_number" if rec.person.si_number else "personal_id", reason)
                continue
            found[item.row] = person
            key = compact_key((person["id"], rec.scheme, rec.valid_from))
            if key in claimed:
                self.error(item, "valid_from", "cùng người, loại bảo hiểm và ngày bắt đầu với dòng "
                                               f"{claimed[key]} (same person, scheme and start as row "
                                               f"{claimed[key]})")
            claimed.setdefault(key, item.row)
            si = person["si_number"]
            if rec.hi_card_number and si and rec.hi_card_number[5:] != si:
                self.error(item, "hi_card_number", f"thẻ kết thúc bằng {rec.hi_card_number[5:]}, nhưng mã "
                                                   f"số BHXH của người này là {si} (the card ends with "
                                                   f"{rec.hi_card_number[5:]}, but the person's SI number "
                                                   f"is {si})")
        cols = [Participation.id, Participation.person_id, Participation.scheme, Participation.valid_from,
                *(getattr(Participation, c) for c in _COMPARED)]
        stored = {(r.person_id, r.scheme, r.valid_from): r._asdict() for r in rows_where_in(
            session, cols, Participation.person_id, {p["id"] for p in found.values()})}
        for item, rec in records:
            person = found.get(item.row)
            if person is None:
                continue
            wanted = {k: v for k, v in vars(rec).items() if k in _COMPARED}
            wanted["employer_id"] = employers.get(rec.employer_tax_code or "")
            self.plan[item.row] = (stored.get((person["id"], rec.scheme, rec.valid_from)),
                                   {"person_id": person["id"], "scheme": rec.scheme,
                                    "valid_from": rec.valid_from, **wanted})

    def apply(self, session: Session, items: Sequence[Item[ParticipationRecord]], actor: str) -> None:
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for item in items:
            target, wanted = self.plan[item.row]
            if target is None:
                inserts.append(wanted)
                item.outcome = "inserted"
                continue
            changes = diff(target, wanted)
            if changes:
                updates.append({"id": target["id"], **{k: v for k, (_o, v) in changes.items()}})
                audit_change(session, actor=actor, entity="participation", entity_id=target["id"],
                             changes=changes, source=self.source)
            item.outcome = "updated" if changes else "unchanged"
        bulk_insert(session, Participation, inserts)
        bulk_update(session, Participation, updates)


_COMPARED = ("valid_to", "employer_id", "salary", "income", "support_group", "hi_group", "hi_benefit_level",
             "hi_facility", "hi_card_number")
