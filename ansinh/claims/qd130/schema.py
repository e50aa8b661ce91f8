"""Các bảng chỉ tiêu XML0–XML15 (the tables of the QĐ 130/QĐ-BYT output format as amended by QĐ 4750/QĐ-BYT).

The package data ``data/tables.json`` holds, for every table, its wrapper elements (from the envelope
description of letter 1245/BHXH-CNTT of 2024, section 3.5) and its fields **in the official order** of the
appendix of Decision 4750/QĐ-BYT (29 December 2023): type and maximum size under Decision 130/QĐ-BYT
(18 January 2023), the correction made by Decision 4750, the receiving portal's effective type and size and
whether the portal requires the field ("Bắt buộc"), the portal's rule text ("VALID" column of the portal's
validation sheets) and the official description.

``kind`` is how ansinh reads the value (see :mod:`ansinh.claims.qd130.values`): ``text``, ``integer``,
``decimal`` (money, rates, quantities: kept exactly), ``date`` (``yyyymmdd``), ``datetime``
(``yyyymmddHHMM``); ``multi`` marks the fields where the decision allows several values separated by ``;``
(several cards and their validity dates, departments, secondary diagnoses, procedures).

>>> t = table("XML1")
>>> (len(t.fields), t.fields[0].name, t.record_element)
(66, 'MA_LK', 'TONG_HOP')
>>> t.field("T_BHTT").kind, t.field("T_BHTT").required
('decimal', True)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

TABLE_NAMES = tuple(f"XML{i}" for i in range(16))
"""XML0 (check-in status) and XML1–XML15, the values of LOAIHOSO."""

KINDS = frozenset({"text", "integer", "decimal", "date", "datetime"})


@dataclass(frozen=True)
class Field:
    """Một chỉ tiêu (one field of a table)."""

    table: str
    order: int
    name: str
    kind: str
    multi: bool
    type_qd130: str
    max_qd130: int | None
    type_portal: str
    max_portal: int | None
    """Maximum length the portal accepts; ``None`` = unbounded ("n")."""
    required: bool
    """The portal requires the field ("Bắt buộc" = x)."""
    required_rule: str
    """A conditional requirement as the sheet words it (e.g. "Bắt buộc khi MA_NHOM = 10")."""
    portal_rule: str
    amendment_4750: str
    description: str


@dataclass(frozen=True)
class Table:
    """Một bảng chỉ tiêu (one table, e.g. XML1 TONG_HOP)."""

    name: str
    title: str
    wrappers: tuple[str, ...]
    """Elements from the table's root to its record element (``("TONG_HOP",)`` for XML1)."""
    fields: tuple[Field, ...]

    @property
    def record_element(self) -> str | None:
        """The element holding one record; ``None`` when the official texts do not name it (XML12)."""
        return self.wrappers[-1] if self.wrappers else None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        return _field_index(self.name)[name]

    def has(self, name: str) -> bool:
        return name in _field_index(self.name)


@cache
def _raw() -> dict[str, Any]:
    text = resources.files("ansinh.claims.qd130").joinpath("data/tables.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _build(name: str, raw: dict[str, Any]) -> Table:
    fields = tuple(
        Field(
            table=name,
            order=i,
            name=f["name"],
            kind=f["kind"],
            multi=bool(f["multi"]),
            type_qd130=f["type_qd130"],
            max_qd130=f["max_qd130"],
            type_portal=f["type_portal"],
            max_portal=f["max_portal"],
            required=bool(f["required"]),
            required_rule=f["required_rule"],
            portal_rule=f["portal_rule"],
            amendment_4750=f["amendment_4750"],
            description=f["description"],
        )
        for i, f in enumerate(raw["fields"], start=1)
    )
    return Table(name=name, title=raw["title"], wrappers=tuple(raw["wrappers"]), fields=fields)


@cache
def tables() -> dict[str, Table]:
    """All tables XML0–XML15, loaded once from the package data."""
    return {name: _build(name, raw) for name, raw in _raw()["tables"].items()}


def table(name: str) -> Table:
    return tables()[name]


@cache
def _field_index(name: str) -> dict[str, Field]:
    return {f.name: f for f in tables()[name].fields}


@cache
def field_names(name: str) -> frozenset[str]:
    return frozenset(_field_index(name))
