"""The rare_earth service's own schema.

An enterprise's registration and its published profile are one row (``enterprises``):
the registration's id is the enterprise id every other record refers to, and the
profile draft waits beside it until it is submitted.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.db import BigIntPK, new_id, utcnow
from services.chassis.outbox import define_message_tables
from services.chassis.states import status_column
from services.rare_earth.domain.states import (
    AFFILIATION,
    CASE,
    LEDGER_IMPORT,
    OVERRIDE,
    QUOTA_CONFIRMATION,
    REGISTRATION,
    UNCONFIRMED,
)

# Tonnes REO with kilogram precision.
Quota = Numeric(16, 3)


class Base(DeclarativeBase):
    pass


define_message_tables(Base.metadata)


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(String(64), unique=True)
    uscc: Mapped[str] = mapped_column(String(18), default="")
    status: Mapped[str] = status_column(REGISTRATION, length=20, index=True)
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
    status: Mapped[str] = status_column(AFFILIATION, length=16, index=True)
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
    confirmation_status: Mapped[str] = status_column(QUOTA_CONFIRMATION, length=16, default=UNCONFIRMED)
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


# --- Ledgers (manual §7.2–7.5) ------------------------------------------------------

# Kilograms with gram precision.
Kilograms = Numeric(16, 3)


def _ledger_row_columns() -> list[Column]:
    """The columns of one ledger row, shared by the ledger and its staging table (one flat row for all kinds)."""
    return [
        Column("enterprise_id", String(32), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("year", Integer, nullable=False),
        Column("month", Integer, nullable=False),
        Column("row_number", Integer, nullable=False),
        Column("import_id", String(32), nullable=False),
        Column("entry_date", Date),
        Column("counterparty_name", String(100), nullable=False, default=""),
        Column("counterparty_uscc", String(18), nullable=False, default=""),
        Column("product_category", String(30), nullable=False, default=""),
        Column("product_name", String(50), nullable=False, default=""),
        Column("quantity", Kilograms),
        Column("traceability_code", String(40), nullable=False, default=""),
        Column("batch_no", String(50), nullable=False, default=""),
        # PRODUCTION: the input batches, separated by ";" (their links are in the link tables).
        Column("input_batch_nos", Text, nullable=False, default=""),
        Column("output_batch_no", String(50), nullable=False, default=""),
        Column("export_product_code", String(10), nullable=False, default=""),
        Column("destination_country", String(50), nullable=False, default=""),
        Column("opening", Kilograms),
        Column("inflow", Kilograms),
        Column("outflow", Kilograms),
        Column("closing", Kilograms),
    ]


# The confirmed ledgers: the latest confirmed upload of each enterprise, kind and month.
ledger_rows = Table(
    "ledger_rows", Base.metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    *_ledger_row_columns(),
    Index("ix_ledger_rows_month", "enterprise_id", "kind", "year", "month", "row_number"),
    Index("ix_ledger_rows_code", "traceability_code", "kind"),
    Index("ix_ledger_rows_batch", "enterprise_id", "batch_no"),
    Index("ix_ledger_rows_output_batch", "enterprise_id", "output_batch_no"),
    Index("ix_ledger_rows_period", "year", "month", "kind"),
)

# Validated rows of imports not confirmed yet, written in batches while the file streams.
staged_ledger_rows = Table(
    "ledger_staged_rows", Base.metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    *_ledger_row_columns(),
    Index("ix_ledger_staged_rows_import", "import_id"),
)


def _link_columns() -> list[Column]:
    return [
        Column("enterprise_id", String(32), nullable=False),
        Column("year", Integer, nullable=False),
        Column("month", Integer, nullable=False),
        Column("import_id", String(32), nullable=False),
        Column("input_batch_no", String(50), nullable=False),
        Column("output_batch_no", String(50), nullable=False),
    ]


# Production rows as edges input batch -> output batch, one per input, for the trace walk.
batch_links = Table(
    "ledger_batch_links", Base.metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    *_link_columns(),
    Index("ix_ledger_batch_links_input", "enterprise_id", "input_batch_no"),
    Index("ix_ledger_batch_links_output", "enterprise_id", "output_batch_no"),
    Index("ix_ledger_batch_links_month", "enterprise_id", "year", "month"),
)

staged_batch_links = Table(
    "ledger_staged_batch_links", Base.metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    *_link_columns(),
    Index("ix_ledger_staged_batch_links_import", "import_id"),
)


class LedgerImport(Base):
    __tablename__ = "ledger_imports"
    __table_args__ = (Index("ix_ledger_imports_month", "enterprise_id", "kind", "year", "month"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"))
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = status_column(LEDGER_IMPORT, length=16)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # JSON: the first errors and the first rows, as answered.
    errors: Mapped[str] = mapped_column(Text, default="[]")
    preview: Mapped[str] = mapped_column(Text, default="[]")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[str | None] = mapped_column(String(64))


class ReportingWindow(Base):
    """A month's window as the office set it; months without a row use the default calendar rule."""

    __tablename__ = "reporting_windows"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LedgerOverride(Base):
    """数据覆盖申请: once approved, the enterprise may upload that kind and month outside the window."""

    __tablename__ = "ledger_overrides"
    __table_args__ = (Index("ix_ledger_overrides_month", "enterprise_id", "kind", "year", "month"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"))
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = status_column(OVERRIDE, length=16, index=True)
    rejection_reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- Supervision cases (manual §8) ----------------------------------------------------


class SupervisionCase(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_kind_status", "kind", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = status_column(CASE, length=16)
    # Jobs open at most one case per key: running them twice opens nothing new.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    enterprise_id: Mapped[str | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(100), default="")
    uscc: Mapped[str] = mapped_column(String(18), default="")
    address: Mapped[str] = mapped_column(String(100), default="")
    reporting_unit: Mapped[str] = mapped_column(String(100), default="")
    reporting_contact: Mapped[str] = mapped_column(String(60), default="")
    product_category: Mapped[str] = mapped_column(String(30), default="")
    product_name: Mapped[str] = mapped_column(String(50), default="")
    traceability_code: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(String(1000), default="")
    complaint_type: Mapped[str] = mapped_column(String(30), default="")
    accepting_body: Mapped[str] = mapped_column(String(60), default="")
    ledger_kind: Mapped[str] = mapped_column(String(16), default="")
    month: Mapped[str] = mapped_column(String(7), default="")
    holder_type: Mapped[str] = mapped_column(String(20))
    # ENTERPRISE and GROUP holders are enterprises; LOCAL_AUTHORITY holds by region, OPERATOR by agency.
    holder_enterprise_id: Mapped[str | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    holder_region: Mapped[str] = mapped_column(String(6), default="")
    holder_name: Mapped[str] = mapped_column(String(100), default="")
    closing_opinion: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CaseStep(Base):
    __tablename__ = "case_steps"
    __table_args__ = (UniqueConstraint("case_id", "sequence", name="uq_case_step_sequence"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                    autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64), default="")
    actor_body: Mapped[str] = mapped_column(String(100), default="")
    opinion: Mapped[str] = mapped_column(String(500), default="")
    to_holder_type: Mapped[str] = mapped_column(String(20), default="")
    to_holder_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
