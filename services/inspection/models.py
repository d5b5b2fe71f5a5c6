"""The inspection service's own schema, and the chassis attachment and message tables beside it.

Money and quantities are NUMERIC; an institution is an identity organisation (``organization_id``),
and every record of it refers to its filing.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.crypto import CipherSlot, Encrypted
from services.chassis.db import new_id, utcnow
from services.chassis.documents.tables import define_attachment_tables
from services.chassis.outbox import define_message_tables
from services.chassis.states import status_column
from services.inspection.domain.states import (
    ANNUAL_REPORT,
    CHECK,
    COMMISSION,
    DISPOSAL,
    FILING,
    FILING_CHANGE,
    QUALITY_ISSUE,
)

Amount = Numeric(18, 2)
Quantity = Numeric(16, 3)
Price = Numeric(18, 4)


class Base(DeclarativeBase):
    pass


define_message_tables(Base.metadata)
ATTACHMENT_TABLES = define_attachment_tables(Base.metadata)
# INSPECTION_SECRET_KEY's cipher, put here when the context is made: ID and passport numbers are stored encrypted.
CIPHER = CipherSlot("inspection")


def _id() -> Mapped[str]:
    return mapped_column(String(32), primary_key=True, default=new_id)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow)


def _when() -> Mapped[datetime | None]:
    return mapped_column(DateTime(timezone=True))


def _filing_ref() -> Mapped[str]:
    return mapped_column(String(32), ForeignKey("filings.id"), index=True)


class _Applied:
    """Who started an application (a filing, a commission), and when it was saved and submitted."""

    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()
    submitted_at: Mapped[datetime | None] = _when()


# --- reference data -------------------------------------------------------------------------------


class ReferenceItem(Base):
    """One entry of a dropdown list (海关, 到货地, 用途, 币制, 国家)."""

    __tablename__ = "reference_items"
    __table_args__ = (UniqueConstraint("list_code", "code"),)

    id: Mapped[str] = _id()
    list_code: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class BusinessRule(Base):
    """旧机电业务规则: what applies to imports of used goods under an HS code."""

    __tablename__ = "business_rules"

    id: Mapped[str] = _id()
    hs_code: Mapped[str] = mapped_column(String(10), index=True)
    product_name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(50), default="")
    requirement: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(String(200), default="")
    remarks: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()


class Regulation(Base):
    """法规及政策文件."""

    __tablename__ = "regulations"

    id: Mapped[str] = _id()
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    document_number: Mapped[str] = mapped_column(String(60), default="")
    issuer: Mapped[str] = mapped_column(String(100))
    published_on: Mapped[date] = mapped_column(Date, index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()


# --- filings --------------------------------------------------------------------------------------


class Filing(_Applied, Base):
    """An institution's filing (备案申请) and, once accepted, its filed record."""

    __tablename__ = "filings"

    id: Mapped[str] = _id()
    application_number: Mapped[str] = mapped_column(String(32), unique=True)
    organization_id: Mapped[str] = mapped_column(String(64), index=True)
    # The organisation while this filing is its live one (in progress or accepted), NULL once refused or
    # revoked: an institution has one live filing, however two applications race.
    live_organization_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = status_column(FILING, length=24, index=True)
    certificate_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    address: Mapped[str] = mapped_column(String(300))
    legal_representative: Mapped[str] = mapped_column(String(60))
    contact_name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(30))
    email: Mapped[str] = mapped_column(String(100))
    id_type: Mapped[str] = mapped_column(String(16))
    id_number: Mapped[str] = mapped_column(Encrypted(CIPHER, "id-number"))
    # Customs' last word: the supplement notice or the reason it was not accepted.
    review_opinion: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = _when()
    accepted_at: Mapped[datetime | None] = _when()
    revoked_at: Mapped[datetime | None] = _when()


class Department(Base):
    """主要部门情况."""

    __tablename__ = "filing_departments"

    id: Mapped[str] = _id()
    filing_id: Mapped[str] = _filing_ref()
    name: Mapped[str] = mapped_column(String(100))
    head: Mapped[str] = mapped_column(String(60))
    staff_count: Mapped[int] = mapped_column(Integer)
    responsibilities: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class Equipment(Base):
    """主要检测设备情况."""

    __tablename__ = "filing_equipment"

    id: Mapped[str] = _id()
    filing_id: Mapped[str] = _filing_ref()
    name: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(200))
    calibrated_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = _created()


class Certification(Base):
    """企业质量管理体系认证情况."""

    __tablename__ = "filing_certifications"

    id: Mapped[str] = _id()
    filing_id: Mapped[str] = _filing_ref()
    name: Mapped[str] = mapped_column(String(100))
    certificate_number: Mapped[str] = mapped_column(String(60))
    issuer: Mapped[str] = mapped_column(String(100))
    valid_until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = _created()


class PastInspection(Base):
    """近三年实施装运前检验的情况: one year's inspections of one kind of goods."""

    __tablename__ = "filing_inspections"

    id: Mapped[str] = _id()
    filing_id: Mapped[str] = _filing_ref()
    year: Mapped[int] = mapped_column(Integer)
    goods_category: Mapped[str] = mapped_column(String(100))
    batch_count: Mapped[int] = mapped_column(Integer)
    goods_value: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    destination: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = _created()


class FilingChange(Base):
    """备案变更: the new values (JSON) beside the old, until customs decides."""

    __tablename__ = "filing_changes"

    id: Mapped[str] = _id()
    filing_id: Mapped[str] = _filing_ref()
    organization_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = status_column(FILING_CHANGE, length=16, index=True)
    # The filing while this change waits for customs: one pending change per filing.
    pending_filing_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    # The changed fields, the ID number among them: encrypted as the filing's own are.
    new_values: Mapped[str] = mapped_column(Encrypted(CIPHER, "filing-change"))
    old_values: Mapped[str] = mapped_column(Encrypted(CIPHER, "filing-change"))
    review_opinion: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created()
    reviewed_at: Mapped[datetime | None] = _when()


# --- commissions ----------------------------------------------------------------------------------


class Commission(_Applied, Base):
    """业务委托: the consignee enterprise's commission to a filed institution."""

    __tablename__ = "commissions"

    id: Mapped[str] = _id()
    number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = status_column(COMMISSION, length=16, index=True)
    enterprise_organization_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(200))
    consignee: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(60))
    contact_phone: Mapped[str] = mapped_column(String(30))
    contact_mobile: Mapped[str] = mapped_column(String(11))
    contact_email: Mapped[str] = mapped_column(String(100))
    # Each dropdown's code and, as chosen, its name.
    entry_customs_code: Mapped[str] = mapped_column(String(16), index=True)
    entry_customs_name: Mapped[str] = mapped_column(String(100))
    destination_code: Mapped[str] = mapped_column(String(16), index=True)
    destination_name: Mapped[str] = mapped_column(String(100))
    destination_customs_code: Mapped[str] = mapped_column(String(16))
    destination_customs_name: Mapped[str] = mapped_column(String(100))
    usage_code: Mapped[str] = mapped_column(String(16), index=True)
    usage_name: Mapped[str] = mapped_column(String(100))
    filing_id: Mapped[str] = _filing_ref()
    institution_organization_id: Mapped[str] = mapped_column(String(64), index=True)
    institution_name: Mapped[str] = mapped_column(String(200))
    total_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    total_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="")
    return_reason: Mapped[str] = mapped_column(Text, default="")
    result_certificate_number: Mapped[str] = mapped_column(String(40), default="")
    result_valid_until: Mapped[date | None] = mapped_column(Date)
    accepted_at: Mapped[datetime | None] = _when()
    returned_at: Mapped[datetime | None] = _when()
    completed_at: Mapped[datetime | None] = _when()


class GoodsItem(Base):
    """货物详细信息: one line of a commission; its amount is quantity × unit price."""

    __tablename__ = "commission_goods"

    id: Mapped[str] = _id()
    commission_id: Mapped[str] = mapped_column(String(32), ForeignKey("commissions.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    hs_code: Mapped[str] = mapped_column(String(10))
    model: Mapped[str] = mapped_column(String(100))
    manufacture_year: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(String(10))
    unit_price: Mapped[Decimal] = mapped_column(Price)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    created_at: Mapped[datetime] = _created()


# --- oversight ------------------------------------------------------------------------------------


class _Oversight:
    """What every oversight record has: its number, its institution, and the customs office behind it."""

    id: Mapped[str] = _id()
    number: Mapped[str] = mapped_column(String(32), unique=True)
    filing_id: Mapped[str] = _filing_ref()
    organization_id: Mapped[str] = mapped_column(String(64), index=True)
    institution_name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created()


class QualityIssue(_Oversight, Base):
    """工作质量问题反馈: a problem customs found, and the institution's reply."""

    __tablename__ = "quality_issues"

    status: Mapped[str] = status_column(QUALITY_ISSUE, length=16, index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    business_number: Mapped[str] = mapped_column(String(40), default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_by: Mapped[str | None] = mapped_column(String(64))
    replied_at: Mapped[datetime | None] = _when()


class SupervisionCheck(_Oversight, Base):
    """监督检查: a document or on-site check and where it stands."""

    __tablename__ = "checks"

    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = status_column(CHECK, length=24, index=True)
    title: Mapped[str] = mapped_column(String(200))
    requirements: Mapped[str] = mapped_column(Text)
    # Customs' latest opinion (the on-site result, or why a supplement is needed).
    opinion: Mapped[str] = mapped_column(Text, default="")
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = _created()
    passed_at: Mapped[datetime | None] = _when()


class CheckStep(Base):
    """One step of a check: the institution's submission, or customs' verdict on it."""

    __tablename__ = "check_steps"
    __table_args__ = (UniqueConstraint("check_id", "sequence"),)

    id: Mapped[str] = _id()
    check_id: Mapped[str] = mapped_column(String(32), ForeignKey("checks.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    # SUBMIT, PASS or REQUIRE_SUPPLEMENT.
    action: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created()


class Disposal(_Oversight, Base):
    """处置: not recognised, filing revoked or rectification, and for rectification its materials."""

    __tablename__ = "disposals"

    kind: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = status_column(DISPOSAL, length=24, index=True)
    reason: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    # The end of a not-recognised period, or a rectification's deadline.
    ends_on: Mapped[date | None] = mapped_column(Date)
    materials: Mapped[str] = mapped_column(Text, default="")
    opinion: Mapped[str] = mapped_column(Text, default="")
    materials_submitted_at: Mapped[datetime | None] = _when()
    closed_at: Mapped[datetime | None] = _when()


class AnnualReport(_Oversight, Base):
    """年度工作报告: opened by customs for a year, filled and submitted by the institution."""

    __tablename__ = "annual_reports"
    __table_args__ = (UniqueConstraint("filing_id", "year"),)

    year: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = status_column(ANNUAL_REPORT, length=16, index=True)
    requirements: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    inspection_count: Mapped[int] = mapped_column(Integer, default=0)
    certificate_count: Mapped[int] = mapped_column(Integer, default=0)
    goods_value: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    organization_changes: Mapped[str] = mapped_column(Text, default="")
    quality_management: Mapped[str] = mapped_column(Text, default="")
    problems_and_improvements: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = _created()
    submitted_at: Mapped[datetime | None] = _when()
