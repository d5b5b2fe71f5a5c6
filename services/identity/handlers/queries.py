"""What other services ask identity over gRPC: accounts, organisations, scope checks, recipients, audiences.

Answers are the chassis identity client's own plain values (``Contact``, ``ScopeDecision``),
so both sides of the DirectoryService speak one vocabulary. Every one is a read-only unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from services.chassis.clients.identity import Contact, RecipientQuery, ScopeDecision
from services.chassis.db import contains
from services.chassis.paging import PageRequest
from services.identity import domain
from services.identity.handlers.common import get_account, membership_of
from services.identity.models import Account, Membership, Organization
from services.identity.providers import IdentityContext


def account_by_id(context: IdentityContext, account_id: str) -> Account:
    with context.unit_of_work(read_only=True) as uow:
        return get_account(uow.session, account_id)


def organizations_by_ids(context: IdentityContext, ids: Sequence[str]) -> list[Organization]:
    """The organisations among ``ids`` that exist, in the order asked."""
    wanted = [i for i in dict.fromkeys(ids) if i]
    if not wanted:
        return []
    with context.unit_of_work(read_only=True) as uow:
        found = {o.id: o for o in uow.session.scalars(select(Organization).where(Organization.id.in_(wanted)))}
    return [found[i] for i in wanted if i in found]


def check_scope(context: IdentityContext, account_id: str, organization_id: str, scope: str) -> ScopeDecision:
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        account = session.get(Account, account_id) if account_id else None
        if account is None or account.status != domain.ACTIVE:
            return ScopeDecision(False, "", "ACCOUNT_NOT_ACTIVE")
        membership = membership_of(session, account_id, organization_id)
    if membership is None:
        return ScopeDecision(False, "", "NO_MEMBERSHIP")
    refusal = domain.scope_refusal(membership.role, membership.status, membership.scopes, scope)
    # An applicant (PENDING, REJECTED) holds no role in the organisation yet.
    role = "" if refusal == "NO_MEMBERSHIP" else membership.role
    return ScopeDecision(not refusal, role, refusal)


def _contact(account: Account, organization_id: str = "") -> Contact:
    return Contact(account.id, organization_id, account.name, account.phone or "", account.email or "")


def _organization_members(session: Session, organization_id: str, scope: str) -> list[Account]:
    rows = session.execute(
        select(Membership, Account).join(Account, Account.id == Membership.account_id)
        .where(Membership.organization_id == organization_id, Membership.status == domain.ACTIVE,
               Account.status == domain.ACTIVE)
        .order_by(Membership.created_at)).all()
    return [a for m, a in rows
            if not scope or scope in domain.effective_scopes(m.role, domain.parse_scopes(m.scopes))]


def _agency_staff(session: Session, agency: str) -> list[Account]:
    return list(session.scalars(
        select(Account).where(Account.kind == domain.STAFF, Account.agency == agency,
                              Account.status == domain.ACTIVE)
        .order_by(Account.created_at)))


def resolve_recipients(context: IdentityContext, queries: Sequence[RecipientQuery]) -> list[Contact]:
    """Each query's accounts, once per account; unknown, deleted and disabled ones left out."""
    seen: dict[str, Contact] = {}
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        for query in queries:
            if query.account_id:
                account = session.get(Account, query.account_id)
                if account is not None and account.status == domain.ACTIVE:
                    seen.setdefault(account.id, _contact(account, query.organization_id))
            elif query.organization_id:
                for account in _organization_members(session, query.organization_id, query.scope):
                    seen.setdefault(account.id, _contact(account, query.organization_id))
            elif query.agency:
                for account in _agency_staff(session, query.agency):
                    seen.setdefault(account.id, _contact(account))
    return list(seen.values())


def _audience_query(kind: str, system: str, org_types: Sequence[str],
                    organization_ids: Sequence[str]) -> Select | None:
    query = select(Account).where(Account.status == domain.ACTIVE).order_by(Account.id)
    if kind == "ALL":
        return query
    members = select(Membership.account_id).where(Membership.status == domain.ACTIVE)
    if kind == "SYSTEM":
        members = members.where(or_(Membership.role == domain.OWNER, contains(Membership.scopes, system)))
    elif kind == "ORG_TYPES":
        members = members.join(Organization, Organization.id == Membership.organization_id).where(
            Organization.legal_person_type.in_(list(org_types)))
    elif kind == "ORGANIZATIONS":
        members = members.where(Membership.organization_id.in_(list(organization_ids)))
    else:
        return None
    return query.where(Account.id.in_(members))


def list_audience(context: IdentityContext, kind: str, system: str, org_types: Sequence[str],
                  organization_ids: Sequence[str], page_size: int, page_token: str) -> tuple[list[Contact], str]:
    """One page of an announcement's audience and the next page's token ("" after the last)."""
    page = PageRequest.parse(page_size, page_token)
    query = _audience_query(kind, system, org_types, organization_ids)
    if query is None:
        return [], ""
    with context.unit_of_work(read_only=True) as uow:
        accounts = list(uow.session.scalars(query.limit(page.size + 1).offset(page.offset)))
    # One row past the page says whether another follows, without counting a large audience.
    more = len(accounts) > page.size
    return [_contact(a) for a in accounts[:page.size]], (page.next_token(page.offset + page.size + 1) if more else "")
