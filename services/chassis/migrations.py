"""Alembic per service: one shared environment, each service's revisions in its own ``migrations/versions``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

from services.chassis.audit import AUDIT_INDEXES, AUDIT_TABLE, audit_columns
from services.chassis.outbox import (
    INBOX_TABLE,
    OUTBOX_TABLE,
    OUTBOX_UNSENT_COLUMNS,
    OUTBOX_UNSENT_INDEX,
    inbox_columns,
    outbox_columns,
)

SCRIPT_LOCATION = Path(__file__).resolve().parent / "alembic"
# How models and database are compared, both when generating revisions and when checking them.
COMPARE_OPTIONS = {"compare_type": True, "compare_server_default": False}


def alembic_config(metadata: MetaData, versions_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("version_locations", str(versions_dir))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = database_url
    config.attributes["target_metadata"] = metadata
    return config


def upgrade(metadata: MetaData, versions_dir: Path, database_url: str) -> None:
    """Bring the database to head. Alembic takes no lock: replicas starting together queue on one here,
    and those after the first find the schema at head and do nothing."""
    from services.chassis.db import make_engine, one_at_a_time

    engine = make_engine(database_url)
    try:
        with one_at_a_time(engine, "alembic.upgrade"):
            command.upgrade(alembic_config(metadata, versions_dir, database_url), "head")
    finally:
        engine.dispose()


def make_revision(metadata: MetaData, versions_dir: Path, database_url: str, message: str) -> None:
    """Autogenerate a revision from the difference between the models and the database."""
    versions_dir.mkdir(parents=True, exist_ok=True)
    config = alembic_config(metadata, versions_dir, database_url)
    config.attributes["skip_empty"] = True
    command.revision(config, message=message, autogenerate=True)


def differences(metadata: MetaData, database_url: str) -> list:
    """What the models have that the database lacks (or the reverse): empty when migrations are complete."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from services.chassis.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts=COMPARE_OPTIONS)
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def create_message_tables(op) -> None:
    """The outbox and inbox tables, in a service's first revision: ``create_message_tables(op)``.

    Built from the same column definitions as the models, so schema and models cannot drift apart.
    """
    op.create_table(INBOX_TABLE, *inbox_columns())
    op.create_table(OUTBOX_TABLE, *outbox_columns())
    op.create_index(OUTBOX_UNSENT_INDEX, OUTBOX_TABLE, list(OUTBOX_UNSENT_COLUMNS))


def drop_message_tables(op) -> None:
    op.drop_index(OUTBOX_UNSENT_INDEX, table_name=OUTBOX_TABLE)
    op.drop_table(OUTBOX_TABLE)
    op.drop_table(INBOX_TABLE)


def create_audit_table(op) -> None:
    """The audit trail (services/chassis/audit.py), in a service's revision: ``create_audit_table(op)``."""
    op.create_table(AUDIT_TABLE, *audit_columns())
    for name, columns in AUDIT_INDEXES:
        op.create_index(name, AUDIT_TABLE, list(columns))


def drop_audit_table(op) -> None:
    for name, _columns in AUDIT_INDEXES:
        op.drop_index(name, table_name=AUDIT_TABLE)
    op.drop_table(AUDIT_TABLE)
