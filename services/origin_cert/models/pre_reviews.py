"""Product pre-reviews (产品预审), their raw materials, and the reminders an enterprise handles."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.chassis.db import new_id, utcnow
from services.chassis.states import status_column
from services.origin_cert.domain.states import PRE_REVIEW, REMINDER
from services.origin_cert.models.base import MONEY_PRECISION, MONEY_SCALE, Base

Money = Numeric(MONEY_PRECISION, MONEY_SCALE)


class PreReview(Base):
    """One version of a product's pre-review; an adjustment (调整) is the next version under the same number."""

    __tablename__ = "pre_reviews"
    __table_args__ = (UniqueConstraint("number", "version", name="uq_pre_reviews_number_version"),
                      Index("ix_pre_reviews_org_status", "organization_id", "status"),
                      Index("ix_pre_reviews_hs", "hs_code"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The version this one adjusts, or the voided one it re-declares.
    previous_id: Mapped[str | None] = mapped_column(String(32))
    product_name: Mapped[str] = mapped_column(String(200))
    product_name_en: Mapped[str] = mapped_column(String(200), default="")
    hs_code: Mapped[str] = mapped_column(String(10))
    ecfa: Mapped[bool] = mapped_column(Boolean, default=False)
    unit: Mapped[str] = mapped_column(String(20), default="")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    exw_price: Mapped[Decimal | None] = mapped_column(Money)
    fob_price: Mapped[Decimal | None] = mapped_column(Money)
    wholly_obtained: Mapped[bool] = mapped_column(Boolean, default=False)
    # Computed from the materials whenever they are saved, so lists and queries need not recompute.
    non_originating_value: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    fob_value_content: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    exw_value_content: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    tariff_version: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = status_column(PRE_REVIEW, length=16)
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    # CCPIT, ENTERPRISE, or ADJUSTED (replaced by its approved next version).
    void_source: Mapped[str] = mapped_column(String(16), default="")
    void_reason: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[str] = mapped_column(String(64), default="")
    reviewer_name: Mapped[str] = mapped_column(String(100), default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Material(Base):
    __tablename__ = "pre_review_materials"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    pre_review_id: Mapped[str] = mapped_column(ForeignKey("pre_reviews.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    hs_code: Mapped[str] = mapped_column(String(10))
    origin_country: Mapped[str] = mapped_column(String(2))
    originating: Mapped[bool] = mapped_column(Boolean)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    # Units of the material in one product (用料比例).
    usage_ratio: Mapped[Decimal] = mapped_column(Numeric(18, 6))


class Reminder(Base):
    """作废提醒 (CCPIT voided an approved pre-review) or 转版提醒 (its HS code changed in a new tariff version)."""

    __tablename__ = "pre_review_reminders"
    __table_args__ = (UniqueConstraint("pre_review_id", "kind", "tariff_version", name="uq_reminders_once"),
                      Index("ix_reminders_org_status", "organization_id", "status"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(String(64))
    pre_review_id: Mapped[str] = mapped_column(ForeignKey("pre_reviews.id"))
    # VOID or TARIFF_VERSION.
    kind: Mapped[str] = mapped_column(String(16))
    tariff_version: Mapped[str] = mapped_column(String(16), default="")
    old_hs_code: Mapped[str] = mapped_column(String(10), default="")
    # The code(s) the old one became, space-separated (a code may split into several).
    new_hs_codes: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = status_column(REMINDER, length=16)
    # The pre-review that handled it (the re-declared or adjusted version).
    follow_up_id: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
