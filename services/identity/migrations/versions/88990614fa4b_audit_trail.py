"""audit trail

Revision ID: 88990614fa4b
Revises: 7c1e2f9a4b3d
Create Date: 2026-12-02 06:50:00.000000
"""
from collections.abc import Sequence

from alembic import op

from services.chassis.migrations import create_audit_table, drop_audit_table


revision: str = '88990614fa4b'
down_revision: str | Sequence[str] | None = '7c1e2f9a4b3d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_audit_table(op)


def downgrade() -> None:
    drop_audit_table(op)
