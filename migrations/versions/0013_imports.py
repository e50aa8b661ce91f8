"""Imports: the index on persons.personal_id on SQLite too.

Migration 0001 created ``ix_persons_personal_id`` inside its PostgreSQL-only block, so SQLite
databases never had it (the model declares it): every ``personal_id IN (…)`` look-up of an import
scanned the whole persons table, which made a streamed import of 2.2 million persons quadratic
(each batch is looked up after the earlier batches were written).

Revision ID: 0013_imports
Revises: 0009_security
"""

import sqlalchemy as sa
from alembic import op

revision = '0013_imports'
down_revision = '0009_security'
branch_labels = None
depends_on = None


def _has_index() -> bool:
    indexes = sa.inspect(op.get_bind()).get_indexes("persons")
    return any(i["name"] == "ix_persons_personal_id" for i in indexes)


def upgrade() -> None:
    if not _has_index():
        op.create_index("ix_persons_personal_id", "persons", ["personal_id"], unique=False)


def downgrade() -> None:
    # PostgreSQL had the index from 0001: only SQLite loses it again
    if op.get_bind().dialect.name == "sqlite" and _has_index():
        op.drop_index("ix_persons_personal_id", table_name="persons")
