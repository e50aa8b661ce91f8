"""Import of the claims reference data (danh mục) from CSV (UTF-8) or .xlsx, effective-dated.

Kinds and their columns (headings as below, case-insensitive; ``valid_to`` may be empty):

- ``facilities``: code, name, level, province_code, valid_from, valid_to
- ``services`` (giá DVKT): service_code, name, facility_level, price, max_per_day, valid_from, valid_to
- ``items`` (thuốc, VTYT, giá trúng thầu TT_THAU): facility_code, item_code, kind, name, tender_price,
  max_per_day, valid_from, valid_to
- ``licences`` (DVKT được phê duyệt): facility_code, service_code, valid_from, valid_to
- ``icd`` (QĐ 4469/QĐ-BYT): code, name, chapter, sex, min_age, max_age, high_severity
- ``practitioners`` (MA_BAC_SI): code, name, facility_code, valid_from, valid_to
- ``allocations`` (dự toán): facility_code, year, amount

Every row is checked; errors come back as data (row, column, message) and nothing is written if any
row is wrong. Importing the same file again changes nothing: a row replaces the stored row with the
same key and ``valid_from``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, tuple_
from sqlalchemy.engine import Engine

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


def _opt_int(value: str) -> int | None:
    return int(value) if value.strip() else None


def _opt_date(value: str) -> date | None:
    return parse_date(value) if value.strip() else None


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("required")
    return value.strip()


def _opt_text(value: str) -> str | None:
    return value.strip() or None


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "x", "có", "yes")


Parser = Callable[[str], Any]


@dataclass(frozen=True)
class Kind:
    model: Any
    columns: dict[str, Parser]
    key: tuple[str, ...]


KINDS: dict[str, Kind] = {
    "facilities": Kind(
        ClaimFacility,
        {
            "code": _text,
            "name": _text,
            "level": int,
            "province_code": _text,
            "valid_from": parse_date,
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
            "valid_from": parse_date,
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
            "valid_from": parse_date,
            "valid_to": _opt_date,
        },
        ("facility_code", "item_code", "valid_from"),
    ),
    "licences": Kind(
        ClaimLicence,
        {"facility_code": _text, "service_code": _text, "valid_from": parse_date, "valid_to": _opt_date},
        ("facility_code", "service_code", "valid_from"),
    ),
    "icd": Kind(
        ClaimIcd,
        {
            "code": _text,
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
            "valid_from": parse_date,
            "valid_to": _opt_date,
        },
        ("code", "valid_from"),
    ),
    "allocations": Kind(
        ClaimAllocation,
        {"facility_code": _text, "year": int, "amount": parse_amount},
        ("facility_code", "year"),
    ),
}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


def parse_file(kind: str, path: Path, data: bytes) -> tuple[list[dict[str, Any]], list[RowError]]:
    spec = KINDS[kind]
    rows = list(read_rows(path, data))
    if not rows:
        raise ImportFileError(f"{path.name}: the file is empty")
    heading_row, headings = rows[0]
    index = {h.strip().lower(): i for i, h in enumerate(headings)}
    missing = [
        c
        for c in spec.columns
        if c not in index
        and c not in ("valid_to", "max_per_day", "sex", "min_age", "max_age", "high_severity")
    ]
    if missing:
        raise ImportFileError(f"{path.name}: missing columns {', '.join(missing)} (row {heading_row})")
    out: list[dict[str, Any]] = []
    errors: list[RowError] = []
    for number, cells in rows[1:]:
        record_: dict[str, Any] = {}
        for column, parser in spec.columns.items():
            i = index.get(column)
            raw = cells[i] if i is not None and i < len(cells) else ""
            try:
                record_[column] = parser(raw)
            except (ValueError, TypeError) as exc:
                errors.append(RowError(number, column, f"{raw!r}: {exc}"))
        out.append(record_)
    return out, errors


def import_reference(engine: Engine, kind: str, path: Path, *, actor: str) -> tuple[int, list[RowError]]:
    """Import one reference file; returns (rows written, errors). Nothing is written when any row fails."""
    if kind not in KINDS:
        raise ImportFileError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    rows, errors = parse_file(kind, path, path.read_bytes())
    if errors:
        return 0, errors
    spec = KINDS[kind]
    keys = [tuple(r[k] for k in spec.key) for r in rows]
    with unit_of_work(engine) as session:
        columns = [getattr(spec.model, k) for k in spec.key]
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            session.execute(delete(spec.model).where(tuple_(*columns).in_(chunk)))
        session.add_all(spec.model(**r) for r in rows)
        record(
            session,
            actor=actor,
            action="claims_reference_import",
            entity=f"claims_{kind}",
            entity_id=path.name[:60],
            detail={"rows": len(rows)},
        )
    return len(rows), []
