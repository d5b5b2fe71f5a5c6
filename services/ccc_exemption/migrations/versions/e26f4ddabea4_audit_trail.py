"""audit trail

Revision ID: e26f4ddabea4
Revises: 1dd4d3f7d20f
Create Date: 2026-12-02 06:50:00.000000
"""
from collections.abc import Sequence

from alembic import op

from services.chassis.migrations import create_audit_table, drop_audit_table


revision: str = 'e26f4ddabea4'
down_revision: str | Sequence[str] | None = '1dd4d3f7d20f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_audit_table(op)


def downgrade() -> None:
    drop_audit_table(op)
