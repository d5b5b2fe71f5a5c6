"""Members of an organisation (授权管理, 手签员管理): listing, scopes, roles, status, the admin role."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.db import utcnow
from services.chassis.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from services.chassis.messages import account_recipient, notification_request
from services.chassis.paging import Page, paginate
from services.identity import domain
from services.identity.handlers.common import audit, get_organization, membership_of
from services.identity.handlers.organizations import require_manager
from services.identity.handlers.revocations import revoke_subject
from services.identity.models import Account, Membership
from services.identity.providers import IdentityContext

Member = tuple[Membership, Account]
# The audit action of each change of a member's status.
_STATUS_ACTIONS = {domain.ACTIVE: "MEMBER_ENABLED", domain.DISABLED: "MEMBER_DISABLED",
                   domain.REMOVED: "MEMBER_REMOVED"}


def list_members(context: IdentityContext, organization_id: str, status: str, page_size: int,
                 page_token: str, role: str = "") -> Page[Member]:
    if status:
        domain.check_choice("status", status, domain.MEMBERSHIP.states, "状态")
    if role:
        domain.check_choice("role", role, domain.MEMBER_ROLES, "角色")
    with context.unit_of_work(read_only=True) as uow:
        require_manager(uow.session, organization_id)
        return _members_page(uow.session, organization_id, status, page_size, page_token, role)


def _members_page(session: Session, organization_id: str, status: str, page_size: int,
                  page_token: str, role: str = "") -> Page[Member]:
    query = (select(Membership).where(Membership.organization_id == organization_id)
             .order_by(Membership.created_at, Membership.id))
    if role:
        query = query.where(Membership.role == role)
    query = query.where(Membership.status == status) if status else query.where(
        Membership.status.in_(domain.MEMBER_STATUSES))
    page = paginate(session, query, page_size, page_token)
    return Page([(m, session.get(Account, m.account_id)) for m in page.items], page.next_page_token,
                page.total_size)


def target_member(session: Session, organization_id: str, account_id: str, manager: Membership) -> Membership:
    membership = membership_of(session, account_id, organization_id, for_update=True)
    if membership is None or membership.status not in domain.MEMBER_STATUSES:
        raise NotFound("成员不存在", reason="MEMBER_NOT_FOUND")
    if membership.role == domain.OWNER:
        raise FailedPrecondition("不能对单位法人账号执行此操作", reason="OWNER_IMMUTABLE")
    if membership.account_id == manager.account_id:
        raise FailedPrecondition("不能对自己执行此操作", reason="SELF_ACTION")
    if membership.role == domain.ADMIN_ROLE and manager.role != domain.OWNER:
        raise PermissionDenied("只有单位法人账号可以管理管理员", reason="ROLE_REQUIRED",
                               metadata={"roles": domain.OWNER})
    return membership


def set_member_scopes(context: IdentityContext, organization_id: str, account_id: str,
                      scopes: list[str]) -> Member:
    problem = domain.scopes_problem(list(scopes))
    if problem:
        raise InvalidArgument.for_field("scopes", problem)
    with context.unit_of_work() as uow:
        session = uow.session
        manager = require_manager(session, organization_id)
        membership = target_member(session, organization_id, account_id, manager)
        before = membership.scopes
        membership.scopes = domain.format_scopes(list(scopes))
        membership.updated_at = utcnow()
        if set(domain.parse_scopes(before)) - set(scopes):
            # Tokens carry the scopes: those still holding a withdrawn one are refused, a refresh carries
            # the scopes as they are. A grant alone leaves them: they claim less than the member may do.
            revoke_subject(session, account_id, "SCOPES_CHANGED", organization_id)
        audit(session, "SCOPES_GRANTED", target=account_id,
              detail=f"organization {organization_id}: [{before}] -> [{membership.scopes}]")
        account = session.get(Account, account_id)
        uow.commit()
    return membership, account


def set_member_role(context: IdentityContext, organization_id: str, account_id: str, role: str) -> Member:
    domain.check_choice("role", role, domain.ASSIGNABLE_ROLES, "角色")
    with context.unit_of_work() as uow:
        session = uow.session
        manager = require_manager(session, organization_id)
        membership = target_member(session, organization_id, account_id, manager)
        if membership.role == domain.ADMIN_ROLE:
            raise FailedPrecondition("管理员的角色请通过移交管理员变更", reason="USE_TRANSFER_ADMIN")
        membership.role = role
        membership.updated_at = utcnow()
        revoke_subject(session, account_id, "ROLE_CHANGED", organization_id)
        audit(session, "MEMBER_ROLE_SET", target=account_id, detail=f"organization {organization_id}: {role}")
        account = session.get(Account, account_id)
        uow.commit()
    return membership, account


def change_member_status(context: IdentityContext, organization_id: str, account_id: str, target: str) -> Member:
    """Disable, enable or remove a member (ACTIVE, DISABLED or REMOVED), as its machine allows."""
    with context.unit_of_work() as uow:
        session = uow.session
        manager = require_manager(session, organization_id)
        membership = target_member(session, organization_id, account_id, manager)
        domain.move_membership(membership, target)
        membership.updated_at = utcnow()
        if target == domain.REMOVED:
            membership.scopes = ""
        if target != domain.ACTIVE:
            revoke_subject(session, account_id, f"MEMBER_{target}", organization_id)
        audit(session, _STATUS_ACTIONS[target], target=account_id, detail=f"organization {organization_id}")
        account = session.get(Account, account_id)
        uow.commit()
    return membership, account


def transfer_admin(context: IdentityContext, organization_id: str, to_account_id: str,
                   former_admin_role: str = "") -> Page[Member]:
    """The ADMIN role moves to another active member (授权); answers the members as they are after it.

    The OWNER may hand administration over too, before its legal-person account leaves.
    """
    if not to_account_id:
        raise InvalidArgument.for_field("toAccountId", "请选择新的管理员")
    former_admin_role = former_admin_role or domain.AGENT
    domain.check_choice("formerAdminRole", former_admin_role, domain.FORMER_ADMIN_ROLES, "原管理员的新角色")
    with context.unit_of_work() as uow:
        session = uow.session
        manager = require_manager(session, organization_id)
        target = membership_of(session, to_account_id, organization_id, for_update=True)
        if target is None or target.status != domain.ACTIVE:
            raise InvalidArgument.for_field("toAccountId", "新的管理员须为本单位状态正常的成员")
        if target.role in domain.MANAGER_ROLES:
            raise InvalidArgument.for_field("toAccountId", "该成员已是单位法人账号或管理员")
        admins = session.scalars(select(Membership).where(Membership.organization_id == organization_id,
                                                          Membership.role == domain.ADMIN_ROLE)
                                 .with_for_update()).all()
        now = utcnow()
        for admin in admins:
            admin.role, admin.updated_at = former_admin_role, now
            # The former admin's tokens claim the role it no longer holds; the new admin's claim less than it may.
            revoke_subject(session, admin.account_id, "ROLE_CHANGED", organization_id)
        target.role, target.updated_at = domain.ADMIN_ROLE, now
        audit(session, "ADMIN_TRANSFERRED", target=to_account_id,
              detail=f"organization {organization_id} by {manager.role}; former admin now {former_admin_role}")
        uow.publish(notification_request(
            system="identity", category="member", template="identity.admin.transferred",
            recipients=[account_recipient(to_account_id)], channels=["IN_SITE", "SMS"],
            params={"organizationName": get_organization(session, organization_id).name}))
        members = _members_page(session, organization_id, "", 0, "")
        uow.commit()
    return members
