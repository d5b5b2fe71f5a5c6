"""token revocations

Revision ID: 7c1e2f9a4b3d
Revises: 15a8e7488236
Create Date: 2026-12-02 06:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '7c1e2f9a4b3d'
down_revision: str | Sequence[str] | None = '15a8e7488236'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'token_revocations',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.String(length=64), nullable=False),
        sa.Column('issued_before_ms', sa.BigInteger(), nullable=False),
        sa.Column('organization_id', sa.String(length=32), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_token_revocations_recorded', 'token_revocations', ['recorded_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_token_revocations_recorded', table_name='token_revocations')
    op.drop_table('token_revocations')
