"""Commune list (danh mục đơn vị hành chính cấp xã, QĐ 19/2025/QĐ-TTg): one row per commune.

Columns:

- ``commune_code`` / "Mã xã" (required; 5 digits), ``name`` / "Tên xã" (required),
  ``kind`` / "Cấp", "Loại" (required; xa/phuong/dac_khu or "Xã", "Phường", "Đặc khu"),
  ``province_code`` / "Mã tỉnh" (required; 2 digits, must be one of the 34 provinces)
- ``valid_from`` / "Hiệu lực từ" (default 01/07/2025, the day QĐ 19/2025 took effect)
- ``wage_region`` / "Vùng" (1–4 or I–IV)
- ``legacy_codes`` / "Mã xã cũ" — codes of the pre-merger communes it replaced, separated by
  ``;``, ``,`` or spaces; each becomes a row of commune_successions (added, never removed)

Example::

    Mã xã,Tên xã,Cấp,Mã tỉnh,Vùng,Mã xã cũ
    18631,Phường Thành Sen,Phường,42,II,18070;18073;18076
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from ansinh.registry.areas import MERGER_DATE
from ansinh.registry.importing import fields
from ansinh.registry.importing.base import Column, Importer, Item, RowReader
from ansinh.registry.importing.lookup import rows_where_in
from ansinh.registry.importing.writing import audit_change, bulk_insert, bulk_update, diff
from ansinh.registry.models import Commune, CommuneSuccession, Province

_SEPARATORS = re.compile(r"[;,\s]+")

# parsers built once: building a label table per row costs more than the row
COMMUNE_KIND = fields.choice(fields.COMMUNE_KIND_LABELS, "commune kind")


@dataclass
class CommuneRecord:
    code: str
    name: str
    kind: str
    province_code: str
    valid_from: date
    wage_region: int | None
    legacy_codes: tuple[str, ...]


def _legacy_codes(value: str) -> tuple[str, ...]:
    codes = tuple(c for c in _SEPARATORS.split(value.strip()) if c)
    bad = [c for c in codes if not (c.isascii() and c.isdigit() and len(c) == 5)]
    if bad:
        raise ValueError(f"mỗi mã xã cũ phải gồm 5 chữ số, nhận được {', '.join(bad)} "
                         "(legacy commune codes must be 5 digits each)")
    return tuple(dict.fromkeys(codes))


class AreasImporter(Importer[CommuneRecord]):
    kind = "areas"
    columns = (
        Column("commune_code", ("Mã xã", "Mã đơn vị", "Mã ĐVHC", "Mã"), required=True),
        Column("name", ("Tên xã", "Tên đơn vị", "Tên ĐVHC", "Tên"), required=True),
        Column("kind", ("Cấp", "Loại", "Loại đơn vị"), required=True),
        Column("province_code", ("Mã tỉnh", "Mã tỉnh/thành phố"), required=True),
        Column("valid_from", ("Hiệu lực từ", "Ngày hiệu lực", "Từ ngày")),
        Column("wage_region", ("Vùng", "Vùng lương tối thiểu")),
        Column("legacy_codes", ("Mã xã cũ", "Mã xã trước sắp xếp", "Sáp nhập từ")),
    )

    references: ClassVar[dict[str, tuple[Any, str]]] = {
        "province_code": (Province.code, "không có tỉnh mã {value} trong 34 tỉnh, thành phố theo QĐ 19/2025 "
                                         "(unknown province: not one of the 34 provinces of QĐ 19/2025)"),
    }

    def parse(self, row: RowReader) -> CommuneRecord | None:
        code = row.parse("commune_code", fields.digits(5, "commune code"), required=True)
        name = row.text("name", required=True, max_len=64)
        kind = row.parse("kind", COMMUNE_KIND, required=True)
        province = row.parse("province_code", fields.digits(2, "province code"), required=True)
        valid_from = row.date("valid_from") or MERGER_DATE
        region = row.parse("wage_region", fields.wage_region)
        legacy = row.parse("legacy_codes", _legacy_codes) or ()
        if row.item.errors:
            return None
        assert code and name and kind and province
        return CommuneRecord(code, name, kind, province, valid_from, region, legacy)

    def key(self, record: CommuneRecord) -> Hashable:
        return record.code

    def describe_key(self, record: CommuneRecord) -> tuple[str, str]:
        return "commune_code", record.code

    def resolve(self, session: Session, items: Sequence[Item[CommuneRecord]]) -> None:
        codes = {i.record.code for i in items if i.record is not None}
        cols = (Commune.code, Commune.name, Commune.kind, Commune.province_code, Commune.valid_from,
                Commune.wage_region)
        self.stored = {r.code: r._asdict() for r in rows_where_in(session, cols, Commune.code, codes)}
        self.successions = {(r.legacy_code, r.commune_code) for r in rows_where_in(
            session, (CommuneSuccession.legacy_code, CommuneSuccession.commune_code),
            CommuneSuccession.commune_code, codes)}

    def apply(self, session: Session, items: Sequence[Item[CommuneRecord]], actor: str) -> None:
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        for item in items:
            rec = item.record
            assert rec is not None
            wanted = {"code": rec.code, "name": rec.name, "kind": rec.kind,
                      "province_code": rec.province_code, "valid_from": rec.valid_from,
                      "wage_region": rec.wage_region}
            new_links = [c for c in rec.legacy_codes if (c, rec.code) not in self.successions]
            links.extend({"legacy_code": c, "commune_code": rec.code} for c in new_links)
            stored = self.stored.get(rec.code)
            if stored is None:
                inserts.append({**wanted, "valid_to": None})
                item.outcome = "inserted"
                continue
            changes = diff(stored, wanted)
            if new_links:
                changes["legacy_codes"] = (None, ";".join(new_links))
            if changes:
                values = {k: v for k, (_o, v) in changes.items() if k in wanted}
                if values:
                    updates.append({"code": rec.code, **values})
                audit_change(session, actor=actor, entity="commune", entity_id=rec.code, changes=changes,
                             source=self.source)
            item.outcome = "updated" if changes else "unchanged"
        bulk_insert(session, Commune, inserts)
        bulk_update(session, Commune, updates)
        bulk_insert(session, CommuneSuccession, links)
