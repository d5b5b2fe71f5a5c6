"""audit trail

Revision ID: 5f482915a6f8
Revises: 81fad3295388
Create Date: 2026-12-02 06:50:00.000000
"""
from collections.abc import Sequence

from alembic import op

from services.chassis.migrations import create_audit_table, drop_audit_table


revision: str = '5f482915a6f8'
down_revision: str | Sequence[str] | None = '81fad3295388'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_audit_table(op)


def downgrade() -> None:
    drop_audit_table(op)
