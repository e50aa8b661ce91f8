"""Import of the claims reference data (danh mục) from CSV (UTF-8) or .xlsx, effective-dated.

Kinds and their columns (headings as below, case-insensitive; ``valid_to`` / ``DEN_NGAY`` may be
empty). The first kinds use the office's own headings:

- ``facilities``: code, name, level, province_code, valid_from, valid_to
- ``services`` (giá DVKT): service_code, name, facility_level, price, max_per_day, valid_from, valid_to
- ``items`` (thuốc, VTYT, giá trúng thầu TT_THAU): facility_code, item_code, kind, name, tender_price,
  max_per_day, valid_from, valid_to
- ``licences`` (DVKT được phê duyệt): facility_code, service_code, valid_from, valid_to
- ``icd`` (QĐ 4469/QĐ-BYT): code, name, chapter, sex, min_age, max_age, high_severity (codes are
  stored with the dot, ``K219`` → ``K21.9``); the full WHO ICD-10 is loaded by the migration
- ``practitioners`` (MA_BAC_SI): code, name, facility_code, valid_from, valid_to
- ``allocations`` (dự toán): facility_code, year, amount

The published lists keep the element names of QĐ 130/QĐ-BYT (XML2, XML3) and the catalogue templates
(``TU_NGAY`` / ``DEN_NGAY`` for the validity; dates ``yyyymmdd``, ``dd/mm/yyyy`` or ``yyyy-mm-dd``):

- ``price_list`` (bảng giá DVKT, Thông tư 39/2018/TT-BYT as amended, Thông tư 22/2023/TT-BYT):
  MA_DICH_VU, TEN_DICH_VU, DON_GIA, TU_NGAY, DEN_NGAY, and TUYEN (facility level 2/3/4) when a price
  is for one level only; without it the price holds at every level. Written to the service prices.
- ``drugs`` (danh mục thuốc of a facility): MA_CSKCB, MA_THUOC, TEN_THUOC, HOAT_CHAT, HAM_LUONG,
  SO_DANG_KY, DON_VI_TINH, DON_GIA, TT_THAU, TU_NGAY, DEN_NGAY
- ``supplies`` (danh mục VTYT): MA_CSKCB, MA_VAT_TU, TEN_VAT_TU, DON_VI_TINH, DON_GIA, TT_THAU,
  TU_NGAY, DEN_NGAY
- ``tenders`` (kết quả trúng thầu): MA_CSKCB, MA_THUOC or MA_VAT_TU, TT_THAU, DON_GIA, SO_LUONG,
  TU_NGAY, DEN_NGAY; ``TT_THAU`` is taken apart into decision, package, group and year
  (:func:`ansinh.claims.catalogues.parse_tender`).

``DON_GIA`` has up to 3 decimals, the dot separating them (QĐ 130/QĐ-BYT, XML2 field 19); a decimal
comma and grouped thousands (``1.234.567``, ``1,234,567.5``) are read too.

Every row is checked; errors come back as data (row, column as headed in the file, message) and nothing
is written if any row is wrong. Importing the same file again changes nothing: a row replaces the stored
row with the same key only when its content differs. Every import writes an audit entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import String, delete, select, tuple_
from sqlalchemy.engine import Engine

from ansinh.claims.catalogues import ClaimDrug, ClaimSupply, ClaimTender, parse_tender
from ansinh.claims.icd import normalise_icd
from ansinh.claims.models import (
    ClaimAllocation,
    ClaimFacility,
    ClaimIcd,
    ClaimItemPrice,
    ClaimLicence,
    ClaimPractitioner,
    ClaimServicePrice,
)
from ansinh.core.audit import record
from ansinh.core.db import unit_of_work
from ansinh.registry.importing.base import ImportFileError
from ansinh.registry.importing.fields import parse_amount, parse_date
from ansinh.registry.importing.readers import read_rows


class RowFieldError(ValueError):
    """A check across the fields of one row failed; ``column`` is the field to name."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def _opt_int(value: str) -> int | None:
    return int(value) if value.strip() else None


_YYYYMMDD = re.compile(r"[0-9]{8}")


def _date(value: str) -> date:
    """A date as the published lists write it (``yyyymmdd``, QĐ 130/QĐ-BYT), or dd/mm/yyyy, yyyy-mm-dd."""
    text = value.strip()
    if _YYYYMMDD.fullmatch(text):
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            raise ValueError(f"ngày không tồn tại (no such day): {text!r}") from None
    if not text:
        raise ValueError("bắt buộc, đang để trống (required, empty)")
    return parse_date(text)


def _opt_date(value: str) -> date | None:
    return _date(value) if value.strip() else None


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("bắt buộc, đang để trống (required, empty)")
    return " ".join(value.split())


def _opt_text(value: str) -> str | None:
    return value.strip() or None


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "x", "có", "yes")


def _icd_code(value: str) -> str:
    return normalise_icd(_text(value))


_DECIMAL = re.compile(r"[0-9]{1,15}([.,][0-9]{1,3})?")
_DOTS = re.compile(r"[0-9]{1,3}(\.[0-9]{3}){2,}(,[0-9]{1,3})?")
_COMMAS = re.compile(r"[0-9]{1,3}(,[0-9]{3}){2,}(\.[0-9]{1,3})?")


def _price_milli(value: str) -> int:
    """``DON_GIA`` in thousandths of a đồng: up to 3 decimals after a dot (QĐ 130/QĐ-BYT, XML2 field 19);
    a decimal comma (``3127883,2``) and grouped thousands are accepted, a zero or negative price is not."""
    text = value.strip().replace(" ", "").removesuffix("đ").removesuffix("₫")
    if _DECIMAL.fullmatch(text):
        number = Decimal(text.replace(",", "."))
    elif _DOTS.fullmatch(text):
        number = Decimal(text.replace(".", "").replace(",", "."))
    elif _COMMAS.fullmatch(text):
        number = Decimal(text.replace(",", ""))
    else:
        raise ValueError(
            f"không phải đơn giá, tối đa 3 chữ số thập phân (not a unit price): {value.strip()!r}"
        )
    if number <= 0:
        raise ValueError(f"đơn giá phải lớn hơn 0 (price must be positive): {value.strip()!r}")
    return int(number * 1000)


def _whole_dong(value: str) -> int:
    milli = _price_milli(value)
    if milli % 1000:
        raise ValueError(f"giá dịch vụ phải là số đồng chẵn (service price in whole đồng): {value.strip()!r}")
    return milli // 1000


def _tender(value: str) -> str:
    text = value.strip()
    if text:
        parse_tender(text)
    return text


def _registration(value: str) -> str:
    text = value.strip()
    if re.search(r"\s", text):
        raise ValueError(
            "số đăng ký không có khoảng trống giữa các ký tự (no spaces inside, QĐ 130/QĐ-BYT XML2 field 14)"
        )
    return text


def _level(value: str) -> int | None:
    if not value.strip():
        return None
    level = int(value)
    if level not in (1, 2, 3, 4):
        raise ValueError(f"tuyến phải là 1, 2, 3 hoặc 4 (facility level 1–4): {level}")
    return level


Parser = Callable[[str], Any]


Expand = Callable[[dict[str, Any]], list[dict[str, Any]]]

#: Columns that may be left out of a file of any kind.
OPTIONAL = frozenset({"valid_to", "max_per_day", "sex", "min_age", "max_age", "high_severity"})


@dataclass(frozen=True)
class Kind:
    """A reference list: the table it fills, its columns and their parsers, the key a re-import
    replaces by, the published headings (``aliases``: heading → column), the columns a file may
    leave out, and ``expand`` turning one checked row into the stored rows (cross-field checks raise
    :class:`RowFieldError`)."""

    model: Any
    columns: dict[str, Parser]
    key: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)
    optional: frozenset[str] = OPTIONAL
    expand: Expand | None = None


def _split_tender(row: dict[str, Any]) -> dict[str, Any]:
    tender = parse_tender(row["tender"]) if row["tender"] else None
    return row | {
        "tender_decision": tender.decision if tender else None,
        "tender_package": tender.package if tender else None,
        "tender_group": tender.group if tender else None,
        "tender_year": tender.year if tender else None,
    }


def _catalogue_row(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [_split_tender(row)]


def _tender_row(row: dict[str, Any]) -> list[dict[str, Any]]:
    drug, supply = row.pop("drug_code"), row.pop("supply_code")
    if bool(drug) == bool(supply):
        raise RowFieldError("drug_code", "ghi đúng một trong MA_THUOC, MA_VAT_TU (exactly one of them)")
    if not row["tender"]:
        raise RowFieldError("tender", "bắt buộc, đang để trống (required, empty)")
    kind, code = ("drug", drug) if drug else ("supply", supply)
    return [_split_tender(row | {"kind": kind, "item_code": code})]


def _price_list_row(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A national price holds at every facility level (2, 3, 4) unless TUYEN names one."""
    level = row.pop("facility_level")
    levels = (level,) if level is not None else (2, 3, 4)
    return [row | {"facility_level": lv, "max_per_day": None} for lv in levels]


_DATED = {"tu_ngay": "valid_from", "den_ngay": "valid_to"}


KINDS: dict[str, Kind] = {
    "facilities": Kind(
        ClaimFacility,
        {
            "code": _text,
            "name": _text,
            "level": int,
            "province_code": _text,
            "valid_from": _date,
            "valid_to": _opt_date,
        },
        ("code", "valid_from"),
    ),
    "services": Kind(
        ClaimServicePrice,
        {
            "service_code": _text,
            "name": _text,
            "facility_level": int,
            "price": parse_amount,
            "max_per_day": _opt_int,
            "valid_from": _date,
            "valid_to": _opt_date,
        },
        ("service_code", "facility_level", "valid_from"),
    ),
    "items": Kind(
        ClaimItemPrice,
        {
            "facility_code": _text,
            "item_code": _text,
            "kind": _text,
            "name": _text,
            "tender_price": parse_amount,
            "max_per_day": _opt_int,
            "valid_from": _date,
            "valid_to": _opt_date,
        },
        ("facility_code", "item_code", "valid_from"),
    ),
    "licences": Kind(
        ClaimLicence,
        {"facility_code": _text, "service_code": _text, "valid_from": _date, "valid_to": _opt_date},
        ("facility_code", "service_code", "valid_from"),
    ),
    "icd": Kind(
        ClaimIcd,
        {
            "code": _icd_code,
            "name": _text,
            "chapter": _text,
            "sex": _opt_text,
            "min_age": _opt_int,
            "max_age": _opt_int,
            "high_severity": _bool,
        },
        ("code",),
    ),
    "practitioners": Kind(
        ClaimPractitioner,
        {
            "code": _text,
            "name": _text,
            "facility_code": _text,
            "valid_from": _date,
            "valid_to": _opt_date,
        },
        ("code", "valid_from"),
    ),
    "allocations": Kind(
        ClaimAllocation,
        {"facility_code": _text, "year": int, "amount": parse_amount},
        ("facility_code", "year"),
    ),
    "price_list": Kind(
        ClaimServicePrice,
        {
            "service_code": _text,
            "name": _text,
            "price": _whole_dong,
            "facility_level": _level,
            "valid_from": _date,
            "valid_to": _opt_date,
        },
        ("service_code", "facility_level", "valid_from"),
        aliases={
            "ma_dich_vu": "service_code",
            "ten_dich_vu": "name",
            "don_gia": "price",
            "tuyen": "facility_level",
        }
        | _DATED,
        optional=OPTIONAL | {"facility_level"},
        expand=_price_list_row,
    ),
    "drugs": Kind(
        ClaimDrug,
        {
            "facility_code": _text,
            "drug_code": _text,
            "name": _text,
            "active_ingredient": _opt_text,
            "strength": _opt_text,
            "registration_no": _registration,
            "unit": _text,
            "price_milli": _price_milli,
            "tender": _tender,
            "valid_from": _date,
            "valid_to": _opt_date,
        },
        ("facility_code", "drug_code", "registration_no", "tender", "valid_from"),
        aliases={
            "ma_cskcb": "facility_code",
            "ma_thuoc": "drug_code",
            "ten_thuoc": "name",
            "hoat_chat": "active_ingredient",
            "ham_luong": "strength",
            "so_dang_ky": "registration_no",
            "don_vi_tinh": "unit",
            "don_gia": "price_milli",
            "tt_thau": "tender",
        }
        | _DATED,
        optional=OPTIONAL | {"active_ingredient", "strength", "registration_no", "tender"},
        expand=_catalogue_row,
    ),
    "supplies": Kind(
        ClaimSupply,
        {
            "facility_code": _text,
            "supply_code": _text,
            "name": _text,
            "unit": _text,
            "price_milli": _price_milli,
            "tender": _tender,
            "valid_from": _date,
            "valid_to": _opt_date,
        },
        ("facility_code", "supply_code", "tender", "valid_from"),
        aliases={
            "ma_cskcb": "facility_code",
            "ma_vat_tu": "supply_code",
            "ten_vat_tu": "name",
            "don_vi_tinh": "unit",
            "don_gia": "price_milli",
            "tt_thau": "tender",
        }
        | _DATED,
        optional=OPTIONAL | {"tender"},
        expand=_catalogue_row,
    ),
    "tenders": Kind(
        ClaimTender,
        {
            "facility_code": _text,
            "drug_code": _opt_text,
            "supply_code": _opt_text,
            "tender": _tender,
            "price_milli": _price_milli,
            "quantity": _opt_int,
            "valid_from": _date,
            "valid_to": _opt_date,
        },
        ("facility_code", "kind", "item_code", "tender", "valid_from"),
        aliases={
            "ma_cskcb": "facility_code",
            "ma_thuoc": "drug_code",
            "ma_vat_tu": "supply_code",
            "tt_thau": "tender",
            "don_gia": "price_milli",
            "so_luong": "quantity",
        }
        | _DATED,
        optional=OPTIONAL | {"drug_code", "supply_code", "quantity"},
        expand=_tender_row,
    ),
}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


def _max_length(model: Any, column: str) -> int | None:
    col = model.__table__.columns.get(column)
    return col.type.length if col is not None and isinstance(col.type, String) else None


def parse_file(kind: str, path: Path, data: bytes) -> tuple[list[dict[str, Any]], list[RowError]]:
    """The rows of a reference file as the table's rows (numbered as the user sees them), and every
    error found in them."""
    return _parse(kind, path, data)[0:2]


def _parse(kind: str, path: Path, data: bytes) -> tuple[list[dict[str, Any]], list[RowError], list[int]]:
    spec = KINDS[kind]
    rows = list(read_rows(path, data))
    if not rows:
        raise ImportFileError(f"{path.name}: tệp trống (the file is empty)")
    heading_row, headings = rows[0]
    index: dict[str, int] = {}
    shown: dict[str, str] = {}  # column -> heading as written in the file, for the messages
    for i, h in enumerate(headings):
        name = h.strip().lower()
        column = spec.aliases.get(name, name)
        if column in spec.columns and column not in index:
            index[column] = i
            shown[column] = h.strip()
    published = {c: h.upper() for h, c in spec.aliases.items()}
    missing = [published.get(c, c) for c in spec.columns if c not in index and c not in spec.optional]
    if missing:
        raise ImportFileError(
            f"{path.name}: thiếu cột (missing columns) {', '.join(missing)} (dòng/row {heading_row})"
        )

    def heading(column: str) -> str:
        return shown.get(column) or published.get(column, column)

    out: list[dict[str, Any]] = []
    numbers: list[int] = []
    errors: list[RowError] = []
    seen: dict[tuple[Any, ...], int] = {}
    for number, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue  # a blank line at the end of a spreadsheet
        record_: dict[str, Any] = {}
        bad = False
        for column, parser in spec.columns.items():
            at = index.get(column)
            raw = cells[at] if at is not None and at < len(cells) else ""
            try:
                value = parser(raw)
            except (ValueError, TypeError, ArithmeticError) as exc:
                errors.append(RowError(number, heading(column), f"{raw.strip()!r}: {exc}"))
                bad = True
                continue
            limit = _max_length(spec.model, column)
            if isinstance(value, str) and limit is not None and len(value) > limit:
                errors.append(
                    RowError(
                        number, heading(column), f"dài quá {limit} ký tự (longer than {limit} characters)"
                    )
                )
                bad = True
            record_[column] = value
        if bad:
            continue
        if (
            record_.get("valid_to")
            and record_.get("valid_from")
            and record_["valid_to"] < record_["valid_from"]
        ):
            errors.append(
                RowError(
                    number, heading("valid_to"), "ngày kết thúc trước ngày bắt đầu (ends before it starts)"
                )
            )
            continue
        try:
            stored = spec.expand(dict(record_)) if spec.expand else [record_]
        except RowFieldError as exc:
            errors.append(RowError(number, heading(exc.column), str(exc)))
            continue
        for row in stored:
            key = tuple(row[k] for k in spec.key)
            if key in seen:
                errors.append(
                    RowError(
                        number,
                        heading(spec.key[0]),
                        f"trùng với dòng {seen[key]} (same key as row {seen[key]})",
                    )
                )
                continue
            seen[key] = number
            out.append(row)
            numbers.append(number)
    return out, errors, numbers


def _changed(session: Any, spec: Kind, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows that are not stored already with the same content."""
    columns = [getattr(spec.model, k) for k in spec.key]
    stored: dict[tuple[Any, ...], dict[str, Any]] = {}
    keys = [tuple(r[k] for k in spec.key) for r in rows]
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for obj in session.scalars(select(spec.model).where(tuple_(*columns).in_(chunk))):
            stored[tuple(getattr(obj, k) for k in spec.key)] = {c: getattr(obj, c) for c in rows[0]}
    return [r for r, k in zip(rows, keys, strict=True) if stored.get(k) != r]


@dataclass(frozen=True)
class Outcome:
    """What an import did: rows in the file (now all stored), rows written (new or changed), errors."""

    rows: int
    written: int
    errors: list[RowError]


def import_reference(engine: Engine, kind: str, path: Path, *, actor: str) -> tuple[int, list[RowError]]:
    """Import one reference file; returns (rows imported, errors). Nothing is written when any row fails."""
    outcome = import_reference_file(engine, kind, path, actor=actor)
    return outcome.rows, outcome.errors


def import_reference_file(engine: Engine, kind: str, path: Path, *, actor: str) -> Outcome:
    """Import one reference file. Nothing is written when any row fails; rows already stored with the
    same content are not written again (``written`` counts the others), so a second import of the same
    file changes nothing but the audit trail."""
    if kind not in KINDS:
        raise ImportFileError(f"loại danh mục không có (unknown kind) {kind!r}; one of {', '.join(KINDS)}")
    rows, errors, _numbers = _parse(kind, path, path.read_bytes())
    if errors:
        return Outcome(0, 0, errors)
    spec = KINDS[kind]
    with unit_of_work(engine) as session:
        changed = _changed(session, spec, rows) if rows else []
        columns = [getattr(spec.model, k) for k in spec.key]
        keys = [tuple(r[k] for k in spec.key) for r in changed]
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            session.execute(delete(spec.model).where(tuple_(*columns).in_(chunk)))
        session.add_all(spec.model(**r) for r in changed)
        record(
            session,
            actor=actor,
            action="claims_reference_import",
            entity=f"claims_{kind}",
            entity_id=path.name[:60],
            detail={"rows": len(rows), "written": len(changed)},
        )
    return Outcome(len(rows), len(changed), [])
