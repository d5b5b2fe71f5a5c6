"""The notify service's own schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.outbox import define_message_tables
from services.chassis.states import status_column
from services.notify.domain import ANNOUNCEMENT_FANOUT, DELIVERY, FANOUT_PENDING, NOTIFICATION


class Base(DeclarativeBase):
    pass


define_message_tables(Base.metadata)


class Template(Base):
    """One version of a template; the highest version of a code is the one in use."""

    __tablename__ = "templates"

    code: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    system: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    sms_text: Mapped[str] = mapped_column(Text, default="")
    email_subject: Mapped[str] = mapped_column(String(200), default="")
    email_body: Mapped[str] = mapped_column(Text, default="")
    inbox_title: Mapped[str] = mapped_column(String(200), default="")
    inbox_body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64), default="")


class Notification(Base):
    """One accepted request (or one announcement's SMS/e-mail); its message id makes it arrive once."""

    __tablename__ = "notifications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(80), unique=True)
    system: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(128))
    template_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    params: Mapped[str] = mapped_column(Text, default="{}")
    priority: Mapped[str] = mapped_column(String(8))
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    # ACCEPTED, NO_RECIPIENTS or FAILED (with the reason): see domain.NOTIFICATION.
    status: Mapped[str] = status_column(NOTIFICATION, length=16)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One notification to one recipient on one channel, and where it stands."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", "recipient", name="uq_deliveries_once"),
        Index("ix_deliveries_status_updated", "status", "updated_at"),
        Index("ix_deliveries_recipient", "recipient", "created_at"),
        Index("ix_deliveries_template", "template", "created_at"),
        Index("ix_deliveries_provider_reference", "provider_reference"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    notification_id: Mapped[str] = mapped_column(ForeignKey("notifications.id"))
    channel: Mapped[str] = mapped_column(String(8))
    account_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    recipient: Mapped[str] = mapped_column(String(256))
    system: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(128))
    priority: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = status_column(DELIVERY, length=24)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    subject: Mapped[str] = mapped_column(String(400), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider_reference: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class InboxItem(Base):
    """A message in one account's in-site inbox; ``source`` makes each notice land there once."""

    __tablename__ = "inbox_items"
    __table_args__ = (
        UniqueConstraint("account_id", "source", name="uq_inbox_items_once"),
        Index("ix_inbox_items_account", "account_id", "visible_from"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(32))
    organization_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    system: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(Text)
    # "delivery:<id>", "announcement:<id>" or "notice:<id>".
    source: Mapped[str] = mapped_column(String(80))
    announcement_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    notice_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # A notice's sending agency as its recipients read it; NULL for system notices and announcements.
    sender_agency: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sender_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    visible_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Announcement(Base):
    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_published", "publish_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    system: Mapped[str] = mapped_column(String(32), default="")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    audience_kind: Mapped[str] = mapped_column(String(16))
    audience_system: Mapped[str] = mapped_column(String(32), default="")
    # JSON lists.
    org_types: Mapped[str] = mapped_column(Text, default="[]")
    organization_ids: Mapped[str] = mapped_column(Text, default="[]")
    channels: Mapped[str] = mapped_column(Text, default='["IN_SITE"]')
    publish_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # PENDING (waiting for publish_at) -> QUEUED (fan-out pages flowing) -> DONE: domain.ANNOUNCEMENT_FANOUT.
    fanout_state: Mapped[str] = status_column(ANNOUNCEMENT_FANOUT, length=16, default=FANOUT_PENDING)
    # identity's page token of the next audience page; "" for the first.
    fanout_cursor: Mapped[str] = mapped_column(Text, default="")
    recipients_count: Mapped[int] = mapped_column(Integer, default=0)


class Notice(Base):
    """A notice staff wrote to organisations; each member reached has an inbox row of it."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_sender", "created_by", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    system: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # JSON list, in the order given.
    organization_ids: Mapped[str] = mapped_column(Text, default="[]")
    sender_agency: Mapped[str] = mapped_column(String(64))
    sender_name: Mapped[str] = mapped_column(String(200))
    recipients_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Preference(Base):
    __tablename__ = "preferences"

    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sms_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    email_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
