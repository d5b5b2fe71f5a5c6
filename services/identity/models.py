"""The identity service's own schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.db import BigIntPK, new_id, utcnow
from services.chassis.outbox import define_message_tables
from services.chassis.states import status_column
from services.identity.domain import ACCOUNT, ACTIVE, MEMBERSHIP, PLATFORM_ENTRANCE


class Base(DeclarativeBase):
    pass


define_message_tables(Base.metadata)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # NULL once the account is deleted, so the name can be taken again.
    login_name: Mapped[str | None] = mapped_column(String(15), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # LOCKED is never stored: it is an ACTIVE account inside its lockout window (locked_until).
    status: Mapped[str] = status_column(ACCOUNT, length=16, default=ACTIVE)
    password_hash: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str | None] = mapped_column(String(11), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    id_type: Mapped[str | None] = mapped_column(String(32))
    id_number_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # HMAC of the ID number: one natural-person account per ID, found without decrypting.
    id_number_lookup: Mapped[str | None] = mapped_column(String(64), unique=True)
    agency: Mapped[str | None] = mapped_column(String(64))
    staff_roles: Mapped[str] = mapped_column(Text, default="")
    staff_systems: Mapped[str] = mapped_column(Text, default="")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = (UniqueConstraint("country", "registration_number", name="uq_organizations_foreign_reg"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    legal_person_type: Mapped[str] = mapped_column(String(32), default="")
    legal_rep_name: Mapped[str] = mapped_column(String(100), default="")
    legal_rep_id_type: Mapped[str] = mapped_column(String(32), default="")
    legal_rep_id_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    legal_rep_id_lookup: Mapped[str | None] = mapped_column(String(64), index=True)
    industry: Mapped[str] = mapped_column(String(8), default="")
    enterprise_size: Mapped[str] = mapped_column(String(16), default="")
    holding: Mapped[str] = mapped_column(String(32), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(6), default="")
    country: Mapped[str | None] = mapped_column(String(2))
    registration_number: Mapped[str | None] = mapped_column(String(64))
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    # 申请单位信息备注: one of the fields every user of the organisation shares.
    remark: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Membership(Base):
    """An account in an organisation; a PENDING one is an agent application."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("account_id", "organization_id", name="uq_memberships_account_org"),
                      Index("ix_memberships_org_status", "organization_id", "status"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = status_column(MEMBERSHIP, length=16)
    # Space-separated system scopes granted (OWNER holds all regardless).
    scopes: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VerificationCode(Base):
    __tablename__ = "verification_codes"
    __table_args__ = (Index("ix_verification_codes_target", "destination", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    # The phone or e-mail the code went to; a decoy key for unknown identifiers (nothing sent).
    destination: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_account_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SessionFamily(Base):
    """One login: every refresh token rotated from it shares its fate."""

    __tablename__ = "session_families"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    organization_id: Mapped[str | None] = mapped_column(String(32))
    # The entrance logged in at: every token rotated from the login keeps it.
    entrance: Mapped[str] = mapped_column(String(16), default=PLATFORM_ENTRANCE, server_default=PLATFORM_ENTRANCE)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class TokenRevocation(Base):
    """Access tokens refused before they expire: one session's (``sid``), or an account's issued before a moment.

    Written in the unit of work of the change that calls for it; verifiers poll these rows
    (ListRevocations), so a row is of use only until every token it could cover has expired by
    itself: an access token's lifetime after ``recorded_at``.
    """

    __tablename__ = "token_revocations"
    __table_args__ = (Index("ix_token_revocations_recorded", "recorded_at", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    # SESSION (key: a session family's id) or SUBJECT (key: an account id).
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    # SUBJECT: tokens issued before this moment (milliseconds since the epoch) are refused.
    issued_before_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    # SUBJECT: only the account's tokens acting for this organisation (a member's role or status changed).
    organization_id: Mapped[str | None] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("session_families.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set when rotated: presenting it again is reuse.
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SigningKey(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Signs from this time until the next key activates; published from creation, so every
    # verifier has fetched it before the first token it signs arrives.
    activates_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
