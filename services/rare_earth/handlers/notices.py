"""Whom a notice's sender may write to in this system (manual §5.1 我收到的通知), asked by notify.

Notify writes the notices; rare_earth holds what decides their recipients. The office and the operating
body write to any enterprise; a local authority to the approved enterprises registered in its region, by
the rule that decides what its staff see; a parent unit (the approved group or first-level company a
member acts for) to the enterprises whose affiliation to it it approved, the relation that also opens
their ledgers to it. Anyone else writes to none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.auth import Caller
from services.chassis.errors import InvalidArgument
from services.rare_earth.config import RareEarthContext
from services.rare_earth.domain.enterprises import PARENT_TYPES
from services.rare_earth.domain.states import APPROVED
from services.rare_earth.handlers.access import STAFF_KINDS, approved_child_ids, staff_of
from services.rare_earth.models import Enterprise

MAX_ORGANIZATIONS = 1000
NOT_A_SENDER, OFFICE, OPERATOR, LOCAL_AUTHORITY, PARENT_UNIT = (
    "NOT_A_SENDER", "OFFICE", "OPERATOR", "LOCAL_AUTHORITY", "PARENT_UNIT")


@dataclass(frozen=True)
class NoticeSender:
    """The sender as notify verified it from its access token."""

    account_id: str
    kind: str
    agency: str
    organization_id: str


@dataclass(frozen=True)
class RecipientCheck:
    role: str
    # The organisations asked that the sender may address, in the order asked.
    allowed: tuple[str, ...] = ()
    parent: Enterprise | None = None


def _approved_of_organizations(session: Session, organization_ids: Sequence[str]) -> dict[str, Enterprise]:
    query = select(Enterprise).where(Enterprise.organization_id.in_(organization_ids), Enterprise.status == APPROVED)
    return {e.organization_id: e for e in session.scalars(query)}


def check_notice_recipients(context: RareEarthContext, sender: NoticeSender,
                            organization_ids: Sequence[str]) -> RecipientCheck:
    wanted = tuple(dict.fromkeys(i for i in organization_ids if i))
    if len(wanted) > MAX_ORGANIZATIONS:
        raise InvalidArgument.for_field("organizationIds", f"一次最多核对{MAX_ORGANIZATIONS}个单位")
    # The same reading of a token's kind and agency as every route of this service makes.
    staff = staff_of(Caller(account_id=sender.account_id or None, kind=sender.kind or None,
                            agency=sender.agency or None))
    if staff is not None and (staff.is_office or staff.is_operator):
        return RecipientCheck(OFFICE if staff.is_office else OPERATOR, wanted)
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        if staff is not None:
            found = _approved_of_organizations(session, wanted)
            return RecipientCheck(LOCAL_AUTHORITY, tuple(o for o in wanted if o in found and staff.sees(found[o])))
        if sender.kind in STAFF_KINDS or not sender.organization_id:
            # Staff of another agency, a group company's staff among them: no account of theirs names the
            # enterprise they would write for, so no affiliation can speak for them.
            return RecipientCheck(NOT_A_SENDER)
        parent = session.scalars(select(Enterprise).where(
            Enterprise.organization_id == sender.organization_id)).first()
        if parent is None or parent.status != APPROVED or parent.enterprise_type not in PARENT_TYPES:
            return RecipientCheck(NOT_A_SENDER)
        children = set(session.scalars(select(Enterprise.organization_id).where(
            Enterprise.id.in_(approved_child_ids(parent.id)), Enterprise.organization_id.in_(wanted))))
        return RecipientCheck(PARENT_UNIT, tuple(o for o in wanted if o in children), parent)
