"""What other services ask identity over gRPC: accounts, organisations, scope checks, recipients, audiences."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from services.chassis.paging import PageRequest
from services.identity import domain
from services.identity.handlers.common import IdentityApp, get_account
from services.identity.models import Account, Membership, Organization


@dataclass(frozen=True)
class Recipient:
    account_id: str
    organization_id: str
    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class ScopeCheck:
    allowed: bool
    role: str
    reason: str


def account_by_id(app: IdentityApp, account_id: str) -> Account:
    with app.unit_of_work() as uow:
        return get_account(uow.session, account_id)


def organizations_by_ids(app: IdentityApp, ids: list[str]) -> list[Organization]:
    wanted = [i for i in dict.fromkeys(ids) if i]
    if not wanted:
        return []
    with app.unit_of_work() as uow:
        found = {o.id: o for o in uow.session.scalars(select(Organization).where(Organization.id.in_(wanted)))}
    return [found[i] for i in wanted if i in found]


def check_scope(app: IdentityApp, account_id: str, organization_id: str, scope: str) -> ScopeCheck:
    with app.unit_of_work() as uow:
        session = uow.session
        account = session.get(Account, account_id) if account_id else None
        if account is None or account.status != "ACTIVE":
            return ScopeCheck(False, "", "ACCOUNT_NOT_ACTIVE")
        membership = session.scalar(select(Membership).where(Membership.account_id == account_id,
                                                             Membership.organization_id == organization_id))
        if membership is None or membership.status in ("PENDING", "REJECTED"):
            return ScopeCheck(False, "", "NO_MEMBERSHIP")
        if membership.status != "ACTIVE":
            return ScopeCheck(False, membership.role, "MEMBER_NOT_ACTIVE")
        if scope not in domain.effective_scopes(membership.role, domain.parse_scopes(membership.scopes)):
            return ScopeCheck(False, membership.role, "SCOPE_NOT_GRANTED")
        return ScopeCheck(True, membership.role, "")


def _recipient(account: Account, organization_id: str = "") -> Recipient:
    return Recipient(account.id, organization_id, account.name, account.phone or "", account.email or "")


def _organization_members(session, organization_id: str, scope: str) -> list[Account]:
    rows = session.execute(
        select(Membership, Account).join(Account, Account.id == Membership.account_id)
        .where(Membership.organization_id == organization_id, Membership.status == "ACTIVE",
               Account.status == "ACTIVE")
        .order_by(Membership.created_at)).all()
    return [a for m, a in rows
            if not scope or scope in domain.effective_scopes(m.role, domain.parse_scopes(m.scopes))]


def _agency_staff(session, agency: str) -> list[Account]:
    return list(session.scalars(
        select(Account).where(Account.kind == "STAFF", Account.agency == agency, Account.status == "ACTIVE")
        .order_by(Account.created_at)))


def resolve_recipients(app: IdentityApp, queries: list[tuple[str, str, str, str]]) -> list[Recipient]:
    """(account_id, organization_id, scope, agency) queries -> recipients, one per account."""
    seen: dict[str, Recipient] = {}
    with app.unit_of_work() as uow:
        session = uow.session
        for account_id, organization_id, scope, agency in queries:
            if account_id:
                account = session.get(Account, account_id)
                if account is not None and account.status == "ACTIVE":
                    seen.setdefault(account.id, _recipient(account, organization_id))
            elif organization_id:
                for account in _organization_members(session, organization_id, scope):
                    seen.setdefault(account.id, _recipient(account, organization_id))
            elif agency:
                for account in _agency_staff(session, agency):
                    seen.setdefault(account.id, _recipient(account))
    return list(seen.values())


def list_audience(app: IdentityApp, kind: str, system: str, org_types: list[str], organization_ids: list[str],
                  page_size: int, page_token: str) -> tuple[list[Recipient], str]:
    page = PageRequest.parse(page_size, page_token)
    query = select(Account).where(Account.status == "ACTIVE").order_by(Account.id)
    if kind != "ALL":
        members = select(Membership.account_id).where(Membership.status == "ACTIVE")
        if kind == "SYSTEM":
            from sqlalchemy import or_

            members = members.where(or_(Membership.role == "OWNER", Membership.scopes.contains(system)))
        elif kind == "ORG_TYPES":
            members = members.join(Organization, Organization.id == Membership.organization_id).where(
                Organization.legal_person_type.in_(list(org_types)))
        elif kind == "ORGANIZATIONS":
            members = members.where(Membership.organization_id.in_(list(organization_ids)))
        else:
            return [], ""
        query = query.where(Account.id.in_(members))
    with app.unit_of_work() as uow:
        accounts = list(uow.session.scalars(query.limit(page.size + 1).offset(page.offset)))
    # One row past the page says whether another follows, without counting a large audience.
    more = len(accounts) > page.size
    return [_recipient(a) for a in accounts[:page.size]], (page.next_token(page.offset + page.size + 1) if more else "")
