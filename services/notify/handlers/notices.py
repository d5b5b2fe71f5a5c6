"""Notices staff write to organisations (rare-earth §5.1 我收到的通知): each member's inbox, with the sender named.

Staff of an agency write in a system they work in; an enterprise member never sends. The
organisations' members are resolved through identity before the unit of work opens (the one
call out), so the notice and every inbox row of it are written, or not, together.

A parent unit (集团/一级公司) writing to its affiliated enterprises is not here: affiliations live in
rare_earth, and notify has no call that could check one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from services.chassis.auth import Caller, require_authenticated
from services.chassis.clients.identity import RecipientQuery
from services.chassis.db import new_id, utcnow
from services.chassis.errors import PermissionDenied, Violations
from services.chassis.paging import Page, paginate
from services.chassis.registry import spec
from services.notify import domain
from services.notify.context import NotifyContext
from services.notify.models import InboxItem, Notice

NOTICE_CATEGORY = "notice"
# The agency kinds whose notices go to enterprises tied to them in rare_earth, which notify cannot check.
PARENT_UNIT_AGENCIES = ("GROUP_COMPANY",)


@dataclass(frozen=True)
class NewNotice:
    system: str
    title: str
    body: str
    organization_ids: tuple[str, ...]


def _sender(caller: Caller) -> str:
    """The caller's agency when it may send notices at all: staff of an agency, not a parent unit."""
    agency = caller.agency or ""
    if caller.kind != "STAFF" or not agency:
        raise PermissionDenied("仅限业务主管部门工作人员发送通知，企业用户不能发送", reason="STAFF_ONLY")
    if agency.split(":", 1)[0] in PARENT_UNIT_AGENCIES:
        raise PermissionDenied("上级单位向所属企业发送通知须核对隶属关系，暂不支持", reason="AFFILIATION_UNCHECKED")
    return agency


def _system_of(caller: Caller, system: str) -> str:
    """The system named, or the caller's only one when none is."""
    if system:
        return system
    if len(caller.scopes) == 1:
        return next(iter(caller.scopes))
    return ""


def send_notice(context: NotifyContext, new: NewNotice) -> Notice:
    caller = require_authenticated()
    agency = _sender(caller)
    system = _system_of(caller, new.system)
    organization_ids = tuple(dict.fromkeys(i.strip() for i in new.organization_ids))
    domain.check_notice(system, new.title, new.body, new.organization_ids)
    if system not in caller.scopes:
        raise PermissionDenied("业务人员只能在本人所在的业务系统发送通知", reason="SCOPE_REQUIRED",
                               metadata={"system": system})
    known = {o.id for o in context.identity.organizations(organization_ids)}
    v = Violations()
    for index, organization_id in enumerate(new.organization_ids):
        if organization_id.strip() not in known:
            v.add(f"organizationIds[{index}]", f"单位不存在：{organization_id}")
    v.raise_if_any("接收单位不存在")
    scope = spec(system).scope or ""
    contacts = context.identity.resolve_recipients(
        [RecipientQuery(organization_id=organization_id, scope=scope) for organization_id in organization_ids])
    now = utcnow()
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
    _sender(caller)
    conditions = [Notice.created_by == caller.account_id]
    if system:
        conditions.append(Notice.system == system)
    query = select(Notice).where(*conditions).order_by(Notice.created_at.desc(), Notice.id)
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, query, page_size, page_token, maximum=100)
