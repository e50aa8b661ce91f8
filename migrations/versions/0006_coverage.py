"""coverage: denominators, indicator snapshot, projections, ledger cells, runs, outreach campaigns and contacts

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-30 06:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "coverage_denominators",
        sa.Column("area_code", sa.String(length=5), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("population", sa.BigInteger(), nullable=False),
        sa.Column("labour_force", sa.BigInteger(), nullable=False),
        sa.Column("working_age_population", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "population >= 0 AND labour_force >= 0 AND working_age_population >= 0",
            name=op.f("ck_coverage_denominators_counts"),
        ),
        sa.PrimaryKeyConstraint("area_code", "year", name=op.f("pk_coverage_denominators")),
    )
    op.create_table(
        "coverage_indicators",
        sa.Column("area_code", sa.String(length=5), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("indicator", sa.String(length=32), nullable=False),
        sa.Column("numerator", sa.BigInteger(), nullable=False),
        sa.Column("denominator", sa.BigInteger(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("area_code", "period", "indicator", name=op.f("pk_coverage_indicators")),
    )
    with op.batch_alter_table("coverage_indicators", schema=None) as batch_op:
        batch_op.create_index("ix_coverage_indicators_rank", ["indicator", "period", "value"], unique=False)

    op.create_table(
        "coverage_projections",
        sa.Column("area_code", sa.String(length=5), nullable=False),
        sa.Column("indicator", sa.String(length=32), nullable=False),
        sa.Column("last_period", sa.String(length=7), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("slope_per_year", sa.Float(), nullable=True),
        sa.Column("target_year", sa.SmallInteger(), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("target_source", sa.String(length=200), nullable=True),
        sa.Column("projected", sa.Float(), nullable=True),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("needed_per_month", sa.BigInteger(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.CheckConstraint(
            "status IN ('on_track', 'at_risk', 'off_track', 'no_data')",
            name=op.f("ck_coverage_projections_status"),
        ),
        sa.PrimaryKeyConstraint("area_code", "indicator", name=op.f("pk_coverage_projections")),
    )
    op.create_table(
        "coverage_ledger_cells",
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("posted", sa.String(length=7), nullable=False),
        sa.Column("receivable", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("upto_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("commune_code", "period", "posted", name=op.f("pk_coverage_ledger_cells")),
    )
    op.create_table(
        "coverage_runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("first_period", sa.String(length=7), nullable=False),
        sa.Column("last_period", sa.String(length=7), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_runs")),
    )
    op.create_table(
        "outreach_campaigns",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("list_kind", sa.String(length=24), nullable=False),
        sa.Column("area_code", sa.String(length=5), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "list_kind IN ('voluntary_prospects', 'stopped_voluntary', 'household_hi_gaps', 'near_pension', 'one_time_takers')",
            name=op.f("ck_outreach_campaigns_list_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_campaigns")),
    )
    op.create_table(
        "outreach_contacts",
        sa.Column("id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('contacted', 'enrolled', 'refused', 'unreachable')",
            name=op.f("ck_outreach_contacts_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["outreach_campaigns.id"],
            name=op.f("fk_outreach_contacts_campaign_id_outreach_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_outreach_contacts_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_contacts")),
    )
    with op.batch_alter_table("outreach_contacts", schema=None) as batch_op:
        batch_op.create_index("ix_outreach_contacts_campaign", ["campaign_id", "person_id"], unique=False)
        batch_op.create_index("ix_outreach_contacts_person", ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outreach_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_outreach_contacts_person")
        batch_op.drop_index("ix_outreach_contacts_campaign")
    op.drop_table("outreach_contacts")
    op.drop_table("outreach_campaigns")
    op.drop_table("coverage_runs")
    op.drop_table("coverage_ledger_cells")
    op.drop_table("coverage_projections")
    with op.batch_alter_table("coverage_indicators", schema=None) as batch_op:
        batch_op.drop_index("ix_coverage_indicators_rank")
    op.drop_table("coverage_indicators")
    op.drop_table("coverage_denominators")
