"""audit trail

Revision ID: 4a438776123a
Revises: b2779b9b6be9
Create Date: 2026-12-02 06:50:00.000000
"""
from collections.abc import Sequence

from alembic import op

from services.chassis.migrations import create_audit_table, drop_audit_table


revision: str = '4a438776123a'
down_revision: str | Sequence[str] | None = 'b2779b9b6be9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_audit_table(op)


def downgrade() -> None:
    drop_audit_table(op)
