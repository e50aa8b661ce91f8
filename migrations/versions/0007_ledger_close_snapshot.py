"""ledger: close snapshot (open amounts per scheme, period dues, payment allocations, close marks)

A close reads the previous close's snapshot plus the entries posted since, instead of every entry
ever posted (issue 5: month-end close ≤ 10 s on the 1.3M-person province).

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-30 06:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0003'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_SCHEME_COLUMNS = ('open_si', 'open_hi', 'open_ui', 'surcharge_si', 'surcharge_hi', 'surcharge_ui')


def upgrade() -> None:
    with op.batch_alter_table('ledger_balances', schema=None) as batch_op:
        for name in _SCHEME_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.BigInteger(), server_default='0', nullable=False))
    # Partial indexes: dues and surcharges (most entries) carry neither a payment nor a person.
    for name, column in (('ix_ledger_entries_payment', 'payment_id'), ('ix_ledger_entries_person', 'person_id')):
        op.drop_index(name, table_name='ledger_entries')
        op.create_index(
            name,
            'ledger_entries',
            [column],
            sqlite_where=sa.text(f'{column} IS NOT NULL'),
            postgresql_where=sa.text(f'{column} IS NOT NULL'),
        )
    op.create_table('ledger_closes',
    sa.Column('id', _ID, nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('through_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_closes'))
    )
    op.create_table('ledger_period_dues',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('period', name=op.f('pk_ledger_period_dues'))
    )
    op.create_table('ledger_payment_allocations',
    sa.Column('payment_id', _ID, nullable=False),
    sa.Column('allocated', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_ledger_payment_allocations_payment_id_payments')),
    sa.PrimaryKeyConstraint('payment_id', name=op.f('pk_ledger_payment_allocations'))
    )


def downgrade() -> None:
    op.drop_table('ledger_payment_allocations')
    op.drop_table('ledger_period_dues')
    op.drop_table('ledger_closes')
    with op.batch_alter_table('ledger_balances', schema=None) as batch_op:
        for name in _SCHEME_COLUMNS:
            batch_op.drop_column(name)
    for name, column in (('ix_ledger_entries_payment', 'payment_id'), ('ix_ledger_entries_person', 'person_id')):
        op.drop_index(name, table_name='ledger_entries')
        op.create_index(name, 'ledger_entries', [column])
