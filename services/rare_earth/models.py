"""The rare_earth service's own schema.

An enterprise's registration and its published profile are one row (``enterprises``):
the registration's id is the enterprise id every other record refers to, and the
profile draft waits beside it until it is submitted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.db import new_id, utcnow
from services.chassis.outbox import define_message_tables

# Tonnes REO with kilogram precision.
Quota = Numeric(16, 3)


class Base(DeclarativeBase):
    pass


MESSAGE_TABLES = define_message_tables(Base.metadata)


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(String(64), unique=True)
    uscc: Mapped[str] = mapped_column(String(18), default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    enterprise_type: Mapped[str] = mapped_column(String(32), default="")
    enterprise_name: Mapped[str] = mapped_column(String(30), default="")
    province_code: Mapped[str] = mapped_column(String(6), default="")
    city_code: Mapped[str] = mapped_column(String(6), default="", index=True)
    address: Mapped[str] = mapped_column(String(100), default="")
    contact_name: Mapped[str] = mapped_column(String(30), default="")
    contact_phone: Mapped[str] = mapped_column(String(11), default="")
    email: Mapped[str] = mapped_column(String(30), default="")
    rejection_reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The profile draft as JSON (ProfileFields' keys); only the enterprise sees it.
    profile_draft: Mapped[str | None] = mapped_column(Text)
    profile_draft_saved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    profile_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Affiliation(Base):
    __tablename__ = "affiliations"
    __table_args__ = (UniqueConstraint("enterprise_id", "parent_enterprise_id", name="uq_affiliation_pair"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), index=True)
    parent_type: Mapped[str] = mapped_column(String(16))
    # NULL for the NONE declaration.
    parent_enterprise_id: Mapped[str | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    relation: Mapped[str] = mapped_column(String(32), default="")
    share_ratio: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    parent_may_view_ledgers: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), index=True)
    rejection_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))


class QuotaPlan(Base):
    __tablename__ = "quota_plans"
    __table_args__ = (UniqueConstraint("year", "batch", "kind", name="uq_quota_plan_batch"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    year: Mapped[int] = mapped_column(Integer)
    batch: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuotaAllocation(Base):
    """What one enterprise holds of one plan; ``allocated_quota`` is what it handed on."""

    __tablename__ = "quota_allocations"
    __table_args__ = (
        UniqueConstraint("plan_id", "enterprise_id", name="uq_quota_allocation_holder"),
        Index("ix_quota_allocations_year_batch", "year", "batch"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(ForeignKey("quota_plans.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    batch: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), index=True)
    # NULL when the office allocated it.
    source_allocation_id: Mapped[str | None] = mapped_column(ForeignKey("quota_allocations.id"), index=True)
    allocating_enterprise_id: Mapped[str | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    quota: Mapped[Decimal] = mapped_column(Quota)
    allocated_quota: Mapped[Decimal] = mapped_column(Quota, default=Decimal(0))
    confirmation_status: Mapped[str] = mapped_column(String(16), default="UNCONFIRMED")
    confirmed_quota: Mapped[Decimal | None] = mapped_column(Quota)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AllocationRecord(Base):
    """One act of allocation: when, by whom, to whom, how much (分配记录)."""

    __tablename__ = "quota_allocation_records"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(ForeignKey("quota_plans.id"), index=True)
    allocation_id: Mapped[str] = mapped_column(ForeignKey("quota_allocations.id"), index=True)
    source_allocation_id: Mapped[str | None] = mapped_column(ForeignKey("quota_allocations.id"), index=True)
    allocating_enterprise_id: Mapped[str | None] = mapped_column(ForeignKey("enterprises.id"))
    receiving_enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"))
    quota: Mapped[Decimal] = mapped_column(Quota)
    allocated_by: Mapped[str] = mapped_column(String(64))
    allocated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PlanConfirmation(Base):
    __tablename__ = "plan_confirmations"
    __table_args__ = (UniqueConstraint("enterprise_id", "year", "batch", name="uq_plan_confirmation_batch"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    batch: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConfirmationLine(Base):
    __tablename__ = "plan_confirmation_lines"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    confirmation_id: Mapped[str] = mapped_column(ForeignKey("plan_confirmations.id", ondelete="CASCADE"),
                                                 index=True)
    allocation_id: Mapped[str] = mapped_column(ForeignKey("quota_allocations.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    allocated_quota: Mapped[Decimal] = mapped_column(Quota)
    confirmed_quota: Mapped[Decimal] = mapped_column(Quota)
    mismatch: Mapped[bool] = mapped_column(Boolean, default=False)


class Product(Base):
    """稀土产品名称列表."""

    __tablename__ = "dictionary_products"
    __table_args__ = (UniqueConstraint("category", "name", name="uq_product_category_name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    category: Mapped[str] = mapped_column(String(30), index=True)
    name: Mapped[str] = mapped_column(String(50))
    code: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CustomsProduct(Base):
    """海关产品目录."""

    __tablename__ = "dictionary_customs_products"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
