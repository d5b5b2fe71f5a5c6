"""Notices written to organisations (rare-earth §5.1 我收到的通知): each member's inbox, with the sender named.

Staff of an agency write in a system they work in; in a system that says whom a sender may address
there, it decides, and a parent unit (集团/一级公司), whose members act for an enterprise, writes too.
Rare_earth is such a system: it holds the regions enterprises are registered in and the affiliations
their parents approved, so notify asks it (gRPC) which of the organisations named the sender may
address. Elsewhere only staff send, to any organisation. The calls out (identity for the
organisations and their members, rare_earth for the check) come before the unit of work opens, so the
notice and every inbox row of it are written, or not, together.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from services.chassis.auth import Caller, require_authenticated
from services.chassis.clients.identity import RecipientQuery
from services.chassis.clients.rare_earth import NOT_A_SENDER, RareEarthClient, RecipientCheck
from services.chassis.db import new_id, utcnow
from services.chassis.errors import PermissionDenied, Violations
from services.chassis.paging import Page, paginate
from services.chassis.registry import spec
from services.notify import domain
from services.notify.context import NotifyContext
from services.notify.models import InboxItem, Notice

NOTICE_CATEGORY = "notice"
# The agency a parent unit's notices are filed under: the registry's agency kind of groups and
# first-level companies. Recipients read the sending organisation's own name beside it.
PARENT_UNIT_AGENCY = "GROUP_COMPANY"

RecipientChecker = Callable[[Caller, Sequence[str]], RecipientCheck]
# The systems that decide whom a sender may address there, each by its own gRPC check.
RECIPIENT_CHECKS: dict[str, Callable[[NotifyContext], RecipientChecker]] = {
    "rare_earth": lambda context: RareEarthClient(context.channels).check_notice_recipients,
}


@dataclass(frozen=True)
class NewNotice:
    system: str
    title: str
    body: str
    organization_ids: tuple[str, ...]


def _is_staff(caller: Caller) -> bool:
    return caller.kind == "STAFF" and bool(caller.agency)


def _staff_only() -> PermissionDenied:
    return PermissionDenied("仅限业务主管部门工作人员或上级单位发送通知，企业用户不能发送", reason="STAFF_ONLY")


def _sender(caller: Caller, checked: bool) -> None:
    """Staff of an agency; or, where the system checks whom a sender may address, a member acting for an
    organisation, whom that check may yet refuse."""
    if _is_staff(caller) or (checked and caller.organization_id and caller.kind != "ADMIN"):
        return
    raise _staff_only()


def _system_of(caller: Caller, system: str) -> str:
    """The system named, or the caller's only one when none is."""
    if system:
        return system
    if len(caller.scopes) == 1:
        return next(iter(caller.scopes))
    return ""


def _require_scope(caller: Caller, system: str) -> None:
    if system not in caller.scopes:
        raise PermissionDenied("只能在本人所在的业务系统发送通知", reason="SCOPE_REQUIRED", metadata={"system": system})


def _checked(checker: RecipientChecker, caller: Caller, organization_ids: Sequence[str]) -> RecipientCheck:
    check = checker(caller, organization_ids)
    if check.role == NOT_A_SENDER:
        raise PermissionDenied("仅限业务主管部门工作人员或上级单位向所属企业发送通知", reason="NOT_A_NOTICE_SENDER")
    return check


def send_notice(context: NotifyContext, new: NewNotice) -> Notice:
    caller = require_authenticated()
    system = _system_of(caller, new.system)
    make_checker = RECIPIENT_CHECKS.get(system)
    _sender(caller, make_checker is not None)
    organization_ids = tuple(dict.fromkeys(i.strip() for i in new.organization_ids))
    check = None
    if make_checker is not None:
        # A caller the system knows as no sender (a member of no parent unit) learns that before anything
        # of its request's fields.
        _require_scope(caller, system)
        check = _checked(make_checker(context), caller, [i for i in organization_ids if i])
    domain.check_notice(system, new.title, new.body, new.organization_ids)
    _require_scope(caller, system)
    # A parent unit is named by its organisation, which identity answers with the recipients.
    sender_organization = None if _is_staff(caller) else caller.organization_id
    found = {o.id: o for o in context.identity.organizations(
        [*organization_ids, *([sender_organization] if sender_organization else [])])}
    allowed = set(check.allowed) if check is not None else set(found)
    v = Violations()
    for index, organization_id in enumerate(new.organization_ids):
        organization_id = organization_id.strip()
        if organization_id not in found:
            v.add(f"organizationIds[{index}]", f"单位不存在：{organization_id}")
        elif organization_id not in allowed:
            v.add(f"organizationIds[{index}]", f"该单位不在本单位可发送通知的范围内：{organization_id}")
    v.raise_if_any("接收单位不存在或不在发送范围内")
    scope = spec(system).scope or ""
    contacts = context.identity.resolve_recipients(
        [RecipientQuery(organization_id=organization_id, scope=scope) for organization_id in organization_ids])
    now = utcnow()
    if sender_organization:
        agency = PARENT_UNIT_AGENCY
        sender = found.get(sender_organization)
        sender_name = sender.name if sender else check.parent_enterprise_name
    else:
        agency = caller.agency or ""
        sender_name = domain.agency_name(agency)
    notice = Notice(id=new_id(), system=system, title=new.title.strip(), body=new.body,
                    organization_ids=json.dumps(list(organization_ids)), sender_agency=agency,
                    sender_name=sender_name, recipients_count=0, created_by=caller.account_id or "",
                    created_at=now)
    reached = {c.account_id: c.organization_id for c in contacts if c.account_id}
    notice.recipients_count = len(reached)
    with context.unit_of_work() as uow:
        uow.session.add(notice)
        uow.session.add_all(
            InboxItem(id=new_id(), account_id=account_id, organization_id=organization_id or None, system=system,
                      category=NOTICE_CATEGORY, title=notice.title, body=notice.body, source=f"notice:{notice.id}",
                      notice_id=notice.id, sender_agency=agency, sender_name=sender_name, created_at=now,
                      visible_from=now)
            for account_id, organization_id in reached.items())
        uow.commit()
    return notice


def list_sent_notices(context: NotifyContext, system: str, page_size: int, page_token: str) -> Page[Notice]:
    caller = require_authenticated()
    _sender(caller, any(checked in caller.scopes for checked in RECIPIENT_CHECKS))
    conditions = [Notice.created_by == caller.account_id]
    if system:
        conditions.append(Notice.system == system)
    query = select(Notice).where(*conditions).order_by(Notice.created_at.desc(), Notice.id)
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, query, page_size, page_token, maximum=100)
