"""Announcements: staff publish them; everyone reads the published ones; each addressee's inbox gets one copy.

The audience is materialised a page at a time from identity's ListAudience into inbox rows
(unique per account and announcement, so a replayed page adds nothing) and, when the
announcement also goes by SMS or e-mail, into deliveries of one notification. A page is
one message and one transaction that also moves the announcement's cursor and publishes the
next page's message, so a crash resumes where it stopped. Fan-out runs on the normal-priority
consumer; verification codes never wait for it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import Session

from services.chassis.auth import Caller, current_caller, require_authenticated
from services.chassis.clients.identity import Contact
from services.chassis.db import contains, insert_ignoring_duplicates, new_id, utcnow
from services.chassis.errors import InvalidArgument, NotFound, PermissionDenied
from services.chassis.paging import Page, paginate
from services.chassis.uow import UnitOfWork
from services.notify import domain, events
from services.notify.bulk import among, insert_new
from services.notify.context import NotifyContext
from services.notify.events import DeliveryTask
from services.notify.handlers.templates import current_wording
from services.notify.models import Announcement, Delivery, InboxItem, Notification, Preference

log = logging.getLogger(__name__)

ANNOUNCEMENT_TEMPLATE = "notify.announcement.published"
EXTERNAL_CHANNELS = ("SMS", "EMAIL")


@dataclass(frozen=True)
class NewAnnouncement:
    system: str
    title: str
    body: str
    audience: domain.AudienceSpec
    channels: tuple[str, ...]
    publish_at: datetime | None
    expires_at: datetime | None


def create_announcement(context: NotifyContext, new: NewAnnouncement) -> Announcement:
    caller = require_authenticated()
    if not caller.has_role("PLATFORM_ADMIN"):
        if caller.kind != "STAFF" and not caller.has_role("STAFF"):
            raise PermissionDenied("仅平台管理员和业务人员可以发布公告", reason="ROLE_REQUIRED")
        if not new.system:
            # Not a denial: the form left out which of the caller's systems the announcement is for.
            raise InvalidArgument.for_field("system", "请选择公告所属的业务系统")
        if new.system not in caller.scopes:
            raise PermissionDenied("业务人员只能发布本人所在业务系统的公告", reason="SCOPE_REQUIRED")
        if new.audience.kind == "ALL":
            raise PermissionDenied("面向全部用户的公告须由平台管理员发布", reason="ROLE_REQUIRED")
    channels = new.channels or ("IN_SITE",)
    now = utcnow()
    publish_at = new.publish_at or now
    domain.check_announcement(new.system, new.title, new.body, new.audience, channels, publish_at, new.expires_at)
    due = publish_at <= now
    announcement = Announcement(
        id=new_id(), system=new.system, title=new.title.strip(), body=new.body, audience_kind=new.audience.kind,
        audience_system=new.audience.system, org_types=json.dumps(list(new.audience.org_types)),
        organization_ids=json.dumps(list(new.audience.organization_ids)), channels=json.dumps(list(channels)),
        publish_at=publish_at, expires_at=new.expires_at, created_by=caller.account_id, created_at=now,
        # One due now starts its fan-out at once; a scheduled one waits for the jobs to find it due.
        fanout_state=domain.FANOUT_QUEUED if due else domain.FANOUT_PENDING, fanout_cursor="", recipients_count=0)
    with context.unit_of_work() as uow:
        uow.session.add(announcement)
        if due:
            uow.publish(events.fanout_message(announcement.id))
        uow.commit()
    return announcement


def _published(now: datetime) -> tuple[Any, ...]:
    return (Announcement.publish_at <= now, or_(Announcement.expires_at.is_(None), Announcement.expires_at > now))


def _is_staff(caller: Caller) -> bool:
    return caller.kind == "STAFF" or caller.has_role("STAFF")


def _readable_by(caller: Caller) -> ColumnElement[bool]:
    """Which published announcements ``caller`` may read: everyone's, and those of its audience or its desk.

    Membership is read from the token (its organisation, its systems) and, for any kind of audience,
    from the caller's inbox: an account the fan-out reached is in the audience as identity resolved it
    (the one way to know an organisation's legal-person type here).
    """
    readable: list[ColumnElement[bool]] = [Announcement.audience_kind == "ALL"]
    if not caller.is_authenticated:
        return readable[0]
    if caller.has_role("PLATFORM_ADMIN"):
        return true()
    readable.append(Announcement.created_by == caller.account_id)
    scopes = sorted(caller.scopes)
    if _is_staff(caller) and scopes:
        # The staff who may publish in a system may manage what was published there.
        readable.append(Announcement.system.in_(scopes))
    if caller.organization_id:
        readable.append(and_(Announcement.audience_kind == "ORGANIZATIONS",
                             contains(Announcement.organization_ids, json.dumps(caller.organization_id))))
        if scopes:
            readable.append(and_(Announcement.audience_kind == "SYSTEM", Announcement.audience_system.in_(scopes)))
    readable.append(Announcement.id.in_(select(InboxItem.announcement_id).where(
        InboxItem.account_id == caller.account_id, InboxItem.announcement_id.is_not(None))))
    return or_(*readable)


def list_announcements(context: NotifyContext, system: str, title: str, page_size: int,
                       page_token: str) -> Page[Announcement]:
    conditions = [*_published(utcnow()), _readable_by(current_caller())]
    if system:
        conditions.append(Announcement.system == system)
    if title:
        conditions.append(contains(Announcement.title, title))
    query = select(Announcement).where(*conditions).order_by(Announcement.publish_at.desc(), Announcement.id)
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, query, page_size, page_token, maximum=100)


def get_announcement(context: NotifyContext, announcement_id: str) -> Announcement:
    """Under the list's rule; a scheduled or expired one only for its author and the platform admin.

    Any other is not found, whether it exists or not: its audience is no one else's business.
    """
    caller = current_caller()
    shown = and_(*_published(utcnow()), _readable_by(caller))
    if caller.is_authenticated:
        shown = or_(shown, Announcement.created_by == caller.account_id)
    if caller.has_role("PLATFORM_ADMIN"):
        shown = true()
    with context.unit_of_work(read_only=True) as uow:
        found = uow.session.execute(select(Announcement).where(Announcement.id == announcement_id, shown)
                                    ).scalar_one_or_none()
    if found is None:
        raise NotFound("公告不存在或尚未发布", metadata={"id": announcement_id})
    return found


# ---- fan-out ----

def fan_out_page(context: NotifyContext, uow: UnitOfWork, announcement_id: str) -> bool:
    """Reach one page of the audience on the consumer's ``uow``; the next page is a message of its own.

    The cursor moves in the same transaction (guarded, so a replayed or concurrent page adds
    nothing), the page's delivery tasks and the next page's message go to the outbox with it.
    Returns False when there was nothing left to do.
    """
    session = uow.session
    announcement = session.get(Announcement, announcement_id)
    if announcement is None or announcement.fanout_state == domain.FANOUT_DONE:
        return False
    cursor = announcement.fanout_cursor
    contacts, following = context.identity.audience(
        announcement.audience_kind, announcement.audience_system, json.loads(announcement.org_types),
        json.loads(announcement.organization_ids), context.config.fanout_page_size, cursor)
    # The guard: another worker that moved the cursor first wins, and this page is dropped.
    moved = domain.ANNOUNCEMENT_FANOUT.update(
        session, Announcement, domain.FANOUT_QUEUED if following else domain.FANOUT_DONE,
        Announcement.id == announcement_id, Announcement.fanout_cursor == cursor, attribute="fanout_state",
        fanout_cursor=following, recipients_count=Announcement.recipients_count + len(contacts))
    if moved != 1:
        return False
    channels = json.loads(announcement.channels)
    now = utcnow()
    accounts = list(dict.fromkeys(c.account_id for c in contacts if c.account_id))
    if "IN_SITE" in channels:
        insert_new(session, InboxItem.__table__, [
            {"id": new_id(), "account_id": account_id, "organization_id": None,
             "system": announcement.system or "platform", "category": "announcement",
             "title": announcement.title, "body": announcement.body,
             "source": f"announcement:{announcement.id}", "announcement_id": announcement.id,
             "created_at": now, "visible_from": announcement.publish_at, "expires_at": announcement.expires_at,
             "read_at": None}
            for account_id in accounts])
    external = [c for c in channels if c in EXTERNAL_CHANNELS]
    if external and contacts:
        uow.publish(*events.task_messages(_external_deliveries(context, session, announcement, contacts, external,
                                                               now)))
    if following:
        uow.publish(events.fanout_message(announcement_id))
    return True


def _wordings(context: NotifyContext, wording: domain.TemplateWording | None, params: dict[str, str],
              channels: Sequence[str]) -> dict[str, tuple[str, str, str | None]]:
    """``channel -> (subject, body, failure)``: one rendering for the whole audience."""
    rendered: dict[str, tuple[str, str, str | None]] = {}
    for channel in channels:
        if wording is None:
            rendered[channel] = ("", "", f"模板不存在：{ANNOUNCEMENT_TEMPLATE}")
            continue
        try:
            subject, body = wording.render_for(channel, params)
            if channel == "SMS":
                body = domain.with_signature(context.config.sms_signature, body)
                domain.check_sms(body)
            rendered[channel] = (subject, body, None)
        except domain.TemplateError as exc:
            rendered[channel] = ("", "", str(exc))
    return rendered


def _external_deliveries(context: NotifyContext, session: Session, announcement: Announcement,
                         contacts: Sequence[Contact], channels: Sequence[str], now: datetime) -> list[DeliveryTask]:
    params = {"title": announcement.title, "body": announcement.body}
    wording = current_wording(session, ANNOUNCEMENT_TEMPLATE)
    insert_ignoring_duplicates(session, Notification.__table__, [{
        "id": announcement.id, "message_id": f"announcement:{announcement.id}",
        "system": announcement.system or "notify", "category": "announcement", "template": ANNOUNCEMENT_TEMPLATE,
        "template_version": wording.version if wording else None, "params": json.dumps(params, ensure_ascii=False),
        "priority": domain.NORMAL, "mandatory": False, "status": domain.ACCEPTED if wording else domain.FAILED,
        "failure_reason": None if wording else f"模板不存在：{ANNOUNCEMENT_TEMPLATE}", "created_at": now}])
    ids = [c.account_id for c in contacts if c.account_id]
    opted = {p.account_id: p for p in session.execute(
        select(Preference).where(among(session, Preference.account_id, ids))).scalars()}
    rendered = _wordings(context, wording, params, channels)
    rows = []
    for contact in contacts:
        preference = opted.get(contact.account_id)
        for channel in channels:
            target = contact.phone if channel == "SMS" else contact.email
            if not target:
                continue
            if preference is not None and ((channel == "SMS" and preference.sms_opt_out)
                                           or (channel == "EMAIL" and preference.email_opt_out)):
                continue
            subject, body, failure = rendered[channel]
            rows.append({
                "id": new_id(), "notification_id": announcement.id, "channel": channel,
                "account_id": contact.account_id or None, "recipient": target,
                "system": announcement.system or "notify", "category": "announcement",
                "template": ANNOUNCEMENT_TEMPLATE, "priority": domain.NORMAL,
                "status": domain.PERMANENT_FAILURE if failure else domain.CREATED, "attempts": 0,
                "subject": subject, "body": body, "failure_reason": failure, "provider_reference": None,
                "created_at": now, "updated_at": now, "sent_at": None, "next_attempt_at": None})
    created = insert_new(session, Delivery.__table__, rows, returning=Delivery.id)
    failed = {row["id"] for row in rows if row["status"] != domain.CREATED}
    return [DeliveryTask(delivery_id, 0, domain.NORMAL) for delivery_id in created if delivery_id not in failed]


def claim_due_announcements(context: NotifyContext, limit: int = 50) -> list[str]:
    """Scheduled announcements whose time has come: PENDING -> QUEUED with their fan-out message, guarded."""
    claimed = []
    with context.unit_of_work() as uow:
        due = list(uow.session.execute(select(Announcement.id).where(
            Announcement.fanout_state == domain.FANOUT_PENDING, Announcement.publish_at <= utcnow())
            .limit(limit)).scalars())
        for announcement_id in due:
            if domain.ANNOUNCEMENT_FANOUT.update(uow.session, Announcement, domain.FANOUT_QUEUED,
                                                 Announcement.id == announcement_id,
                                                 Announcement.fanout_state == domain.FANOUT_PENDING,
                                                 attribute="fanout_state") == 1:
                claimed.append(announcement_id)
                uow.publish(events.fanout_message(announcement_id))
        uow.commit()
    return claimed
