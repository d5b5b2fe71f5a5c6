"""The declarative base, the message and attachment tables, and the history every record keeps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.db import BigIntPK, utcnow
from services.chassis.documents.tables import define_attachment_tables
from services.chassis.outbox import define_message_tables

# Prices and values: up to four places (unit prices of materials are often fractions of a cent).
MONEY_PRECISION, MONEY_SCALE = 18, 4


class Base(DeclarativeBase):
    pass


define_message_tables(Base.metadata)
ATTACHMENTS = define_attachment_tables(Base.metadata)


class Decided:
    """The columns of a request someone decides (a migration, a lost-reissue): who asked, who decided, what they
    said, and when each happened."""

    requested_by: Mapped[str] = mapped_column(String(64))
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decided_by_name: Mapped[str] = mapped_column(String(100), default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecordStep(Base):
    """One step in a record's history (流转记录): who did what, from which status to which, and what they said."""

    __tablename__ = "record_steps"
    __table_args__ = (Index("ix_record_steps_record", "record_type", "record_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(32), default="")
    to_state: Mapped[str] = mapped_column(String(32), default="")
    actor_id: Mapped[str] = mapped_column(String(64), default="")
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
