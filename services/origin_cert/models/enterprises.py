"""An enterprise's filing with its CCPIT branch (备案), and requests to move it to another (贸促会迁移)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.chassis.db import new_id, utcnow
from services.chassis.states import status_column
from services.origin_cert.domain.states import BRANCH_MIGRATION
from services.origin_cert.models.base import Base, Decided


class Enterprise(Base):
    """One per organisation: where it is filed, and the exporter box it prints (its own name, not editable)."""

    __tablename__ = "enterprises"

    organization_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    branch: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    address_en: Mapped[str] = mapped_column(String(300), default="")
    # MANUFACTURER (生产企业) or TRADER (外贸企业).
    enterprise_type: Mapped[str] = mapped_column(String(16))
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BranchMigration(Decided, Base):
    __tablename__ = "branch_migrations"
    __table_args__ = (Index("ix_branch_migrations_target", "to_branch", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(String(64), index=True)
    organization_name: Mapped[str] = mapped_column(String(200))
    from_branch: Mapped[str] = mapped_column(String(32))
    to_branch: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = status_column(BRANCH_MIGRATION, length=16)
