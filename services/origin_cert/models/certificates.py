"""Certificates of origin, their goods lines, lost-and-reissue applications, and number counters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.chassis.db import new_id, utcnow
from services.chassis.states import status_column
from services.origin_cert.domain.states import CERTIFICATE, CERTIFICATE_PRINT, LOST_REISSUE, NOT_PRINTED
from services.origin_cert.models.base import MONEY_PRECISION, MONEY_SCALE, Base, Decided

Amount = Numeric(MONEY_PRECISION, MONEY_SCALE)


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (Index("ix_certificates_org_status", "organization_id", "status"),
                      Index("ix_certificates_branch_status", "branch", "status"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(String(64))
    # The branch that reviews and issues it: the enterprise's filing branch when sent.
    branch: Mapped[str] = mapped_column(String(32))
    certificate_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = status_column(CERTIFICATE, length=16)
    print_status: Mapped[str] = status_column(CERTIFICATE_PRINT, length=16, default=NOT_PRINTED)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    print_number: Mapped[str] = mapped_column(String(32), default="")
    check_code: Mapped[str] = mapped_column(String(16), default="")
    destination_country: Mapped[str] = mapped_column(String(2))
    invoice_number: Mapped[str] = mapped_column(String(50), default="", index=True)
    invoice_date: Mapped[date | None] = mapped_column(Date)
    # The exporter box, taken from the filing when sent (a trading company's own name, not editable).
    exporter_name: Mapped[str] = mapped_column(String(200), default="")
    exporter_address: Mapped[str] = mapped_column(String(300), default="")
    intermediary_name: Mapped[str] = mapped_column(String(200), default="")
    intermediary_address: Mapped[str] = mapped_column(String(300), default="")
    intermediary_shown: Mapped[bool] = mapped_column(Boolean, default=False)
    importer_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    importer_address: Mapped[str] = mapped_column(String(300), default="")
    importer_country: Mapped[str] = mapped_column(String(2), default="")
    producer_name: Mapped[str] = mapped_column(String(200), default="")
    producer_address: Mapped[str] = mapped_column(String(300), default="")
    departure_date: Mapped[date | None] = mapped_column(Date)
    transport_means: Mapped[str] = mapped_column(String(16), default="")
    vessel: Mapped[str] = mapped_column(String(100), default="")
    port_of_loading: Mapped[str] = mapped_column(String(100), default="")
    port_of_discharge: Mapped[str] = mapped_column(String(100), default="")
    remarks: Mapped[str] = mapped_column(Text, default="")
    declaration_place: Mapped[str] = mapped_column(String(100), default="")
    third_party_invoicing: Mapped[bool] = mapped_column(Boolean, default=False)
    back_to_back: Mapped[bool] = mapped_column(Boolean, default=False)
    issued_retroactively: Mapped[bool] = mapped_column(Boolean, default=False)
    exhibition: Mapped[bool] = mapped_column(Boolean, default=False)
    # 改证重发: the certificate this one amends, and why; the original is voided when this one is approved.
    amends_id: Mapped[str | None] = mapped_column(String(32), index=True)
    amend_reason: Mapped[str] = mapped_column(Text, default="")
    amended_by_id: Mapped[str | None] = mapped_column(String(32))
    copied_from_id: Mapped[str | None] = mapped_column(String(32))
    visa_officer_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    visa_officer_name: Mapped[str] = mapped_column(String(100), default="")
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    void_reason: Mapped[str] = mapped_column(Text, default="")
    # The signed PDF (an attachment of kind CERTIFICATE), made when approved.
    pdf_attachment_id: Mapped[str] = mapped_column(String(32), default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    printed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    copy_printed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CertificateGood(Base):
    __tablename__ = "certificate_goods"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    certificate_id: Mapped[str] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    pre_review_id: Mapped[str] = mapped_column(String(32), default="")
    origin_criterion: Mapped[str] = mapped_column(String(8), default="")
    # The pre-review's value content when the line was judged (RVC lines print it).
    value_content: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    marks: Mapped[str] = mapped_column(Text, default="")
    marks_image_id: Mapped[str] = mapped_column(String(32), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    package_quantity: Mapped[int | None] = mapped_column(Integer)
    package_unit: Mapped[str] = mapped_column(String(20), default="")
    hs_code: Mapped[str] = mapped_column(String(10), default="")
    quantity: Mapped[Decimal | None] = mapped_column(Amount)
    quantity_unit: Mapped[str] = mapped_column(String(20), default="")
    gross_weight: Mapped[Decimal | None] = mapped_column(Amount)
    fob_value: Mapped[Decimal | None] = mapped_column(Amount)


class LostReissue(Decided, Base):
    """失证重发: the application; once approved, only a copy of the certificate prints, once."""

    __tablename__ = "lost_reissues"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    certificate_id: Mapped[str] = mapped_column(ForeignKey("certificates.id"), index=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    branch: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = status_column(LOST_REISSUE, length=16)


class NumberCounter(Base):
    """The last serial handed out under a key (a number prefix, year and branch), taken under a row lock."""

    __tablename__ = "number_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
