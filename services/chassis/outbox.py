"""The transactional outbox and the consumer's inbox, as tables in each service's own database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text

from services.chassis.db import BigIntPK


@dataclass(frozen=True)
class MessageTables:
    outbox: Table
    inbox: Table


def define_message_tables(metadata: MetaData) -> MessageTables:
    """Add ``outbox_messages`` and ``inbox_messages`` to a service's metadata (and so its migrations)."""
    outbox = Table(
        "outbox_messages",
        metadata,
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
        Index("ix_outbox_messages_unsent", "sent_at", "id"),
    )
    inbox = Table(
        "inbox_messages",
        metadata,
        Column("message_id", String(64), primary_key=True),
        Column("consumer", String(128), primary_key=True),
        Column("received_at", DateTime(timezone=True), nullable=False),
    )
    return MessageTables(outbox=outbox, inbox=inbox)
