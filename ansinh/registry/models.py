"""Registry tables: administrative units, persons, households, employers, participation, dedup.

Effective-dated facts (an employer's wage region, its status, a person's participation in a scheme)
are rows with ``valid_from`` and an optional ``valid_to`` (inclusive; NULL = still in force), never
overwritten columns, so that any past month can be answered as it was.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ansinh.core.db import Base, SearchKey

#: Integer primary keys: 64-bit on PostgreSQL, SQLite's rowid alias on SQLite.
IdType = BigInteger().with_variant(Integer, "sqlite")

SCHEMES = ("si", "vsi", "hi", "ui")
"""si = compulsory social insurance (BHXH bắt buộc), vsi = voluntary SI (BHXH tự nguyện),
hi = health insurance (BHYT), ui = unemployment insurance (BHTN)."""

GENDERS = ("male", "female")
EMPLOYER_KINDS = (
    "enterprise",
    "state_agency",
    "business_household",
    "cooperative",
    "ngo",
    "foreign_org",
    "other",
)
EMPLOYER_STATUSES = ("active", "suspended", "dissolved", "absconded")
POVERTY_STATUSES = ("poor", "near_poor", "none")
SUPPORT_GROUPS = ("poor", "near_poor", "ethnic_minority", "other")
RELATIONS = ("head", "spouse", "child", "parent", "grandchild", "sibling", "other")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# --- administrative units (QĐ 19/2025/QĐ-TTg; legacy QĐ 124/2004/QĐ-TTg) ---------------------


class Province(Base):
    """Province-level unit (tỉnh / thành phố trực thuộc trung ương), 34 from 1 July 2025."""

    __tablename__ = "provinces"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    legal_basis: Mapped[str] = mapped_column(String(128))


class LegacyProvince(Base):
    """One of the 63 provinces before 1 July 2025. Its code stays inside identifiers issued then
    (personal ID digits 1–3, HI card digits 4–5, facility codes), so it is kept, not re-mapped."""

    __tablename__ = "legacy_provinces"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    valid_to: Mapped[date] = mapped_column(Date)
    successor_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)


class Commune(Base):
    """Commune-level unit (xã / phường / đặc khu), 5-digit code."""

    __tablename__ = "communes"
    __table_args__ = (CheckConstraint(_in("kind", ("xa", "phuong", "dac_khu")), name="kind"),)

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    #: Minimum-wage region (vùng I–IV) of the commune under the annex of the decree in force.
    wage_region: Mapped[int | None] = mapped_column(SmallInteger)


class CommuneSuccession(Base):
    """Old commune → new commune (many-to-many: some old communes were split)."""

    __tablename__ = "commune_successions"

    legacy_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), primary_key=True)


# --- households and persons --------------------------------------------------------------------


class Household(Base):
    """Household (hộ gia đình) as registered for residence."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    address: Mapped[str | None] = mapped_column(String(200))


class HouseholdPoverty(Base):
    """Poverty status of a household for one year (hộ nghèo / hộ cận nghèo), from the commune's review."""

    __tablename__ = "household_poverty"
    __table_args__ = (CheckConstraint(_in("status", POVERTY_STATUSES), name="status"),)

    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    status: Mapped[str] = mapped_column(String(10))


class Person(Base):
    """A person known to the office. ``personal_id`` (số định danh cá nhân) is the 12-digit ID;
    ``si_number`` (mã số BHXH) the 10-digit SI number, opaque, leading zeros kept. The same
    personal ID may appear on two records until de-duplication merges them ("một người nhiều sổ")."""

    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint(_in("gender", GENDERS), name="gender"),
        # Serves the name-prefix search in result order (name, birth date, id) without a sort.
        Index("ix_persons_name_key", "name_key", "birth_date", "id"),
        Index("ix_persons_personal_id", "personal_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    personal_id: Mapped[str | None] = mapped_column(String(12))
    si_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(SearchKey)
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(6))
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    relation_to_head: Mapped[str | None] = mapped_column(String(12))
    ethnicity: Mapped[str | None] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(15))
    death_date: Mapped[date | None] = mapped_column(Date)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)


# --- employers ---------------------------------------------------------------------------------


class Employer(Base):
    """Employer (đơn vị sử dụng lao động), keyed by tax code: 10 digits, or 10-3 for a branch."""

    __tablename__ = "employers"
    __table_args__ = (CheckConstraint(_in("kind", EMPLOYER_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    tax_code: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(SearchKey, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    #: VSIC 2018 section letter (A–U).
    sector: Mapped[str] = mapped_column(String(1))
    registered_on: Mapped[date | None] = mapped_column(Date)


class EmployerRegion(Base):
    """Minimum-wage region (vùng I–IV) of an employer's place of operation, effective-dated."""

    __tablename__ = "employer_regions"
    __table_args__ = (CheckConstraint("region BETWEEN 1 AND 4", name="region"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    region: Mapped[int] = mapped_column(SmallInteger)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class EmployerStatus(Base):
    """Operating status of an employer, effective-dated (active, suspended, dissolved, absconded)."""

    __tablename__ = "employer_statuses"
    __table_args__ = (CheckConstraint(_in("status", EMPLOYER_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


# --- participation -----------------------------------------------------------------------------


class Participation(Base):
    """One spell of a person in one scheme, effective-dated (quá trình tham gia).

    - ``si``/``ui``: compulsory, through ``employer_id``, on the contribution ``salary``;
    - ``vsi``: voluntary SI on the chosen ``income``, with the state ``support_group``;
    - ``hi``: health insurance: participant group code (mã đối tượng), benefit-level digit,
      registered primary-care facility (nơi ĐKKCB ban đầu), card number and card validity.
    A change of salary, employer or HI group closes one spell and opens the next.
    """

    __tablename__ = "participations"
    __table_args__ = (
        CheckConstraint(_in("scheme", SCHEMES), name="scheme"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="dates"),
        CheckConstraint("hi_benefit_level IS NULL OR hi_benefit_level BETWEEN 1 AND 5", name="benefit"),
        Index("ix_participations_person_scheme", "person_id", "scheme", "valid_from"),
        Index("ix_participations_employer", "employer_id", "scheme"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    scheme: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"))
    salary: Mapped[int | None] = mapped_column(BigInteger)
    income: Mapped[int | None] = mapped_column(BigInteger)
    support_group: Mapped[str | None] = mapped_column(String(16))
    hi_group: Mapped[str | None] = mapped_column(String(2))
    hi_benefit_level: Mapped[int | None] = mapped_column(SmallInteger)
    hi_facility: Mapped[str | None] = mapped_column(String(5))
    hi_card_number: Mapped[str | None] = mapped_column(String(15), index=True)


# --- de-duplication ----------------------------------------------------------------------------


class DedupCandidate(Base):
    """A pair of person records that are probably one human, scored, waiting for review."""

    __tablename__ = "dedup_candidates"
    __table_args__ = (
        UniqueConstraint("person_a_id", "person_b_id", name="pair"),
        CheckConstraint(_in("status", ("open", "merged", "dismissed")), name="status"),
        CheckConstraint("person_a_id < person_b_id", name="order"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    person_a_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    person_b_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="open")
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class ImportBatch(Base):
    """One imported file: its checksum makes a second import of the same file a no-op."""

    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("kind", "sha256", name="file"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_imported: Mapped[int] = mapped_column(Integer)
    rows_quarantined: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
