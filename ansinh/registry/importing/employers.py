"""Employers file (danh sách đơn vị sử dụng lao động): one row per employer, keyed by tax code.

Columns:

- ``tax_code`` / "Mã số thuế", "MST" (required; 10 digits or 10-3 for a branch)
- ``name`` / "Tên đơn vị" (required), ``kind`` / "Loại hình" (required; enterprise, state_agency,
  business_household, cooperative, ngo, foreign_org, other, or "Doanh nghiệp", "Cơ quan nhà nước",
  "Hộ kinh doanh", "Hợp tác xã", …), ``commune_code`` / "Mã xã" (required; must exist),
  ``sector`` / "Ngành nghề" (required; VSIC 2018 section letter A–U), ``registered_on`` / "Ngày đăng ký"
- ``region`` / "Vùng" (1–4 or I–IV) with ``region_valid_from`` / "Vùng từ ngày"
- ``status`` / "Trạng thái" (active, suspended, dissolved, absconded; "Đang hoạt động", "Tạm ngừng",
  "Giải thể", "Bỏ trốn") with ``status_valid_from`` / "Trạng thái từ ngày"

Region and status are effective-dated: a different value opens a new row from its date and closes
the current one the day before (never an edit). Re-stating the current value changes nothing; a
change dated on or before the current row's start is refused (import does not rewrite history).

Example::

    Mã số thuế,Tên đơn vị,Loại hình,Mã xã,Ngành nghề,Vùng,Vùng từ ngày,Trạng thái,Trạng thái từ ngày
    4201234567,Công ty TNHH Hải Long,Doanh nghiệp,18631,C,II,01/07/2025,Đang hoạt động,01/01/2020
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from ansinh.core.text import name_key
from ansinh.registry.importing import fields
from ansinh.registry.importing.base import Column, Importer, Item, RowReader
from ansinh.registry.importing.lookup import rows_where_in
from ansinh.registry.importing.writing import audit_change, bulk_insert, bulk_update, diff
from ansinh.registry.models import Commune, Employer, EmployerRegion, EmployerStatus

DAY = timedelta(days=1)

# parsers built once: building a label table per row costs more than the row
EMPLOYER_KIND = fields.choice(fields.EMPLOYER_KIND_LABELS, "employer kind")
EMPLOYER_STATUS = fields.choice(fields.EMPLOYER_STATUS_LABELS, "status")


@dataclass
class EmployerRecord:
    tax_code: str
    name: str
    kind: str
    commune_code: str
    sector: str
    registered_on: date | None
    region: int | None
    region_from: date | None
    status: str | None
    status_from: date | None


@dataclass
class DatedChange:
    """Open a row with ``value`` from ``valid_from``; close ``close_id`` the day before, if any."""

    value: Any
    valid_from: date
    close_id: int | None
    old: Any


class EmployersImporter(Importer[EmployerRecord]):
    kind = "employers"
    columns = (
        Column("tax_code", ("Mã số thuế", "MST", "Mã số doanh nghiệp"), required=True),
        Column("name", ("Tên đơn vị", "Tên doanh nghiệp", "Tên"), required=True),
        Column("kind", ("Loại hình", "Loại hình đơn vị"), required=True),
        Column("commune_code", ("Mã xã", "Mã xã/phường"), required=True),
        Column("sector", ("Ngành nghề", "Ngành kinh tế", "Mã ngành VSIC"), required=True),
        Column("registered_on", ("Ngày đăng ký", "Ngày thành lập")),
        Column("region", ("Vùng", "Vùng lương tối thiểu")),
        Column("region_valid_from", ("Vùng từ ngày", "Áp dụng vùng từ ngày")),
        Column("status", ("Trạng thái", "Tình trạng hoạt động")),
        Column("status_valid_from", ("Trạng thái từ ngày", "Ngày trạng thái")),
    )

    references: ClassVar[dict[str, tuple[Any, str]]] = {
        "commune_code": (Commune.code, "không có xã mã {value} (unknown commune)"),
    }

    def parse(self, row: RowReader) -> EmployerRecord | None:
        tax_code = row.parse("tax_code", fields.tax_code, required=True)
        name = row.text("name", required=True, max_len=200)
        kind = row.parse("kind", EMPLOYER_KIND, required=True)
        commune = row.parse("commune_code", fields.digits(5, "commune code"), required=True)
        sector = row.parse("sector", fields.sector, required=True)
        registered = row.date("registered_on")
        if registered and registered > self.today:
            row.error("registered_on", "ngày đăng ký ở tương lai (registration date is in the future)")
        region = row.parse("region", fields.wage_region)
        region_from = row.date("region_valid_from")
        status = row.parse("status", EMPLOYER_STATUS)
        status_from = row.date("status_valid_from")
        for value_col, date_col in (("region", "region_valid_from"), ("status", "status_valid_from")):
            if bool(row.raw(value_col)) != bool(row.raw(date_col)):
                missing = date_col if row.raw(value_col) else value_col
                row.error(missing, f"hãy ghi cùng lúc {self.headings.get(value_col, value_col)} và "
                                   f"{self.headings.get(date_col, date_col)} (give {value_col} and "
                                   f"{date_col} together)")
        if row.item.errors:
            return None
        assert tax_code and name and kind and commune and sector
        return EmployerRecord(tax_code, name, kind, commune, sector, registered, region, region_from,
                              status, status_from)

    def key(self, record: EmployerRecord) -> Hashable:
        return record.tax_code

    def describe_key(self, record: EmployerRecord) -> tuple[str, str]:
        return "tax_code", record.tax_code

    def resolve(self, session: Session, items: Sequence[Item[EmployerRecord]]) -> None:
        records = [(i, i.record) for i in items if i.record is not None]
        cols = (Employer.id, Employer.tax_code, Employer.name, Employer.kind, Employer.commune_code,
                Employer.sector, Employer.registered_on)
        self.stored = {r.tax_code: r._asdict() for r in rows_where_in(
            session, cols, Employer.tax_code, {r.tax_code for _, r in records})}
        ids = {e["id"] for e in self.stored.values()}
        regions = _open_rows(session, EmployerRegion, EmployerRegion.region, ids)
        statuses = _open_rows(session, EmployerStatus, EmployerStatus.status, ids)
        self.region_plan: dict[int, DatedChange] = {}
        self.status_plan: dict[int, DatedChange] = {}
        for item, rec in records:
            employer = self.stored.get(rec.tax_code)
            current_id = employer["id"] if employer else None
            for value, start, current, plan, column in (
                (rec.region, rec.region_from, regions, self.region_plan, "region_valid_from"),
                (rec.status, rec.status_from, statuses, self.status_plan, "status_valid_from"),
            ):
                if value is None or start is None:
                    continue
                open_row = current.get(current_id) if current_id is not None else None
                if open_row is None:
                    plan[item.row] = DatedChange(value, start, None, None)
                elif open_row[1] != value:
                    if start <= open_row[2]:
                        self.error(item, column, f"thay đổi phải bắt đầu sau ngày {open_row[2]:%d/%m/%Y} "
                                                 "của giá trị hiện hành; nhập tệp không sửa lịch sử (the "
                                                 "change must start after the current value's start "
                                                 f"{open_row[2]:%d/%m/%Y}; import does not rewrite history)")
                    else:
                        plan[item.row] = DatedChange(value, start, open_row[0], open_row[1])

    def apply(self, session: Session, items: Sequence[Item[EmployerRecord]], actor: str) -> None:
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for item in items:
            rec = item.record
            assert rec is not None
            wanted = {"tax_code": rec.tax_code, "name": rec.name, "kind": rec.kind,
                      "commune_code": rec.commune_code, "sector": rec.sector,
                      "registered_on": rec.registered_on}
            stored = self.stored.get(rec.tax_code)
            if stored is None:
                inserts.append({**wanted, "name_key": name_key(rec.name)})
                item.outcome = "inserted"
                continue
            changes = diff(stored, wanted)
            for plan, what in ((self.region_plan, "region"), (self.status_plan, "status")):
                change = plan.get(item.row)
                if change is not None:
                    changes[what] = (change.old, change.value)
            if changes:
                values = {k: v for k, (_o, v) in changes.items() if k in wanted}
                if "name" in values:
                    values["name_key"] = name_key(values["name"])
                if values:
                    updates.append({"id": stored["id"], **values})
                audit_change(session, actor=actor, entity="employer", entity_id=stored["id"],
                             changes=changes, source=self.source)
            item.outcome = "updated" if changes else "unchanged"
        bulk_insert(session, Employer, inserts)
        bulk_update(session, Employer, updates)
        ids = {e["tax_code"]: e["id"] for e in self.stored.values()}
        ids.update({r.tax_code: r.id for r in rows_where_in(
            session, (Employer.tax_code, Employer.id), Employer.tax_code, [r["tax_code"] for r in inserts])})
        for model, column, plan in ((EmployerRegion, "region", self.region_plan),
                                    (EmployerStatus, "status", self.status_plan)):
            changes_here = [(item.record, plan[item.row]) for item in items
                            if item.row in plan and item.record is not None]
            bulk_update(session, model, [{"id": c.close_id, "valid_to": c.valid_from - DAY}
                                         for _r, c in changes_here if c.close_id is not None])
            bulk_insert(session, model, [{"employer_id": ids[r.tax_code], column: c.value,
                                          "valid_from": c.valid_from, "valid_to": None}
                                         for r, c in changes_here])


def _open_rows(session: Session, model: Any, value_col: Any, employer_ids: set[int]
               ) -> dict[int, tuple[int, Any, date]]:
    """employer id → (row id, value, valid_from) of its latest row still in force (valid_to NULL)."""
    rows = rows_where_in(session, (model.id, model.employer_id, value_col, model.valid_from,
                                   model.valid_to), model.employer_id, employer_ids)
    out: dict[int, tuple[int, Any, date]] = {}
    for row_id, employer_id, value, valid_from, valid_to in sorted(rows, key=lambda r: r[3]):
        if valid_to is None:
            out[employer_id] = (row_id, value, valid_from)
    return out
