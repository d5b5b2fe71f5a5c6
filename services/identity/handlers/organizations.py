"""Organisations, agent applications (经办人申请) and member management (授权管理, 手签员管理)."""

from __future__ import annotations

from sqlalchemy import or_, select

from services.chassis.auth import current_caller, require_authenticated
from services.chassis.db import utcnow
from services.chassis.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Violations,
)
from services.chassis.messages import account_recipient, notification_request
from services.chassis.paging import Page, paginate
from services.identity import domain
from services.identity.handlers.common import (
    IdentityApp,
    audit,
    commit_unique,
    get_organization,
    membership_of,
    unique_fields,
)
from services.identity.models import Account, Membership, Organization

# ---- who may see and manage ----


def can_view_organization(session, organization_id: str) -> bool:
    caller = current_caller()
    if not caller.is_authenticated:
        return False
    if caller.kind in ("STAFF", "ADMIN"):
        return True
    membership = membership_of(session, caller.account_id, organization_id)
    return membership is not None and membership.status == "ACTIVE"


def require_manager(session, organization_id: str) -> Membership:
    """The caller must be an ACTIVE OWNER or ADMIN of the organisation (checked in the database)."""
    caller = require_authenticated()
    membership = membership_of(session, caller.account_id, organization_id)
    if membership is None or membership.status != "ACTIVE" or membership.role not in domain.MANAGER_ROLES:
        if get_organization_or_none(session, organization_id) is None or membership is None:
            raise NotFound("单位不存在或您不是该单位成员", reason="ORGANIZATION_NOT_FOUND")
        raise PermissionDenied("只有单位的法人账号或管理员可以执行此操作", reason="ROLE_REQUIRED",
                               metadata={"roles": "OWNER,ADMIN"})
    return membership


def get_organization_or_none(session, organization_id: str) -> Organization | None:
    return session.get(Organization, organization_id) if organization_id else None


# ---- organisations ----


def get_visible_organization(app: IdentityApp, organization_id: str) -> Organization:
    require_authenticated()
    with app.unit_of_work() as uow:
        if not can_view_organization(uow.session, organization_id):
            raise NotFound("单位不存在或您不是该单位成员", reason="ORGANIZATION_NOT_FOUND")
        return get_organization(uow.session, organization_id)


def update_organization(app: IdentityApp, r) -> Organization:
    v = Violations()
    if r.name:
        domain.check(v, "name", domain.text_problem(r.name, "单位名称", 200))
    if r.legal_rep_name:
        domain.check(v, "legalRepName", domain.text_problem(r.legal_rep_name, "法定代表人姓名"))
    if r.industry:
        domain.check(v, "industry", domain.industry_problem(r.industry))
    if r.enterprise_size:
        domain.check(v, "enterpriseSize", domain.choice_problem(r.enterprise_size, domain.ENTERPRISE_SIZES, "企业规模"))
    if r.holding:
        domain.check(v, "holding", domain.choice_problem(r.holding, domain.HOLDINGS, "企业控股情况"))
    if r.postcode:
        domain.check(v, "postcode", domain.postcode_problem(r.postcode))
    v.raise_if_any()
    with app.unit_of_work() as uow:
        session = uow.session
        require_manager(session, r.id)
        organization = get_organization(session, r.id)
        changed = []
        for name in ("name", "legal_rep_name", "industry", "enterprise_size", "holding", "address", "postcode",
                     "contact_name"):
            value = getattr(r, name)
            if value and value.strip() != getattr(organization, name):
                setattr(organization, name, value.strip())
                changed.append(name)
        if changed:
            organization.updated_at = utcnow()
            audit(session, "ORGANIZATION_UPDATED", target=organization.id, detail=",".join(changed))
        uow.commit()
    return organization


# ---- agent applications ----


def apply_as_agent(app: IdentityApp, organization_name: str, uscc: str) -> tuple[Membership, Organization, Account]:
    caller = require_authenticated()
    if caller.kind != "NATURAL_PERSON":
        raise PermissionDenied("只有自然人账号可以申请成为经办人", reason="NATURAL_PERSON_REQUIRED")
    v = Violations()
    domain.check(v, "organizationName", domain.text_problem(organization_name, "单位名称", 200))
    domain.check(v, "uscc", domain.uscc_problem(uscc))
    v.raise_if_any()
    uscc = domain.normalize_uscc(uscc)
    with unique_fields(), app.unit_of_work() as uow:
        session = uow.session
        organization = session.scalar(select(Organization).where(Organization.uscc == uscc))
        if organization is None:
            raise InvalidArgument.for_field("uscc", "该统一社会信用代码的单位尚未在平台注册")
        if organization.name.strip() != organization_name.strip():
            raise InvalidArgument.for_field("organizationName", "单位名称与统一社会信用代码不符")
        applicant = session.get(Account, caller.account_id)
        membership = membership_of(session, caller.account_id, organization.id, for_update=True)
        now = utcnow()
        if membership is None:
            membership = Membership(account_id=caller.account_id, organization_id=organization.id, role="AGENT",
                                    status="PENDING", scopes="", created_at=now, updated_at=now)
            session.add(membership)
        elif membership.status == "PENDING":
            raise AlreadyExists("已提交申请，请等待单位审核", reason="ALREADY_EXISTS", metadata={"field": "uscc"})
        elif membership.status in ("ACTIVE", "DISABLED"):
            raise AlreadyExists("您已是该单位成员", reason="ALREADY_EXISTS", metadata={"field": "uscc"})
        else:
            domain.check_membership_transition(membership.status, "PENDING")
            membership.status, membership.role, membership.scopes, membership.reason = "PENDING", "AGENT", "", ""
            membership.created_at, membership.decided_at, membership.updated_at = now, None, now
        session.flush()
        owner_ids = session.scalars(select(Membership.account_id).where(
            Membership.organization_id == organization.id, Membership.role.in_(domain.MANAGER_ROLES),
            Membership.status == "ACTIVE")).all()
        uow.publish(notification_request(
            system="identity", category="agent", template="identity.agent.applied",
            recipients=[account_recipient(a) for a in owner_ids], channels=["IN_SITE", "SMS"],
            params={"agentName": applicant.name, "organizationName": organization.name,
                    "systems": "（待授权）"}))
        audit(session, "AGENT_APPLIED", target=organization.id)
        commit_unique(uow)
    return membership, organization, applicant


def list_agent_applications(app: IdentityApp, status: str, page_size: int, page_token: str) -> Page:
    caller = require_authenticated()
    if status:
        domain.check_choice("status", status, tuple(domain.MEMBERSHIP_TRANSITIONS), "状态")
    with app.unit_of_work() as uow:
        session = uow.session
        managed = select(Membership.organization_id).where(
            Membership.account_id == caller.account_id, Membership.status == "ACTIVE",
            Membership.role.in_(domain.MANAGER_ROLES))
        query = (select(Membership).where(Membership.role != "OWNER",
                                          or_(Membership.account_id == caller.account_id,
                                              Membership.organization_id.in_(managed)))
                 .order_by(Membership.created_at.desc(), Membership.id))
        if status:
            query = query.where(Membership.status == status)
        page = paginate(session, query, page_size, page_token)
        return Page([application_view(session, m) for m in page.items], page.next_page_token, page.total_size)


def application_view(session, membership: Membership) -> tuple[Membership, Organization, Account]:
    return membership, session.get(Organization, membership.organization_id), session.get(Account,
                                                                                          membership.account_id)


def decide_agent_application(app: IdentityApp, application_id: str, approve: bool,
                             reason: str = "") -> tuple[Membership, Organization, Account]:
    require_authenticated()
    with app.unit_of_work() as uow:
        session = uow.session
        membership = session.get(Membership, application_id, with_for_update=True) if application_id else None
        if membership is None or membership.role == "OWNER":
            raise NotFound("申请不存在", reason="APPLICATION_NOT_FOUND")
        require_manager(session, membership.organization_id)
        target = "ACTIVE" if approve else "REJECTED"
        if membership.status != "PENDING":
            raise FailedPrecondition("该申请已处理", reason="INVALID_STATE_TRANSITION",
                                     metadata={"from": membership.status, "to": target})
        domain.check_membership_transition(membership.status, target)
        now = utcnow()
        membership.status, membership.decided_at, membership.updated_at = target, now, now
        membership.reason = (reason or "").strip()[:500]
        if approve:
            membership.role, membership.scopes = "AGENT", ""
        organization = session.get(Organization, membership.organization_id)
        params = {"organizationName": organization.name}
        params.update({"systems": "（授权后可办理的）各系统"} if approve else {"reason": membership.reason or "未说明"})
        uow.publish(notification_request(
            system="identity", category="agent",
            template="identity.agent.approved" if approve else "identity.agent.rejected",
            recipients=[account_recipient(membership.account_id)], channels=["IN_SITE", "SMS"], params=params))
        audit(session, "AGENT_APPROVED" if approve else "AGENT_REJECTED", target=membership.account_id,
              detail=f"organization {organization.id}")
        uow.commit()
        return membership, organization, session.get(Account, membership.account_id)


# ---- members ----


def list_members(app: IdentityApp, organization_id: str, status: str, page_size: int, page_token: str) -> Page:
    if status:
        domain.check_choice("status", status, tuple(domain.MEMBERSHIP_TRANSITIONS), "状态")
    with app.unit_of_work() as uow:
        session = uow.session
        require_manager(session, organization_id)
        return _members_page(session, organization_id, status, page_size, page_token)


def _members_page(session, organization_id: str, status: str, page_size: int, page_token: str) -> Page:
    query = (select(Membership).where(Membership.organization_id == organization_id)
             .order_by(Membership.created_at, Membership.id))
    query = query.where(Membership.status == status) if status else query.where(
        Membership.status.in_(("ACTIVE", "DISABLED")))
    page = paginate(session, query, page_size, page_token)
    return Page([(m, session.get(Account, m.account_id)) for m in page.items], page.next_page_token,
                page.total_size)


def _target_member(session, organization_id: str, account_id: str, manager: Membership) -> Membership:
    membership = membership_of(session, account_id, organization_id, for_update=True)
    if membership is None or membership.status in ("PENDING", "REJECTED", "REMOVED"):
        raise NotFound("成员不存在", reason="MEMBER_NOT_FOUND")
    if membership.role == "OWNER":
        raise FailedPrecondition("不能对单位法人账号执行此操作", reason="OWNER_IMMUTABLE")
    if membership.account_id == manager.account_id:
        raise FailedPrecondition("不能对自己执行此操作", reason="SELF_ACTION")
    if membership.role == "ADMIN" and manager.role != "OWNER":
        raise PermissionDenied("只有单位法人账号可以管理管理员", reason="ROLE_REQUIRED", metadata={"roles": "OWNER"})
    return membership


def set_member_scopes(app: IdentityApp, organization_id: str, account_id: str,
                      scopes: list[str]) -> tuple[Membership, Account]:
    problem = domain.scopes_problem(list(scopes))
    if problem:
        raise InvalidArgument.for_field("scopes", problem)
    with app.unit_of_work() as uow:
        session = uow.session
        manager = require_manager(session, organization_id)
        membership = _target_member(session, organization_id, account_id, manager)
        before = membership.scopes
        membership.scopes = domain.format_scopes(list(scopes))
        membership.updated_at = utcnow()
        audit(session, "SCOPES_GRANTED", target=account_id,
              detail=f"organization {organization_id}: [{before}] -> [{membership.scopes}]")
        uow.commit()
        return membership, session.get(Account, account_id)


def set_member_role(app: IdentityApp, organization_id: str, account_id: str,
                    role: str) -> tuple[Membership, Account]:
    domain.check_choice("role", role, domain.ASSIGNABLE_ROLES, "角色")
    with app.unit_of_work() as uow:
        session = uow.session
        manager = require_manager(session, organization_id)
        membership = _target_member(session, organization_id, account_id, manager)
        if membership.role == "ADMIN":
            raise FailedPrecondition("管理员的角色请通过移交管理员变更", reason="USE_TRANSFER_ADMIN")
        membership.role = role
        membership.updated_at = utcnow()
        audit(session, "MEMBER_ROLE_SET", target=account_id, detail=f"organization {organization_id}: {role}")
        uow.commit()
        return membership, session.get(Account, account_id)


def change_member_status(app: IdentityApp, organization_id: str, account_id: str,
                         target: str) -> tuple[Membership, Account]:
    with app.unit_of_work() as uow:
        session = uow.session
        manager = require_manager(session, organization_id)
        membership = _target_member(session, organization_id, account_id, manager)
        domain.check_membership_transition(membership.status, target)
        membership.status = target
        membership.updated_at = utcnow()
        if target == "REMOVED":
            membership.scopes = ""
        audit(session, {"ACTIVE": "MEMBER_ENABLED", "DISABLED": "MEMBER_DISABLED", "REMOVED": "MEMBER_REMOVED"}[target],
              target=account_id, detail=f"organization {organization_id}")
        uow.commit()
        return membership, session.get(Account, account_id)


def transfer_admin(app: IdentityApp, organization_id: str, to_account_id: str) -> Page:
    if not to_account_id:
        raise InvalidArgument.for_field("toAccountId", "请选择新的管理员")
    with app.unit_of_work() as uow:
        session = uow.session
        manager = require_manager(session, organization_id)
        target = membership_of(session, to_account_id, organization_id, for_update=True)
        if target is None or target.status != "ACTIVE":
            raise InvalidArgument.for_field("toAccountId", "新的管理员须为本单位状态正常的成员")
        if target.role in ("OWNER", "ADMIN"):
            raise InvalidArgument.for_field("toAccountId", "该成员已是单位法人账号或管理员")
        admins = session.scalars(select(Membership).where(Membership.organization_id == organization_id,
                                                          Membership.role == "ADMIN").with_for_update()).all()
        now = utcnow()
        for admin in admins:
            admin.role, admin.updated_at = "AGENT", now
        target.role, target.updated_at = "ADMIN", now
        audit(session, "ADMIN_TRANSFERRED", target=to_account_id,
              detail=f"organization {organization_id} by {manager.role}")
        uow.commit()
        return _members_page(session, organization_id, "", 0, "")
