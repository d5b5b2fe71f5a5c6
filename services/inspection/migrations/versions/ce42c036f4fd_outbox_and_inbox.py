"""outbox and inbox, and the attachment tables

Revision ID: ce42c036f4fd
Revises: 
Create Date: 2026-11-23 11:37:56.519862
"""
from collections.abc import Sequence

from alembic import op

from services.chassis.documents.migrations import create_attachment_tables, drop_attachment_tables
from services.chassis.migrations import create_message_tables, drop_message_tables

revision: str = 'ce42c036f4fd'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_message_tables(op)
    create_attachment_tables(op)


def downgrade() -> None:
    drop_attachment_tables(op)
    drop_message_tables(op)
