"""Hand-signers (手签员管理, origin manual §1.2.1): the organisation's OWNER or ADMIN creates signer accounts
and, when a signer leaves, deletes the account itself (注销), not only the membership."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from services.chassis.auth import current_caller
from services.chassis.db import new_id, utcnow
from services.chassis.errors import FailedPrecondition, InvalidArgument, Violations
from services.chassis.messages import account_recipient, notification_request
from services.identity import domain
from services.identity.handlers.accounts import erase_account
from services.identity.handlers.common import (
    audit,
    flush_unique,
    get_organization,
    require_login_name_free,
    unique_field_error,
)
from services.identity.handlers.members import Member, target_member
from services.identity.handlers.organizations import require_manager
from services.identity.models import Account, Membership
from services.identity.providers import IdentityContext


def _signer_violations(login_name: str, password: str, name: str, phone: str, email: str, id_type: str,
                       id_number: str, scopes: Sequence[str]) -> Violations:
    v = Violations()
    domain.check(v, "loginName", domain.login_name_problem(login_name))
    domain.check(v, "password", domain.password_problem(password))
    domain.check(v, "name", domain.text_problem(name, "姓名"))
    domain.check(v, "phone", domain.phone_problem(phone))
    if email:
        domain.check(v, "email", domain.email_problem(email))
    if id_type or id_number:
        domain.check(v, "idType", domain.choice_problem(id_type, domain.ID_TYPES, "证件类型"))
        domain.check(v, "idNumber", domain.id_number_problem(id_type, id_number, utcnow().date()))
    domain.check(v, "scopes", domain.scopes_problem(list(scopes)))
    return v


def create_signer(context: IdentityContext, *, organization_id: str, login_name: str, password: str, name: str,
                  phone: str, email: str = "", id_type: str = "", id_number: str = "",
                  scopes: Sequence[str] = ()) -> Member:
    """A natural-person account with an ACTIVE SIGNER membership of the organisation; the signer is told by SMS."""
    _signer_violations(login_name, password, name, phone, email, id_type, id_number, scopes).raise_if_any()
    secrets = context.providers.secrets
    granted = domain.format_scopes(scopes or domain.SIGNER_SYSTEMS)
    with context.unit_of_work() as uow:
        session = uow.session
        require_manager(session, organization_id)
        organization = get_organization(session, organization_id)
        require_login_name_free(session, login_name)
        now = utcnow()
        account = Account(id=new_id(), login_name=login_name, kind=domain.NATURAL_PERSON, status=domain.ACTIVE,
                          password_hash=secrets.hash_password(password), name=name.strip(), phone=phone,
                          email=email or None, created_at=now, updated_at=now)
        if id_number:
            number = domain.normalize_id_number(id_number)
            account.id_type = id_type
            account.id_number_encrypted = secrets.encrypt(number, "id-number")
            account.id_number_lookup = secrets.lookup_hash(number)
        session.add(account)
        # The membership refers to the account: a taken login name or ID number is refused here, by field.
        flush_unique(session)
        membership = Membership(id=new_id(), account_id=account.id, organization_id=organization_id,
                                role=domain.SIGNER, status=domain.ACTIVE, scopes=granted, created_at=now,
                                decided_at=now, updated_at=now)
        session.add(membership)
        audit(session, "SIGNER_CREATED", target=account.id, detail=f"organization {organization_id}: [{granted}]")
        uow.publish(notification_request(
            system="identity", category="member", template="identity.signer.created",
            recipients=[account_recipient(account.id)], channels=["IN_SITE", "SMS"],
            params={"organizationName": organization.name, "loginName": login_name}))
        uow.commit(on_integrity_error=unique_field_error)
    return membership, account


def delete_member_account(context: IdentityContext, organization_id: str, account_id: str) -> Member:
    """A departed member's account deleted (手签员离职，管理员可发起对应的手签员账号注销); answers it as it ends.

    An ADMIN's account is refused until the admin role has moved on: the new admin deletes the old one's.
    An account that is also a member elsewhere is only removed from this organisation (RemoveMember).
    """
    with context.unit_of_work() as uow:
        session = uow.session
        manager = require_manager(session, organization_id)
        membership = target_member(session, organization_id, account_id, manager)
        if membership.role == domain.ADMIN_ROLE:
            raise FailedPrecondition("管理员离职，需提前转移管理员身份，再由新的管理员注销原管理员账号",
                                     reason="ADMIN_MUST_TRANSFER")
        elsewhere = session.scalar(select(Membership.id).where(
            Membership.account_id == account_id, Membership.organization_id != organization_id,
            Membership.status.in_(domain.BINDING_STATUSES)).limit(1))
        if elsewhere is not None:
            raise FailedPrecondition("该账号还是其他单位的成员，只能将其移出本单位，不能注销账号",
                                     reason="ACCOUNT_SHARED")
        account = session.get(Account, account_id, with_for_update=True)
        if account is None or account.kind != domain.NATURAL_PERSON:
            raise InvalidArgument.for_field("accountId", "只能注销本单位的个人账号")
        erase_account(uow, account, actor_id=current_caller().account_id or manager.account_id,
                      action="MEMBER_ACCOUNT_DELETED", detail=f"organization {organization_id}")
        # The memberships moved by a set-based UPDATE: read this one back as it now is (REMOVED).
        session.refresh(membership)
        uow.commit()
    return membership, account
