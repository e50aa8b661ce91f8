"""ledger: collection figures per commune (ledger_area_kpis), for commune-scoped dashboards

Revision ID: 0008_ledger
Revises: 0007
Create Date: 2026-11-30 10:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_ledger'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_area_kpis',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('area_code', sa.String(length=5), nullable=False),
    sa.Column('receivable', sa.BigInteger(), nullable=False),
    sa.Column('receivable_ytd', sa.BigInteger(), nullable=False),
    sa.Column('collected', sa.BigInteger(), nullable=False),
    sa.Column('arrears_late', sa.BigInteger(), nullable=False),
    sa.Column('arrears_collectible', sa.BigInteger(), nullable=False),
    sa.Column('arrears_open', sa.BigInteger(), nullable=False),
    sa.Column('surcharge_accrued', sa.BigInteger(), nullable=False),
    sa.Column('employers_late', sa.BigInteger(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('period', 'area_code', name=op.f('pk_ledger_area_kpis'))
    )


def downgrade() -> None:
    op.drop_table('ledger_area_kpis')
