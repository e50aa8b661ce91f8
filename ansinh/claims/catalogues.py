"""Catalogues a facility registers with social insurance, in the columns of the published lists
(QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML2 and XML3): drugs (danh mục thuốc), medical
supplies (danh mục vật tư y tế) and tender results (kết quả trúng thầu), plus the ICD-9-CM vol. 3
procedure list of QĐ 4440/QĐ-BYT. Effective-dated like every reference list (``valid_from`` /
``valid_to`` inclusive, ``valid_to`` NULL while in force).

Unit prices (``DON_GIA``) are given with up to 3 decimals (QĐ 130, XML2 field 19, XML3 field 15) and
are kept in thousandths of a đồng (``price_milli``), as in :mod:`ansinh.claims.models`.

>>> parse_tender("1516.01;G1;N1;2021")
Tender(decision='1516.01', package='G1', group='N1', year=2021)
>>> parse_tender("456/BVYHCTTW-BH;2023")
Tender(decision='456/BVYHCTTW-BH', package=None, group=None, year=2023)
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

from sqlalchemy import BigInteger, Date, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ansinh.claims.models import IdType
from ansinh.core.db import Base


class Tender(NamedTuple):
    """``TT_THAU`` taken apart: decision approving the tender result, package, group, year."""

    decision: str
    package: str | None
    group: str | None
    year: int


_PACKAGE = re.compile(r"G[0-9A-Z]+(\.[0-9]+)?", re.IGNORECASE)
_YEAR = re.compile(r"(19|20)[0-9]{2}")


def parse_tender(value: str) -> Tender:
    """``TT_THAU`` (QĐ 130/QĐ-BYT XML2 field 15, XML3 field 16, as amended by QĐ 4750/QĐ-BYT): parts
    separated by ``;`` in the order decision; package; group; year — ``20.00;G1;N1;2021``. Also
    decision; package; year (plans approved before Thông tư 14/2020/TT-BYT) and document; year (drugs
    and supplies a facility makes itself). A package with two winning bidders is ``Gi.YY``."""
    text = value.strip()
    if len(text) > 50:
        raise ValueError(f"dài quá 50 ký tự (longer than 50 characters): {len(text)}")
    parts = [p.strip() for p in text.split(";")]
    if len(parts) not in (2, 3, 4) or not all(parts):
        raise ValueError(
            f"phải là 'số QĐ;gói thầu;nhóm thầu;năm' (must be 'decision;package;group;year'), got {text!r}"
        )
    if not _YEAR.fullmatch(parts[-1]):
        raise ValueError(f"năm ban hành không hợp lệ (tender year invalid): {parts[-1]!r}")
    package = parts[1] if len(parts) >= 3 else None
    if package is not None and not _PACKAGE.fullmatch(package):
        raise ValueError(f"mã gói thầu phải dạng Gi hoặc Gi.YY (package must be Gi or Gi.YY): {package!r}")
    group = parts[2] if len(parts) == 4 else None
    return Tender(
        parts[0], package.upper() if package else None, group.upper() if group else None, int(parts[-1])
    )


class ClaimIcd9(Base):
    """An ICD-9-CM vol. 3 procedure (``MA_PTTT_QT``) as QĐ 4440/QĐ-BYT lists it."""

    __tablename__ = "claim_icd9"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    chapter: Mapped[str] = mapped_column(String(120))


class ClaimDrug(Base):
    """A drug of a facility's catalogue (``MA_THUOC``, ``TEN_THUOC``, ``SO_DANG_KY``, ``TT_THAU``)."""

    __tablename__ = "claim_drugs"
    __table_args__ = (
        UniqueConstraint(
            "facility_code", "drug_code", "registration_no", "tender", "valid_from", name="uq_claim_drugs_key"
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    facility_code: Mapped[str] = mapped_column(String(5), index=True)
    drug_code: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(1024))
    active_ingredient: Mapped[str | None] = mapped_column(String(1024))
    strength: Mapped[str | None] = mapped_column(String(1024))
    registration_no: Mapped[str] = mapped_column(String(255), default="")
    unit: Mapped[str] = mapped_column(String(50))
    price_milli: Mapped[int] = mapped_column(BigInteger)
    tender: Mapped[str] = mapped_column(String(50), default="")
    tender_decision: Mapped[str | None] = mapped_column(String(50))
    tender_package: Mapped[str | None] = mapped_column(String(20))
    tender_group: Mapped[str | None] = mapped_column(String(20))
    tender_year: Mapped[int | None] = mapped_column(SmallInteger)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class ClaimSupply(Base):
    """A medical supply of a facility's catalogue (``MA_VAT_TU``, ``TEN_VAT_TU``, ``TT_THAU``)."""

    __tablename__ = "claim_supplies"
    __table_args__ = (
        UniqueConstraint(
            "facility_code", "supply_code", "tender", "valid_from", name="uq_claim_supplies_key"
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    facility_code: Mapped[str] = mapped_column(String(5), index=True)
    supply_code: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(1024))
    unit: Mapped[str] = mapped_column(String(50))
    price_milli: Mapped[int] = mapped_column(BigInteger)
    tender: Mapped[str] = mapped_column(String(50), default="")
    tender_decision: Mapped[str | None] = mapped_column(String(50))
    tender_package: Mapped[str | None] = mapped_column(String(20))
    tender_group: Mapped[str | None] = mapped_column(String(20))
    tender_year: Mapped[int | None] = mapped_column(SmallInteger)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class ClaimTender(Base):
    """A facility's tender result (kết quả trúng thầu): the winning price of a drug or supply under one
    ``TT_THAU``, with the quantity awarded."""

    __tablename__ = "claim_tenders"
    __table_args__ = (
        UniqueConstraint(
            "facility_code", "kind", "item_code", "tender", "valid_from", name="uq_claim_tenders_key"
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    facility_code: Mapped[str] = mapped_column(String(5), index=True)
    kind: Mapped[str] = mapped_column(String(6))  # drug | supply
    item_code: Mapped[str] = mapped_column(String(255), index=True)
    tender: Mapped[str] = mapped_column(String(50))
    tender_decision: Mapped[str] = mapped_column(String(50))
    tender_package: Mapped[str | None] = mapped_column(String(20))
    tender_group: Mapped[str | None] = mapped_column(String(20))
    tender_year: Mapped[int] = mapped_column(SmallInteger)
    price_milli: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
