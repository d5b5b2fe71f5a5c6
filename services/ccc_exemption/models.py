"""The ccc_exemption service's own schema.

An application owns its products and attachments; issuing it makes a certificate whose products
are copied from the application's (the certificate's are what a modification edits and what
write-offs count against). Each version of a certificate has its own signed PDF and check code.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.ccc_exemption.domain.states import APPLICATION, MODIFICATION, PRE_WRITE_OFF, USE_RECORD
from services.chassis.db import BigIntPK, new_id, utcnow
from services.chassis.documents.tables import define_attachment_tables
from services.chassis.outbox import define_message_tables
from services.chassis.states import status_column

# 数量/重量 and HS 标准量, to four places.
Quantity = Numeric(18, 4)
ZERO = Decimal("0")


class Base(DeclarativeBase):
    pass


define_message_tables(Base.metadata)
ATTACHMENT_TABLES = define_attachment_tables(Base.metadata)


def _id() -> Mapped[str]:
    return mapped_column(String(32), primary_key=True, default=new_id)


def _moment(**kwargs) -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow, **kwargs)


class HsCode(Base):
    """The catalogue: a code prefix is an indexed range scan (``code >= '85' AND code < '86'``)."""

    __tablename__ = "hs_codes"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    standard_unit: Mapped[str] = mapped_column(String(8))
    # JSON lists.
    characteristics: Mapped[str] = mapped_column(Text)
    quantity_units: Mapped[str] = mapped_column(Text)


class Bureau(Base):
    __tablename__ = "bureaus"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    contact_name: Mapped[str] = mapped_column(String(30))
    contact_phone: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(100))


class Delegation(Base):
    """检验检疫局业务下放配置: the divisions whose code starts with the prefix go to the bureau."""

    __tablename__ = "delegations"

    division_prefix: Mapped[str] = mapped_column(String(6), primary_key=True)
    bureau_code: Mapped[str] = mapped_column(ForeignKey("bureaus.code"))


class Port(Base):
    __tablename__ = "ports"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    district_code: Mapped[str] = mapped_column(String(8), index=True)
    district_name: Mapped[str] = mapped_column(String(60))
    bureau_code: Mapped[str] = mapped_column(ForeignKey("bureaus.code"))


class Counter(Base):
    """Serial numbers (application and certificate numbers), taken by a guarded increment."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_bureau_status", "bureau_code", "status", "post"),)

    id: Mapped[str] = _id()
    number: Mapped[str] = mapped_column(String(20), unique=True)
    organization_id: Mapped[str] = mapped_column(String(64), index=True)
    applicant_name: Mapped[str] = mapped_column(String(100), default="")
    applicant_uscc: Mapped[str] = mapped_column(String(18), default="")
    status: Mapped[str] = status_column(APPLICATION, index=True)
    exemption_clause: Mapped[str] = mapped_column(String(32))
    trade_mode: Mapped[str] = mapped_column(String(32))
    contract_number: Mapped[str] = mapped_column(String(50), default="")
    invoice_number: Mapped[str] = mapped_column(String(50), default="")
    bill_of_lading_number: Mapped[str] = mapped_column(String(50), default="")
    final_use_code: Mapped[str] = mapped_column(String(6), default="")
    final_use_address: Mapped[str] = mapped_column(String(100), default="")
    contact_name: Mapped[str] = mapped_column(String(30), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    contact_email: Mapped[str] = mapped_column(String(100), default="")
    bureau_code: Mapped[str | None] = mapped_column(String(12))
    # The post an ACCEPTING application waits at; for RETURNED and PAPER_COMPARISON the post it goes back to.
    post: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    paper_notice: Mapped[str] = mapped_column(Text, default="")
    # 补录: the bureau that entered it for the enterprise.
    entered_by_bureau: Mapped[str | None] = mapped_column(String(12))
    certificate_id: Mapped[str | None] = mapped_column(String(32))
    certificate_number: Mapped[str] = mapped_column(String(30), default="", index=True)
    terminated_by: Mapped[str] = mapped_column(String(60), default="")
    terminated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    # First saved: the draft's ten days count from here.
    created_at: Mapped[datetime] = _moment(index=True)
    updated_at: Mapped[datetime] = _moment()
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApplicationStep(Base):
    """Who did what to an application, when, with what opinion (审批人员的处理信息)."""

    __tablename__ = "application_steps"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[str] = mapped_column(String(64), default="")
    actor_name: Mapped[str] = mapped_column(String(60), default="")
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(32), default="")
    to_state: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = _moment()


class ProductColumns:
    """What an application's product and a certificate's product both say about it."""

    sequence: Mapped[int] = mapped_column(Integer)
    hs_code: Mapped[str] = mapped_column(String(10))
    hs_name: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    brand: Mapped[str] = mapped_column(String(100), default="")
    manufacturer: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    quantity_unit: Mapped[str] = mapped_column(String(8))
    standard_quantity: Mapped[Decimal] = mapped_column(Quantity)
    standard_unit: Mapped[str] = mapped_column(String(8))
    final_use_code: Mapped[str] = mapped_column(String(6))


class Product(ProductColumns, Base):
    __tablename__ = "products"

    id: Mapped[str] = _id()
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    # JSON: [[name, value], ...] in the order the code lists them.
    characteristics: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = _moment()
    updated_at: Mapped[datetime] = _moment()


class Certificate(Base):
    __tablename__ = "certificates"

    id: Mapped[str] = _id()
    number: Mapped[str] = mapped_column(String(30), unique=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), unique=True)
    organization_id: Mapped[str] = mapped_column(String(64), index=True)
    bureau_code: Mapped[str] = mapped_column(String(12), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    current_version_id: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = _moment()
    # Set by the first write-off or confirmed pre-write-off: from then on no modification.
    write_off_begun: Mapped[bool] = mapped_column(Boolean, default=False)


class CertificateVersion(Base):
    """One issued or modified version: its PDF (an attachment of the certificate) and check code."""

    __tablename__ = "certificate_versions"

    id: Mapped[str] = _id()
    certificate_id: Mapped[str] = mapped_column(ForeignKey("certificates.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    check_code: Mapped[str] = mapped_column(String(16))
    pdf_attachment_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = _moment()


class CertificateProduct(ProductColumns, Base):
    __tablename__ = "certificate_products"

    id: Mapped[str] = _id()
    certificate_id: Mapped[str] = mapped_column(ForeignKey("certificates.id"), index=True)
    product_id: Mapped[str] = mapped_column(String(32))
    # Written off so far (核销与预核销确认之和): only ever raised by a guarded UPDATE.
    written_off_quantity: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    written_off_standard_quantity: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)


class Modification(Base):
    __tablename__ = "modifications"

    certificate_id: Mapped[str] = mapped_column(ForeignKey("certificates.id"), primary_key=True)
    status: Mapped[str] = status_column(MODIFICATION)
    note: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    # JSON: {certificate product id: {field: value}} of the changed product fields.
    products: Mapped[str] = mapped_column(Text, default="{}")
    send_back_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=0)
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = _moment()
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PreWriteOff(Base):
    __tablename__ = "pre_write_offs"

    id: Mapped[str] = _id()
    certificate_id: Mapped[str] = mapped_column(ForeignKey("certificates.id"), index=True)
    port_code: Mapped[str] = mapped_column(ForeignKey("ports.code"))
    # The port's bureau, whose WRITE_OFF post confirms it.
    bureau_code: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = status_column(PRE_WRITE_OFF, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = _moment()
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[str] = mapped_column(String(60), default="")


class PreWriteOffItem(Base):
    __tablename__ = "pre_write_off_items"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    pre_write_off_id: Mapped[str] = mapped_column(ForeignKey("pre_write_offs.id"), index=True)
    certificate_product_id: Mapped[str] = mapped_column(ForeignKey("certificate_products.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    standard_quantity: Mapped[Decimal] = mapped_column(Quantity)
    confirmed_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    confirmed_standard_quantity: Mapped[Decimal | None] = mapped_column(Quantity)


class WriteOff(Base):
    __tablename__ = "write_offs"

    id: Mapped[str] = _id()
    certificate_id: Mapped[str] = mapped_column(ForeignKey("certificates.id"), index=True)
    pre_write_off_id: Mapped[str | None] = mapped_column(String(32))
    port_code: Mapped[str] = mapped_column(String(8), default="")
    agency: Mapped[str] = mapped_column(String(40))
    officer: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _moment()


class WriteOffItem(Base):
    __tablename__ = "write_off_items"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    write_off_id: Mapped[str] = mapped_column(ForeignKey("write_offs.id"), index=True)
    certificate_product_id: Mapped[str] = mapped_column(ForeignKey("certificate_products.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    standard_quantity: Mapped[Decimal] = mapped_column(Quantity)


class UseRecord(Base):
    __tablename__ = "use_records"
    __table_args__ = (Index("ix_use_records_bureau_status", "bureau_code", "status"),)

    id: Mapped[str] = _id()
    certificate_id: Mapped[str] = mapped_column(ForeignKey("certificates.id"), index=True)
    # The issuing bureau, whose FOLLOW_UP post reviews it.
    bureau_code: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = status_column(USE_RECORD)
    certificate_product_id: Mapped[str] = mapped_column(ForeignKey("certificate_products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    user_unit_name: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(30), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    review_opinion: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _moment()
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str] = mapped_column(String(60), default="")
