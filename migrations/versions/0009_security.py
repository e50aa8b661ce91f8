"""security: hospital role and facility binding, forced password change, atomic sign-in throttles,
per-token daily usage

Revision ID: 0009_security
Revises: 0002
Create Date: 2026-12-03 12:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_security'
down_revision = '0002'
branch_labels = None
depends_on = None

OLD_ROLES = ('administrator', 'director', 'collection_officer', 'benefits_officer', 'claims_reviewer',
             'inspector', 'commune_officer', 'viewer')
NEW_ROLES = (*OLD_ROLES, 'hospital')


def _roles(roles: tuple[str, ...]) -> str:
    return "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('facility_codes', sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint('role', _roles(NEW_ROLES))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facility_codes', sa.Text(), nullable=True))
    op.create_table('api_token_usage',
    sa.Column('token_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('bytes', sa.BigInteger(), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_api_token_usage_token_id_api_tokens')),
    sa.PrimaryKeyConstraint('token_id', 'day', name=op.f('pk_api_token_usage'))
    )
    op.create_table('sign_in_throttles',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_throttles'))
    )


def downgrade() -> None:
    op.drop_table('sign_in_throttles')
    op.drop_table('api_token_usage')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('facility_codes')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint('role', _roles(OLD_ROLES))
        batch_op.drop_column('facility_codes')
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('must_change_password')
