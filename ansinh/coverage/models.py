"""Coverage tables (độ bao phủ): denominators, the indicator snapshot, projections, outreach.

- ``coverage_denominators``: population (dân số), labour force (lực lượng lao động) and working-age
  population (dân số trong độ tuổi lao động) by area (province 2 digits or commune 5 digits) and
  year, imported from the statistics office's tables (Cục Thống kê) or estimated by the synthetic
  province; ``source`` says which.
- ``coverage_indicators``: the snapshot the pages read — area × period × indicator → numerator,
  denominator, value — rebuilt by the batch job (:mod:`ansinh.coverage.indicators`), never edited.
- ``coverage_projections``: per area × indicator, the trend, the projection to the target year with
  its band, the status against the target and the net monthly additions needed.
- ``coverage_ledger_cells``: the ledger summed per commune, period and posting month (kept up to
  date incrementally: the ledger is append-only).
- ``coverage_runs``: when the snapshot was computed, for which months, how long it took.
- ``outreach_campaigns`` and ``outreach_contacts``: who was approached (vận động), in which
  campaign, by whom, when, and the outcome (contacted, enrolled, refused, unreachable).
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
)
from sqlalchemy.orm import Mapped, mapped_column

from ansinh.core.db import Base

IdType = BigInteger().with_variant(Integer, "sqlite")

OUTCOMES = ("contacted", "enrolled", "refused", "unreachable")
LIST_KINDS = (
    "voluntary_prospects",
    "stopped_voluntary",
    "household_hi_gaps",
    "near_pension",
    "one_time_takers",
)
STATUSES = ("on_track", "at_risk", "off_track", "no_data")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Denominator(Base):
    """Population figures of one area for one year (mẫu số), with their source."""

    __tablename__ = "coverage_denominators"
    __table_args__ = (
        CheckConstraint(
            "population >= 0 AND labour_force >= 0 AND working_age_population >= 0", name="counts"
        ),
    )

    area_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    population: Mapped[int] = mapped_column(BigInteger)
    labour_force: Mapped[int] = mapped_column(BigInteger)
    working_age_population: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IndicatorValue(Base):
    """One figure of the snapshot: area × month × indicator."""

    __tablename__ = "coverage_indicators"
    __table_args__ = (Index("ix_coverage_indicators_rank", "indicator", "period", "value"),)

    area_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    indicator: Mapped[str] = mapped_column(String(32), primary_key=True)
    numerator: Mapped[int] = mapped_column(BigInteger)
    denominator: Mapped[int | None] = mapped_column(BigInteger)
    #: numerator ÷ denominator (a share, for ranking and charts), or the count when there is no
    #: denominator; NULL when the denominator is missing or zero.
    value: Mapped[float | None] = mapped_column(Float)


class Projection(Base):
    """Trend and projection of one indicator of one area to its target year."""

    __tablename__ = "coverage_projections"
    __table_args__ = (CheckConstraint(_in("status", STATUSES), name="status"),)

    area_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    indicator: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_period: Mapped[str] = mapped_column(String(7))
    last_value: Mapped[float | None] = mapped_column(Float)
    #: Change of the value per year (trend slope × 12).
    slope_per_year: Mapped[float | None] = mapped_column(Float)
    target_year: Mapped[int | None] = mapped_column(SmallInteger)
    target: Mapped[float | None] = mapped_column(Float)
    target_source: Mapped[str | None] = mapped_column(String(200))
    projected: Mapped[float | None] = mapped_column(Float)
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10))
    #: Net additions to the numerator needed each month from now to reach the target.
    needed_per_month: Mapped[int | None] = mapped_column(BigInteger)
    #: Yearly points of the projection: JSON [[period, mean, lower, upper], ...].
    path: Mapped[str] = mapped_column(Text, default="[]")
    model: Mapped[str] = mapped_column(String(80))


class LedgerCell(Base):
    """Employer contribution entries of the ledger summed per employer commune × period × posting
    month, up to entry ``upto_id``: the ledger is append-only, so each run of the batch adds only the
    entries posted since (``ansinh coverage compute --full`` rebuilds it)."""

    __tablename__ = "coverage_ledger_cells"

    commune_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    posted: Mapped[str] = mapped_column(String(7), primary_key=True)
    receivable: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    upto_id: Mapped[int] = mapped_column(BigInteger)


class Run(Base):
    """One run of the indicator batch."""

    __tablename__ = "coverage_runs"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    first_period: Mapped[str] = mapped_column(String(7))
    last_period: Mapped[str] = mapped_column(String(7))
    rows: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, default="")
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Campaign(Base):
    """An outreach campaign (đợt vận động): one list kind, in one commune or the province."""

    __tablename__ = "outreach_campaigns"
    __table_args__ = (CheckConstraint(_in("list_kind", LIST_KINDS), name="list_kind"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    list_kind: Mapped[str] = mapped_column(String(24))
    area_code: Mapped[str] = mapped_column(String(5))
    started_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Contact(Base):
    """One recorded approach of one person (lần tiếp cận) and its outcome."""

    __tablename__ = "outreach_contacts"
    __table_args__ = (
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),
        Index("ix_outreach_contacts_campaign", "campaign_id", "person_id"),
        Index("ix_outreach_contacts_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("outreach_campaigns.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    commune_code: Mapped[str] = mapped_column(String(5))
    outcome: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(String(300))
    contacted_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
