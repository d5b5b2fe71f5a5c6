"""Notify's records as protos, and the few requests that become domain values here."""

from __future__ import annotations

import json

from protos.notify.v1 import notify_pb2
from services.chassis.paging import Page
from services.chassis.registry import spec
from services.chassis.wire import enum_name, moment, page_fields, timestamp
from services.notify import domain
from services.notify.handlers.announcements import NewAnnouncement
from services.notify.handlers.notices import NewNotice
from services.notify.handlers.templates import placeholders_of
from services.notify.models import Announcement, Delivery, InboxItem, Notice, Preference, Template

# ---- protos -> values ----


def notification_request(request: notify_pb2.NotificationRequest) -> domain.NotificationRequest:
    """SubmitNotification's request, read once into the domain's value."""
    return domain.NotificationRequest(
        message_id=request.message_id, system=request.system, category=request.category,
        template=request.template, params=dict(request.params),
        priority=domain.HIGH if request.priority == notify_pb2.HIGH else domain.NORMAL,
        recipients=tuple(domain.Recipient(account_id=r.account_id, organization_id=r.organization_id,
                                          scope=r.scope, phone=r.phone, email=r.email, agency=r.agency)
                         for r in request.recipients),
        channels=tuple(enum_name(notify_pb2.Channel, c) for c in request.channels),
        mandatory=request.mandatory)


def new_announcement(request: notify_pb2.CreateAnnouncementRequest) -> NewAnnouncement:
    audience = request.audience
    return NewAnnouncement(
        system=request.system, title=request.title, body=request.body,
        audience=domain.AudienceSpec(kind=enum_name(notify_pb2.AudienceKind, audience.kind), system=audience.system,
                                     org_types=tuple(audience.org_types),
                                     organization_ids=tuple(audience.organization_ids)),
        # An unnamed channel keeps its proto name, so the refusal says which one.
        channels=tuple(notify_pb2.Channel.Name(c) for c in request.channels),
        publish_at=moment(request, "publish_at"), expires_at=moment(request, "expires_at"))


def new_notice(request: notify_pb2.CreateNoticeRequest) -> NewNotice:
    return NewNotice(system=request.system, title=request.title, body=request.body,
                     organization_ids=tuple(request.organization_ids))


# ---- records -> protos ----


def sender(agency: str | None, name: str | None, system: str) -> notify_pb2.Sender | None:
    if not agency:
        return None
    try:
        system_name = spec(system).title
    except LookupError:
        system_name = ""
    return notify_pb2.Sender(name=name or "", agency=agency, system=system, system_name=system_name)


def inbox_message(item: InboxItem) -> notify_pb2.InboxMessage:
    return notify_pb2.InboxMessage(id=item.id, system=item.system, category=item.category, title=item.title,
                                   body=item.body, read=item.read_at is not None,
                                   created_at=timestamp(item.visible_from),
                                   announcement_id=item.announcement_id or "",
                                   sender=sender(item.sender_agency, item.sender_name, item.system),
                                   notice_id=item.notice_id or "")


def inbox_page(page: Page[InboxItem]) -> notify_pb2.ListInboxMessagesResponse:
    return notify_pb2.ListInboxMessagesResponse(messages=[inbox_message(m) for m in page.items],
                                                **page_fields(page))


def unread_count(counts: dict[str, int]) -> notify_pb2.UnreadCount:
    return notify_pb2.UnreadCount(total=sum(counts.values()), by_system=counts)


def announcement(row: Announcement) -> notify_pb2.Announcement:
    return notify_pb2.Announcement(
        id=row.id, system=row.system, title=row.title, body=row.body,
        audience=notify_pb2.Audience(kind=row.audience_kind, system=row.audience_system,
                                     org_types=json.loads(row.org_types),
                                     organization_ids=json.loads(row.organization_ids)),
        channels=json.loads(row.channels), publish_at=timestamp(row.publish_at),
        expires_at=timestamp(row.expires_at), created_at=timestamp(row.created_at), created_by=row.created_by)


def announcement_page(page: Page[Announcement]) -> notify_pb2.ListAnnouncementsResponse:
    return notify_pb2.ListAnnouncementsResponse(announcements=[announcement(a) for a in page.items],
                                                **page_fields(page))


def notice(row: Notice) -> notify_pb2.Notice:
    return notify_pb2.Notice(
        id=row.id, system=row.system, title=row.title, body=row.body,
        organization_ids=json.loads(row.organization_ids),
        sender=sender(row.sender_agency, row.sender_name, row.system), recipients_count=row.recipients_count,
        created_at=timestamp(row.created_at), created_by=row.created_by)


def notice_page(page: Page[Notice]) -> notify_pb2.ListSentNoticesResponse:
    return notify_pb2.ListSentNoticesResponse(notices=[notice(n) for n in page.items], **page_fields(page))


def template(row: Template) -> notify_pb2.Template:
    return notify_pb2.Template(
        code=row.code, version=row.version, system=row.system, category=row.category, name=row.name,
        sms_text=row.sms_text, email_subject=row.email_subject, email_body=row.email_body,
        inbox_title=row.inbox_title, inbox_body=row.inbox_body, placeholders=placeholders_of(row),
        updated_at=timestamp(row.created_at), updated_by=row.created_by)


def template_page(page: Page[Template]) -> notify_pb2.ListTemplatesResponse:
    return notify_pb2.ListTemplatesResponse(templates=[template(t) for t in page.items], **page_fields(page))


def delivery(row: Delivery, *, production: bool) -> notify_pb2.Delivery:
    return notify_pb2.Delivery(
        id=row.id, channel=row.channel, recipient=row.recipient, template=row.template, status=row.status,
        attempts=row.attempts, created_at=timestamp(row.created_at), sent_at=timestamp(row.sent_at),
        body=domain.visible_body(row.template, row.body, production=production), subject=row.subject,
        system=row.system, category=row.category, failure_reason=row.failure_reason or "",
        account_id=row.account_id or "", notification_id=row.notification_id)


def delivery_page(page: Page[Delivery], *, production: bool) -> notify_pb2.ListDeliveriesResponse:
    return notify_pb2.ListDeliveriesResponse(deliveries=[delivery(d, production=production) for d in page.items],
                                             **page_fields(page))


def preferences(row: Preference) -> notify_pb2.Preferences:
    return notify_pb2.Preferences(sms_opt_out=row.sms_opt_out, email_opt_out=row.email_opt_out,
                                  updated_at=timestamp(row.updated_at))
