"""What identity's use cases share: their security events in the audit trail, lookups, and unique-key refusals."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.chassis import audit as trail
from services.chassis.errors import AlreadyExists, Conflict, DomainError, NotFound
from services.identity import domain
from services.identity.models import Account, Membership, Organization
from services.identity.secrets import Secrets

# Unique constraints and the request field each one protects.
_UNIQUE_FIELDS = {
    "login_name": ("loginName", "登录名已被使用"),
    "uscc": ("uscc", "该统一社会信用代码已注册"),
    "id_number_lookup": ("idNumber", "该证件号码已注册"),
    "uq_organizations_foreign_reg": ("registrationNumber", "该机构注册号已注册"),
    "uq_memberships_account_org": ("uscc", "已提交过申请或已是该单位成员"),
}


def unique_field_error(error: IntegrityError) -> DomainError:
    """A unique-key race lost to another transaction: ALREADY_EXISTS naming the field it protects.

    For ``uow.commit(on_integrity_error=unique_field_error)`` and :func:`flush_unique`.
    """
    text = str(error.orig)
    for marker, (field_name, message) in _UNIQUE_FIELDS.items():
        if marker in text:
            return AlreadyExists(message, reason="ALREADY_EXISTS", metadata={"field": field_name})
    return Conflict("数据已被同时修改，请重试", reason="CONCURRENT_CHANGE")


def flush_unique(session: Session) -> None:
    """Write the pending rows now (later rows refer to them), answering a unique-key race as a commit would."""
    try:
        session.flush()
    except IntegrityError as error:
        raise unique_field_error(error) from error


def audit(session: Session, action: str, *, target: str | None, result: str = "SUCCESS",
          actor_id: str | None = None, detail: str = "") -> None:
    """Identity's security event ``action`` (LOGIN, STAFF_UPDATED...), written to the service's audit trail with
    the unit of work's commit; a FAILURE takes the code and reason the use case refuses with."""
    trail.record_event(session, action, record_id=target or "", failed=result == "FAILURE", detail=detail,
                       actor_id=actor_id)


# ---- lookups ----

def require_login_name_free(session: Session, login_name: str) -> None:
    if session.scalar(select(Account.id).where(Account.login_name == login_name)) is not None:
        raise AlreadyExists("登录名已被使用", reason="ALREADY_EXISTS", metadata={"field": "loginName"})


def get_account(session: Session, account_id: str) -> Account:
    account = session.get(Account, account_id) if account_id else None
    if account is None or account.status == domain.DELETED:
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


def _owner_by(session: Session, *conditions) -> list[Account]:
    return list(session.scalars(
        select(Account).join(Membership, Membership.account_id == Account.id)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(*conditions, Membership.role == domain.OWNER)))


def find_account_by_identifier(session: Session, secrets: Secrets, identifier: str) -> Account | None:
    """Login name, USCC (its OWNER) or ID number (a natural person, or a sole legal representative)."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    account = session.scalar(select(Account).where(Account.login_name == identifier))
    if account is None and len(identifier) == 18:
        owners = _owner_by(session, Organization.uscc == identifier.upper())
        if owners:
            account = owners[0]
        else:
            lookup = secrets.lookup_hash(domain.normalize_id_number(identifier))
            account = session.scalar(select(Account).where(Account.id_number_lookup == lookup))
            if account is None:
                owners = _owner_by(session, Organization.legal_rep_id_lookup == lookup)
                account = owners[0] if len(owners) == 1 else None
    if account is None or account.status == domain.DELETED:
        return None
    return account


def memberships_of_account(session: Session, account_id: str) -> list[tuple[Membership, Organization]]:
    rows = session.execute(
        select(Membership, Organization).join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.account_id == account_id)
        .order_by(Membership.created_at)).all()
    return [(m, o) for m, o in rows]
