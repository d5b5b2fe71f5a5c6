"""Agent applications (经办人申请): a natural person applies, the organisation's OWNER or ADMIN decides.

Another user registering under an organisation's USCC (the CNCA way) opens the same PENDING membership,
decided here like any application.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.chassis.auth import require_authenticated
from services.chassis.db import utcnow
from services.chassis.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied, Violations
from services.chassis.messages import account_recipient, notification_request
from services.chassis.paging import Page, paginate
from services.chassis.uow import UnitOfWork
from services.identity import domain
from services.identity.handlers.common import audit, membership_of, unique_field_error
from services.identity.handlers.organizations import require_manager
from services.identity.models import Account, Membership, Organization
from services.identity.providers import IdentityContext

Application = tuple[Membership, Organization, Account]


def manager_ids(session: Session, organization_id: str) -> list[str]:
    """The accounts that decide the organisation's applications.

    Read before an application is written, so a racing one surfaces at commit (one unique key).
    """
    return list(session.scalars(select(Membership.account_id).where(
        Membership.organization_id == organization_id, Membership.role.in_(domain.MANAGER_ROLES),
        Membership.status == domain.ACTIVE)).all())


def tell_managers(uow: UnitOfWork, managers: list[str], applicant: Account, organization: Organization) -> None:
    uow.publish(notification_request(
        system="identity", category="agent", template="identity.agent.applied",
        recipients=[account_recipient(a) for a in managers], channels=["IN_SITE", "SMS"],
        params={"agentName": applicant.name, "organizationName": organization.name, "systems": "（待授权）"}))


def apply_as_agent(context: IdentityContext, organization_name: str, uscc: str) -> Application:
    caller = require_authenticated()
    if caller.kind != domain.NATURAL_PERSON:
        raise PermissionDenied("只有自然人账号可以申请成为经办人", reason="NATURAL_PERSON_REQUIRED")
    v = Violations()
    domain.check(v, "organizationName", domain.text_problem(organization_name, "单位名称", 200))
    domain.check(v, "uscc", domain.uscc_problem(uscc))
    v.raise_if_any()
    uscc = domain.normalize_uscc(uscc)
    with context.unit_of_work() as uow:
        session = uow.session
        organization = session.scalar(select(Organization).where(Organization.uscc == uscc))
        if organization is None:
            raise InvalidArgument.for_field("uscc", "该统一社会信用代码的单位尚未在平台注册")
        if organization.name.strip() != organization_name.strip():
            raise InvalidArgument.for_field("organizationName", "单位名称与统一社会信用代码不符")
        applicant = session.get(Account, caller.account_id)
        managers = manager_ids(session, organization.id)
        membership = membership_of(session, caller.account_id, organization.id, for_update=True)
        now = utcnow()
        if membership is None:
            membership = Membership(account_id=caller.account_id, organization_id=organization.id,
                                    role=domain.AGENT, status=domain.PENDING, scopes="", created_at=now,
                                    updated_at=now)
            session.add(membership)
        elif not domain.MEMBERSHIP.can(membership.status, domain.PENDING):
            raise AlreadyExists(domain.REAPPLICATION_REFUSALS[membership.status], reason="ALREADY_EXISTS",
                                metadata={"field": "uscc"})
        else:
            domain.move_membership(membership, domain.PENDING)
            membership.role, membership.scopes, membership.reason = domain.AGENT, "", ""
            membership.created_at, membership.decided_at, membership.updated_at = now, None, now
        tell_managers(uow, managers, applicant, organization)
        audit(session, "AGENT_APPLIED", target=organization.id)
        uow.commit(on_integrity_error=unique_field_error)
    return membership, organization, applicant


def list_agent_applications(context: IdentityContext, status: str, page_size: int,
                            page_token: str) -> Page[Application]:
    """The applications to the organisations the caller manages, and the caller's own."""
    caller = require_authenticated()
    if status:
        domain.check_choice("status", status, domain.MEMBERSHIP.states, "状态")
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        managed = select(Membership.organization_id).where(
            Membership.account_id == caller.account_id, Membership.status == domain.ACTIVE,
            Membership.role.in_(domain.MANAGER_ROLES))
        query = (select(Membership).where(Membership.role != domain.OWNER,
                                          or_(Membership.account_id == caller.account_id,
                                              Membership.organization_id.in_(managed)))
                 .order_by(Membership.created_at.desc(), Membership.id))
        if status:
            query = query.where(Membership.status == status)
        page = paginate(session, query, page_size, page_token)
        return Page([_application(session, m) for m in page.items], page.next_page_token, page.total_size)


def _application(session: Session, membership: Membership) -> Application:
    return (membership, session.get(Organization, membership.organization_id),
            session.get(Account, membership.account_id))


def decide_agent_application(context: IdentityContext, application_id: str, approve: bool,
                             reason: str = "") -> Application:
    require_authenticated()
    with context.unit_of_work() as uow:
        session = uow.session
        membership = session.get(Membership, application_id, with_for_update=True) if application_id else None
        if membership is None or membership.role == domain.OWNER:
            raise NotFound("申请不存在", reason="APPLICATION_NOT_FOUND")
        require_manager(session, membership.organization_id)
        domain.check_undecided(membership.status)
        domain.move_membership(membership, domain.ACTIVE if approve else domain.REJECTED)
        now = utcnow()
        membership.decided_at, membership.updated_at = now, now
        membership.reason = (reason or "").strip()[:500]
        if approve:
            membership.role, membership.scopes = domain.AGENT, ""
        organization = session.get(Organization, membership.organization_id)
        params = {"organizationName": organization.name}
        params.update({"systems": "（授权后可办理的）各系统"} if approve else {"reason": membership.reason or "未说明"})
        uow.publish(notification_request(
            system="identity", category="agent",
            template="identity.agent.approved" if approve else "identity.agent.rejected",
            recipients=[account_recipient(membership.account_id)], channels=["IN_SITE", "SMS"], params=params))
        audit(session, "AGENT_APPROVED" if approve else "AGENT_REJECTED", target=membership.account_id,
              detail=f"organization {organization.id}")
        applicant = session.get(Account, membership.account_id)
        uow.commit()
    return membership, organization, applicant
