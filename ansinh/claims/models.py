"""Tables of the claims domain (giám định BHYT): reference data, received files and episodes, findings.

Money is an integer number of đồng; quantities and unit prices, which QĐ 130 gives with 3 decimals, are
kept in thousandths (``*_milli``) so that no float comes near them. Reference data is effective-dated
(``valid_from`` / ``valid_to``, both inclusive, ``valid_to`` NULL while in force).

An episode (hồ sơ, key ``MA_LK``) received twice with the same content is stored once; a resubmission
with other content becomes the next ``version`` and the previous one is marked ``superseded``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ansinh.core.db import Base

IdType = BigInteger().with_variant(Integer, "sqlite")

# --- reference data (danh mục) -----------------------------------------------------------------


class ClaimFacility(Base):
    """A health facility (cơ sở KCB, ``MA_CSKCB``): its level (1 central, 2 provincial, 3 district /
    basic, 4 commune station) and province."""

    __tablename__ = "claim_facilities"
    __table_args__ = (UniqueConstraint("code", "valid_from", name="uq_claim_facilities_code_from"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    code: Mapped[str] = mapped_column(String(5), index=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(SmallInteger)
    province_code: Mapped[str] = mapped_column(String(2))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class ClaimLicence(Base):
    """A technical service a facility is licensed to perform (danh mục DVKT được phê duyệt)."""

    __tablename__ = "claim_licences"
    __table_args__ = (
        UniqueConstraint("facility_code", "service_code", "valid_from", name="uq_claim_licences_key"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    facility_code: Mapped[str] = mapped_column(String(5))
    service_code: Mapped[str] = mapped_column(String(50))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class ClaimServicePrice(Base):
    """The HI price (``DON_GIA_BH``) of a technical service at a facility level, and how many times a
    day it may be charged (``max_per_day``, NULL when unlimited)."""

    __tablename__ = "claim_service_prices"
    __table_args__ = (
        UniqueConstraint("service_code", "facility_level", "valid_from", name="uq_claim_service_prices_key"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    service_code: Mapped[str] = mapped_column(String(50), index=True)
    name: Mapped[str] = mapped_column(String(300))
    facility_level: Mapped[int] = mapped_column(SmallInteger)
    price: Mapped[int] = mapped_column(BigInteger)
    max_per_day: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class ClaimItemPrice(Base):
    """A drug or medical supply with its tendered price (giá trúng thầu, ``TT_THAU``) at a facility."""

    __tablename__ = "claim_item_prices"
    __table_args__ = (
        UniqueConstraint("facility_code", "item_code", "valid_from", name="uq_claim_item_prices_key"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    facility_code: Mapped[str] = mapped_column(String(5))
    item_code: Mapped[str] = mapped_column(String(50), index=True)
    kind: Mapped[str] = mapped_column(String(6))  # drug | supply
    name: Mapped[str] = mapped_column(String(300))
    tender_price: Mapped[int] = mapped_column(BigInteger)
    max_per_day: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class ClaimIcd(Base):
    """An ICD-10 code (QĐ 4469/QĐ-BYT) with the sex and age it is consistent with, and whether it is a
    high-severity variant of its group (used to spot upcoding)."""

    __tablename__ = "claim_icd"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    chapter: Mapped[str] = mapped_column(String(3))
    sex: Mapped[str | None] = mapped_column(String(6))  # male | female | NULL (either)
    min_age: Mapped[int | None] = mapped_column(SmallInteger)
    max_age: Mapped[int | None] = mapped_column(SmallInteger)
    high_severity: Mapped[bool] = mapped_column(Boolean, default=False)


class ClaimPractitioner(Base):
    """A practitioner (``MA_BAC_SI``, practising certificate number) and the facility they work at."""

    __tablename__ = "claim_practitioners"
    __table_args__ = (UniqueConstraint("code", "valid_from", name="uq_claim_practitioners_key"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    code: Mapped[str] = mapped_column(String(30), index=True)
    name: Mapped[str] = mapped_column(String(100))
    facility_code: Mapped[str] = mapped_column(String(5))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class ClaimAllocation(Base):
    """A facility's annual HI budget allocation (dự toán chi KCB BHYT giao cho cơ sở)."""

    __tablename__ = "claim_allocations"
    __table_args__ = (UniqueConstraint("facility_code", "year", name="uq_claim_allocations_key"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    facility_code: Mapped[str] = mapped_column(String(5))
    year: Mapped[int] = mapped_column(SmallInteger)
    amount: Mapped[int] = mapped_column(BigInteger)


# --- intake (tiếp nhận hồ sơ đề nghị thanh toán) --------------------------------------------------


class ClaimFile(Base):
    """One received file (GIAMDINHHS envelope) and its receipt."""

    __tablename__ = "claim_files"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    facility_code: Mapped[str | None] = mapped_column(String(5))
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_by: Mapped[str] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(8))
    error_message: Mapped[str | None] = mapped_column(Text)
    episodes: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    new_versions: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


class ClaimRejection(Base):
    """An episode refused at intake, with its stable reason code."""

    __tablename__ = "claim_rejections"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("claim_files.id"), index=True)
    ma_lk: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(8))
    detail: Mapped[str] = mapped_column(Text)


class ClaimEpisode(Base):
    """One treatment episode (hồ sơ, XML1 ``TONG_HOP``) as received."""

    __tablename__ = "claim_episodes"
    __table_args__ = (
        UniqueConstraint("facility_code", "ma_lk", "content_hash", name="uq_claim_episodes_content"),
        Index("ix_claim_episodes_key", "facility_code", "ma_lk", "version"),
        Index("ix_claim_episodes_card", "card_number", "admitted_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("claim_files.id"), index=True)
    facility_code: Mapped[str] = mapped_column(String(5))
    ma_lk: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(SmallInteger)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64))
    patient_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[int] = mapped_column(SmallInteger)  # 1 male, 2 female, 3 undetermined
    card_number: Mapped[str] = mapped_column(String(15))
    card_from: Mapped[date | None] = mapped_column(Date)
    card_to: Mapped[date | None] = mapped_column(Date)
    icd_main: Mapped[str] = mapped_column(String(10))
    icd_other: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(2))  # MA_LOAI_KCB
    admitted_at: Mapped[datetime] = mapped_column(DateTime)
    discharged_at: Mapped[datetime] = mapped_column(DateTime)
    treatment_days: Mapped[int] = mapped_column(SmallInteger)
    benefit_rate: Mapped[int] = mapped_column(SmallInteger)  # MUC_HUONG, percent
    practitioner: Mapped[str | None] = mapped_column(String(30))
    total_hospital: Mapped[int] = mapped_column(BigInteger)  # T_TONGCHI_BV
    total_hi: Mapped[int] = mapped_column(BigInteger)  # T_TONGCHI_BH
    patient_copay: Mapped[int] = mapped_column(BigInteger)  # T_BNCCT
    patient_self: Mapped[int] = mapped_column(BigInteger)  # T_BNTT
    fund_claimed: Mapped[int] = mapped_column(BigInteger)  # T_BHTT
    settle_year: Mapped[int] = mapped_column(SmallInteger)
    settle_month: Mapped[int] = mapped_column(SmallInteger)


class ClaimLine(Base):
    """A drug (XML2) or service/supply (XML3) line of an episode."""

    __tablename__ = "claim_lines"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("claim_episodes.id"), index=True)
    source: Mapped[str] = mapped_column(String(4))  # XML2 | XML3
    seq: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(7))  # drug | service | supply
    group_code: Mapped[str | None] = mapped_column(String(4))
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    unit_price_milli: Mapped[int] = mapped_column(BigInteger)
    payment_rate: Mapped[int] = mapped_column(SmallInteger)  # TYLE_TT_BH, percent
    amount_hospital: Mapped[int] = mapped_column(BigInteger)  # THANH_TIEN_BV
    amount_hi: Mapped[int] = mapped_column(BigInteger)  # THANH_TIEN_BH
    practitioner: Mapped[str | None] = mapped_column(String(30))
    ordered_on: Mapped[date] = mapped_column(Date)  # NGAY_YL
    performed_at: Mapped[datetime | None] = mapped_column(DateTime)  # NGAY_TH_YL


class ClaimAttachment(Base):
    """Any other table of the episode (XML4–XML15, check-in), kept as received (decoded XML)."""

    __tablename__ = "claim_attachments"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("claim_episodes.id"), index=True)
    table_type: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)


# --- review (giám định) ------------------------------------------------------------------------


class ClaimFinding(Base):
    """A rule's finding on an episode: the amount it disallows (xuất toán) and its evidence (JSON).
    A reviewer upholds or overrides it with a reason."""

    __tablename__ = "claim_findings"
    __table_args__ = (Index("ix_claim_findings_episode", "episode_id", "rule_code"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("claim_episodes.id"))
    rule_code: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(BigInteger)
    evidence: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | upheld | overridden
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)


class ClaimReview(Base):
    """The outcome of the automatic review of an episode and its place in the reviewer queue."""

    __tablename__ = "claim_reviews"
    __table_args__ = (Index("ix_claim_reviews_queue", "outcome", "priority"),)

    episode_id: Mapped[int] = mapped_column(ForeignKey("claim_episodes.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(10))  # accepted | deducted | review
    risk: Mapped[int] = mapped_column(SmallInteger)
    disallowed: Mapped[int] = mapped_column(BigInteger)
    approved: Mapped[int] = mapped_column(BigInteger)
    priority: Mapped[int] = mapped_column(BigInteger)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
