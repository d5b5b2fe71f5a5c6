"""Reference data: CCPIT branches, countries, agreements and their members, HS items, tariff schedules and
tariff-version correlation tables."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.chassis.db import utcnow
from services.origin_cert.models.base import Base


class Branch(Base):
    """A CCPIT branch (备案地贸促会); its four digits go into certificate numbers."""

    __tablename__ = "branches"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    serial_code: Mapped[str] = mapped_column(String(4), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Country(Base):
    __tablename__ = "countries"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(100))


class Agreement(Base):
    """A certificate type: GENERAL or one agreement's preferential certificate (extendable by the head office)."""

    __tablename__ = "agreements"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    preferential: Mapped[bool] = mapped_column(Boolean, default=True)
    # The letters a certificate number starts with.
    number_prefix: Mapped[str] = mapped_column(String(4), unique=True)
    # Space-separated origin criteria it offers: WO PE CTC RVC.
    criteria: Mapped[str] = mapped_column(String(32))
    rvc_threshold: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    value_basis: Mapped[str] = mapped_column(String(3), default="FOB")
    ctc_digits: Mapped[int] = mapped_column(Integer, default=4)
    hs_digits: Mapped[int] = mapped_column(Integer, default=6)
    needs_ecfa_code: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AgreementMember(Base):
    __tablename__ = "agreement_members"

    agreement_code: Mapped[str] = mapped_column(ForeignKey("agreements.code", ondelete="CASCADE"), primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)


class HsItem(Base):
    """A tariff line's description, for finding a code by name (支持搜索商品编码)."""

    __tablename__ = "hs_items"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    description: Mapped[str] = mapped_column(String(300))
    description_en: Mapped[str] = mapped_column(String(300), default="")


class TariffRate(Base):
    """One line of an importing country's schedule: its MFN rate, or an agreement's preferential rate."""

    __tablename__ = "tariff_rates"

    importing_country: Mapped[str] = mapped_column(String(2), primary_key=True)
    # An agreement code, or MFN.
    agreement: Mapped[str] = mapped_column(String(32), primary_key=True)
    hs_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    # Ad valorem, in percent.
    rate: Mapped[Decimal] = mapped_column(Numeric(7, 3))
    rate_text: Mapped[str] = mapped_column(String(50), default="")
    year: Mapped[int] = mapped_column(Integer)


class TariffVersion(Base):
    """A tariff-version upgrade (税则转版): its correlation table old -> new HS codes and what it reminded."""

    __tablename__ = "tariff_versions"

    version: Mapped[str] = mapped_column(String(16), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    affected_products: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HsCorrelation(Base):
    __tablename__ = "hs_correlations"

    version: Mapped[str] = mapped_column(ForeignKey("tariff_versions.version", ondelete="CASCADE"), primary_key=True)
    old_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    new_code: Mapped[str] = mapped_column(String(10), primary_key=True)
