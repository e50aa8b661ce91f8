"""Administrative units: the 34 provinces of QĐ 19/2025/QĐ-TTg (from 1 July 2025), the 63 legacy
provinces with their successor, and communes loaded from the official list (CSV).

Legacy codes are kept because identifiers issued before the merger carry them for life (personal
ID digits 1–3, HI card digits 4–5, facility codes): they are never re-mapped, only addresses are.
"""

from __future__ import annotations

import csv
from datetime import date
from importlib import resources

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.core.db import unit_of_work
from ansinh.registry.models import Commune, LegacyProvince, Province

MERGER_DATE = date(2025, 7, 1)
LEGACY_END = date(2025, 6, 30)
QD_19_2025 = "QĐ 19/2025/QĐ-TTg; Nghị quyết 202/2025/QH15"


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("ansinh.registry").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def load_reference_areas(engine: Engine) -> None:
    """Insert the provinces and legacy provinces that are missing (safe to run at every upgrade)."""
    with unit_of_work(engine) as session:
        have = set(session.scalars(select(Province.code)))
        for row in _rows("provinces.csv"):
            if row["code"] not in have:
                session.add(Province(code=row["code"], name=row["name"], valid_from=MERGER_DATE,
                                     valid_to=None, legal_basis=QD_19_2025))
        session.flush()
        have_legacy = set(session.scalars(select(LegacyProvince.code)))
        for row in _rows("legacy_provinces.csv"):
            if row["code"] not in have_legacy:
                session.add(LegacyProvince(code=row["code"], name=row["name"], valid_to=LEGACY_END,
                                           successor_code=row["successor_code"]))


def communes_of(session: Session, province_code: str) -> list[Commune]:
    return list(session.scalars(select(Commune).where(Commune.province_code == province_code)
                                .order_by(Commune.code)))
