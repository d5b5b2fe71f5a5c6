"""The transactional outbox and the consumer's inbox, as tables in each service's own database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text

from services.chassis.audit import AUDIT_TABLE, define_audit_table
from services.chassis.db import BigIntPK

OUTBOX_TABLE = "outbox_messages"
INBOX_TABLE = "inbox_messages"
OUTBOX_UNSENT_INDEX = "ix_outbox_messages_unsent"


@dataclass(frozen=True)
class MessageTables:
    outbox: Table
    inbox: Table
    # The audit trail (services/chassis/audit.py); a unit of work without one writes no audit rows.
    audit: Table | None = None

    @classmethod
    def of(cls, metadata: MetaData) -> MessageTables:
        """The tables :func:`define_message_tables` added to ``metadata``."""
        return cls(outbox=metadata.tables[OUTBOX_TABLE], inbox=metadata.tables[INBOX_TABLE],
                   audit=metadata.tables.get(AUDIT_TABLE))


def outbox_columns() -> list[Column]:
    """Fresh column objects each call: for the models' metadata and for the first migration alike."""
    return [
        Column("id", BigIntPK, primary_key=True, autoincrement=True),
        Column("message_id", String(64), nullable=False, unique=True),
        Column("exchange", String(128), nullable=False),
        Column("routing_key", String(128), nullable=False),
        Column("payload", Text, nullable=False),
        # W3C trace context and request id, carried into AMQP headers.
        Column("headers", Text, nullable=False, default="{}"),
        Column("priority", Integer, nullable=False, default=0),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
    ]


def inbox_columns() -> list[Column]:
    return [
        Column("message_id", String(64), primary_key=True),
        Column("consumer", String(128), primary_key=True),
        Column("received_at", DateTime(timezone=True), nullable=False),
    ]


OUTBOX_UNSENT_COLUMNS = ("sent_at", "id")


def define_message_tables(metadata: MetaData) -> MessageTables:
    """Add ``outbox_messages``, ``inbox_messages`` and the ``audit_trail`` to a service's metadata (and so its
    migrations): every service that has an outbox keeps an audit trail with nothing of its own to write."""
    outbox = Table(OUTBOX_TABLE, metadata, *outbox_columns(), Index(OUTBOX_UNSENT_INDEX, *OUTBOX_UNSENT_COLUMNS))
    inbox = Table(INBOX_TABLE, metadata, *inbox_columns())
    return MessageTables(outbox=outbox, inbox=inbox, audit=define_audit_table(metadata))
