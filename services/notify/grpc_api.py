"""gRPC servicer: proto <-> use cases, nothing else."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from protos.notify.v1 import notify_pb2, notify_pb2_grpc
from services.chassis.runtime import ServiceContext
from services.chassis.server import ServiceBinding
from services.notify import domain
from services.notify.handlers import announcements, deliveries, inbox, preferences, requests, templates
from services.notify.handlers.common import as_aware
from services.notify.runtime import NotifyRuntime, runtime_for


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(as_aware(value))
    return stamp


def _dt(stamp: Timestamp, present: bool) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if present else None


def inbox_message(item) -> notify_pb2.InboxMessage:
    return notify_pb2.InboxMessage(id=item.id, system=item.system, category=item.category, title=item.title,
                                   body=item.body, read=item.read_at is not None, created_at=_ts(item.visible_from),
                                   announcement_id=item.announcement_id or "")


def announcement_message(row) -> notify_pb2.Announcement:
    return notify_pb2.Announcement(
        id=row.id, system=row.system, title=row.title, body=row.body,
        audience=notify_pb2.Audience(kind=row.audience_kind, system=row.audience_system,
                                     org_types=json.loads(row.org_types),
                                     organization_ids=json.loads(row.organization_ids)),
        channels=json.loads(row.channels), publish_at=_ts(row.publish_at), expires_at=_ts(row.expires_at),
        created_at=_ts(row.created_at), created_by=row.created_by)


def template_message(row) -> notify_pb2.Template:
    return notify_pb2.Template(
        code=row.code, version=row.version, system=row.system, category=row.category, name=row.name,
        sms_text=row.sms_text, email_subject=row.email_subject, email_body=row.email_body,
        inbox_title=row.inbox_title, inbox_body=row.inbox_body, placeholders=templates.placeholders_of(row),
        updated_at=_ts(row.created_at), updated_by=row.created_by)


def delivery_message(runtime: NotifyRuntime, row) -> notify_pb2.Delivery:
    return notify_pb2.Delivery(
        id=row.id, channel=row.channel, recipient=row.recipient, template=row.template, status=row.status,
        attempts=row.attempts, created_at=_ts(row.created_at), sent_at=_ts(row.sent_at),
        body=deliveries.visible_body(runtime, row), subject=row.subject, system=row.system, category=row.category,
        failure_reason=row.failure_reason or "", account_id=row.account_id or "",
        notification_id=row.notification_id)


class NotifyService(notify_pb2_grpc.NotifyServiceServicer):
    def __init__(self, context: ServiceContext):
        self._context = context

    @property
    def runtime(self) -> NotifyRuntime:
        return runtime_for(self._context)

    def SubmitNotification(self, request, context):
        # The relays' entry while no broker answers: deduped with the consumers by message id; the
        # delivery tasks go to notify's outbox, whose relay sends them here too.
        acceptance = requests.accept_request(self.runtime, request)
        return notify_pb2.SubmitNotificationResponse(accepted=acceptance.accepted)

    def ListInboxMessages(self, request, context):
        page = inbox.list_inbox(self.runtime, system=request.system, category=request.category, read=request.read,
                                q=request.q, page_size=request.page_size, page_token=request.page_token)
        return notify_pb2.ListInboxMessagesResponse(messages=[inbox_message(m) for m in page.messages],
                                                    next_page_token=page.next_page_token,
                                                    total_size=page.total_size)

    def GetUnreadCount(self, request, context):
        counts = inbox.unread_count(self.runtime)
        return notify_pb2.UnreadCount(total=sum(counts.values()), by_system=counts)

    def MarkInboxMessageRead(self, request, context):
        return inbox_message(inbox.mark_read(self.runtime, request.id))

    def MarkAllInboxMessagesRead(self, request, context):
        return notify_pb2.MarkAllInboxMessagesReadResponse(marked=inbox.mark_all_read(self.runtime, request.system))

    def CreateAnnouncement(self, request, context):
        audience = domain.AudienceSpec(
            kind=notify_pb2.AudienceKind.Name(request.audience.kind) if request.HasField("audience") else "",
            system=request.audience.system, org_types=tuple(request.audience.org_types),
            organization_ids=tuple(request.audience.organization_ids))
        new = announcements.NewAnnouncement(
            system=request.system, title=request.title, body=request.body, audience=audience,
            channels=tuple(notify_pb2.Channel.Name(c) for c in request.channels),
            publish_at=_dt(request.publish_at, request.HasField("publish_at")),
            expires_at=_dt(request.expires_at, request.HasField("expires_at")))
        return announcement_message(announcements.create_announcement(self.runtime, new))

    def ListAnnouncements(self, request, context):
        page = announcements.list_announcements(self.runtime, request.system, request.title, request.page_size,
                                                request.page_token)
        return notify_pb2.ListAnnouncementsResponse(
            announcements=[announcement_message(a) for a in page.announcements],
            next_page_token=page.next_page_token, total_size=page.total_size)

    def GetAnnouncement(self, request, context):
        return announcement_message(announcements.get_announcement(self.runtime, request.id))

    def ListTemplates(self, request, context):
        page = templates.list_templates(self.runtime, request.system, request.page_size, request.page_token)
        return notify_pb2.ListTemplatesResponse(templates=[template_message(t) for t in page.templates],
                                                next_page_token=page.next_page_token, total_size=page.total_size)

    def GetTemplate(self, request, context):
        return template_message(templates.get_template(self.runtime, request.code))

    def UpdateTemplate(self, request, context):
        text = templates.TemplateText(
            code=request.code, system=request.system, category=request.category, name=request.name,
            sms_text=request.sms_text, email_subject=request.email_subject, email_body=request.email_body,
            inbox_title=request.inbox_title, inbox_body=request.inbox_body)
        return template_message(templates.update_template(self.runtime, text))

    def ListDeliveries(self, request, context):
        runtime = self.runtime
        query = deliveries.DeliveryQuery(
            recipient=request.recipient, template=request.template,
            status=notify_pb2.DeliveryStatus.Name(request.status) if request.status else "",
            channel=notify_pb2.Channel.Name(request.channel) if request.channel else "",
            system=request.system,
            created_after=_dt(request.created_after, request.HasField("created_after")),
            created_before=_dt(request.created_before, request.HasField("created_before")),
            page_size=request.page_size, page_token=request.page_token)
        page = deliveries.list_deliveries(runtime, query)
        return notify_pb2.ListDeliveriesResponse(deliveries=[delivery_message(runtime, d) for d in page.deliveries],
                                                 next_page_token=page.next_page_token, total_size=page.total_size)

    def RecordDeliveryReceipt(self, request, context):
        applied = deliveries.record_receipt(
            self.runtime, request.provider_reference,
            notify_pb2.DeliveryStatus.Name(request.status) if request.status else "", request.token, request.reason)
        return notify_pb2.RecordDeliveryReceiptResponse(applied=applied)

    def GetPreferences(self, request, context):
        return _preferences_message(preferences.get_preferences(self.runtime))

    def UpdatePreferences(self, request, context):
        return _preferences_message(preferences.update_preferences(
            self.runtime, sms_opt_out=request.sms_opt_out, email_opt_out=request.email_opt_out))


def _preferences_message(row) -> notify_pb2.Preferences:
    return notify_pb2.Preferences(sms_opt_out=row.sms_opt_out, email_opt_out=row.email_opt_out,
                                  updated_at=_ts(row.updated_at))


def bindings(context: ServiceContext) -> list[ServiceBinding]:
    servicer = NotifyService(context)
    add_to_server = notify_pb2_grpc.add_NotifyServiceServicer_to_server
    return [ServiceBinding.of(notify_pb2, "NotifyService", add_to_server, servicer)]
