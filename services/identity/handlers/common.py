"""What every identity use case shares: the app object, audit records, paging and small DAO helpers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.chassis.auth import current_caller
from services.chassis.db import utcnow
from services.chassis.errors import AlreadyExists, DomainError, FieldViolation, InvalidArgument, NotFound
from services.chassis.runtime import ServiceContext
from services.chassis.uow import UnitOfWork
from services.identity import domain
from services.identity.keys import KeyStore
from services.identity.models import Account, AuditEvent, Membership, Organization
from services.identity.secrets import IdentityConfig, Secrets


class DetachingUnitOfWork(UnitOfWork):
    """Records a use case returns stay readable after the unit of work ends: they are detached
    before the closing rollback, which would otherwise expire them."""

    def __exit__(self, exc_type, exc, tb) -> None:
        self.session.expunge_all()
        super().__exit__(exc_type, exc, tb)


@dataclass
class IdentityApp:
    """Identity's run-time pieces, made once per process from the service context."""

    context: ServiceContext
    config: IdentityConfig
    secrets: Secrets
    keys: KeyStore

    def unit_of_work(self) -> UnitOfWork:
        from services.chassis.telemetry import outgoing_headers

        return DetachingUnitOfWork(self.context.session_factory, self.context.tables,
                                   header_source=outgoing_headers)

    @classmethod
    def for_context(cls, context: ServiceContext) -> IdentityApp:
        existing = context.__dict__.get("_identity_app")
        if existing is None:
            config = IdentityConfig.from_env()
            secrets = Secrets(config)
            keys = KeyStore(context.session_factory, secrets, config.access_token_seconds)
            existing = cls(context, config, secrets, keys)
            context.__dict__["_identity_app"] = existing
        return existing


def aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def commit_and_raise(uow: UnitOfWork, error: DomainError) -> NoReturn:
    """Keep what a refusal must leave behind (a spent code try, a login failure, an audit row)."""
    uow.commit()
    raise error


# Unique constraints and the request field each one protects.
_UNIQUE_FIELDS = {
    "login_name": ("loginName", "登录名已被使用"),
    "uscc": ("uscc", "该统一社会信用代码已注册"),
    "id_number_lookup": ("idNumber", "该证件号码已注册"),
    "uq_organizations_foreign_reg": ("registrationNumber", "该机构注册号已注册"),
    "uq_memberships_account_org": ("uscc", "已提交过申请或已是该单位成员"),
}


@contextmanager
def unique_fields() -> Iterator[None]:
    """Turn a unique-constraint race (at flush or commit) into ALREADY_EXISTS naming the field."""
    try:
        yield
    except IntegrityError as error:
        text = str(error.orig)
        for marker, (field_name, message) in _UNIQUE_FIELDS.items():
            if marker in text:
                raise AlreadyExists(message, reason="ALREADY_EXISTS", metadata={"field": field_name}) from error
        raise


def commit_unique(uow: UnitOfWork) -> None:
    with unique_fields():
        uow.commit()


def audit(session: Session, action: str, *, target: str | None, result: str = "SUCCESS",
          actor_id: str | None = None, detail: str = "") -> None:
    caller = current_caller()
    session.add(AuditEvent(
        at=utcnow(), actor_id=actor_id or caller.account_id, action=action, target=target, result=result,
        client_ip=caller.client_ip, user_agent=(caller.user_agent or "")[:300] or None, detail=detail[:2000]))


# ---- lookups ----

def get_account(session: Session, account_id: str) -> Account:
    account = session.get(Account, account_id) if account_id else None
    if account is None or account.status == "DELETED":
        raise NotFound("账号不存在", reason="ACCOUNT_NOT_FOUND")
    return account


def get_organization(session: Session, organization_id: str) -> Organization:
    organization = session.get(Organization, organization_id) if organization_id else None
    if organization is None:
        raise NotFound("单位不存在", reason="ORGANIZATION_NOT_FOUND")
    return organization


def membership_of(session: Session, account_id: str | None, organization_id: str,
                  *, for_update: bool = False) -> Membership | None:
    if not account_id:
        return None
    query = select(Membership).where(Membership.account_id == account_id,
                                     Membership.organization_id == organization_id)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def find_account_by_identifier(session: Session, secrets: Secrets, identifier: str) -> Account | None:
    """Login name, USCC (its OWNER) or ID number (a natural person, or a sole legal representative)."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    account = session.scalar(select(Account).where(Account.login_name == identifier))
    if account is None and len(identifier) == 18:
        upper = identifier.upper()
        owner = session.scalar(
            select(Account).join(Membership, Membership.account_id == Account.id)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Organization.uscc == upper, Membership.role == "OWNER"))
        if owner is not None:
            account = owner
        else:
            lookup = secrets.lookup_hash(domain.normalize_id_number(identifier))
            account = session.scalar(select(Account).where(Account.id_number_lookup == lookup))
            if account is None:
                owners = list(session.scalars(
                    select(Account).join(Membership, Membership.account_id == Account.id)
                    .join(Organization, Organization.id == Membership.organization_id)
                    .where(Organization.legal_rep_id_lookup == lookup, Membership.role == "OWNER")))
                account = owners[0] if len(owners) == 1 else None
    if account is None or account.status == "DELETED":
        return None
    return account


def memberships_of_account(session: Session, account_id: str) -> list[tuple[Membership, Organization]]:
    rows = session.execute(
        select(Membership, Organization).join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.account_id == account_id)
        .order_by(Membership.created_at)).all()
    return [(m, o) for m, o in rows]


def field_error(field_name: str, message: str) -> InvalidArgument:
    return InvalidArgument(message, [FieldViolation(field_name, message)])
