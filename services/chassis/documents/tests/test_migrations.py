"""The attachment tables' migration helper builds exactly what the models describe, on real PostgreSQL."""

from __future__ import annotations

from sqlalchemy import MetaData, inspect

from services.chassis import migrations
from services.chassis.db import make_engine
from services.chassis.documents.tables import define_attachment_tables
from services.chassis.outbox import define_message_tables

REVISION = '''"""first"""
from services.chassis.documents.migrations import create_attachment_tables, drop_attachment_tables
from services.chassis.migrations import create_audit_table, create_message_tables

revision = "0001"
down_revision = None


def upgrade():
    create_message_tables(op)
    create_audit_table(op)
    create_attachment_tables(op)


def downgrade():
    drop_attachment_tables(op)
'''


def test_one_line_in_a_revision_creates_tables_that_match_the_models(postgres_database, tmp_path):
    url = postgres_database("documents_migration")
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_first.py").write_text("from alembic import op\n" + REVISION)
    metadata = MetaData()
    define_message_tables(metadata)
    define_attachment_tables(metadata)
    migrations.upgrade(metadata, versions, url)
    assert migrations.differences(metadata, url) == []
    engine = make_engine(url)
    try:
        names = set(inspect(engine).get_table_names())
        assert {"attachments", "attachment_contents"} <= names
        foreign = inspect(engine).get_foreign_keys("attachment_contents")[0]
        assert foreign["referred_table"] == "attachments" and foreign["options"].get("ondelete") == "CASCADE"
    finally:
        engine.dispose()
