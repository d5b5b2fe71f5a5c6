"""gRPC servicer: each request as plain values to a use case, its result through a view."""

from __future__ import annotations

from protos.notify.v1 import notify_pb2, notify_pb2_grpc
from services.chassis.server import ServiceBinding
from services.chassis.wire import enum_name, moment
from services.notify import views
from services.notify.context import NotifyContext
from services.notify.handlers import announcements, deliveries, inbox, notices, preferences, requests, templates


class NotifyService(notify_pb2_grpc.NotifyServiceServicer):
    def __init__(self, context: NotifyContext):
        self._context = context

    def SubmitNotification(self, request, context):
        # The relays' entry while no broker answers: deduped with the consumers by message id; the
        # delivery tasks go to notify's outbox, whose relay sends them here too.
        accepted = requests.submit(self._context, views.notification_request(request))
        return notify_pb2.SubmitNotificationResponse(accepted=accepted)

    def ListInboxMessages(self, request, context):
        return views.inbox_page(inbox.list_inbox(
            self._context, system=request.system, category=request.category, read=request.read, q=request.q,
            page_size=request.page_size, page_token=request.page_token))

    def GetUnreadCount(self, request, context):
        return views.unread_count(inbox.unread_count(self._context))

    def MarkInboxMessageRead(self, request, context):
        return views.inbox_message(inbox.mark_read(self._context, request.id))

    def MarkAllInboxMessagesRead(self, request, context):
        marked = inbox.mark_all_read(self._context, request.system)
        return notify_pb2.MarkAllInboxMessagesReadResponse(marked=marked)

    def CreateAnnouncement(self, request, context):
        return views.announcement(announcements.create_announcement(self._context, views.new_announcement(request)))

    def ListAnnouncements(self, request, context):
        return views.announcement_page(announcements.list_announcements(
            self._context, request.system, request.title, request.page_size, request.page_token))

    def GetAnnouncement(self, request, context):
        return views.announcement(announcements.get_announcement(self._context, request.id))

    def CreateNotice(self, request, context):
        return views.notice(notices.send_notice(self._context, views.new_notice(request)))

    def ListSentNotices(self, request, context):
        return views.notice_page(notices.list_sent_notices(self._context, request.system, request.page_size,
                                                           request.page_token))

    def ListTemplates(self, request, context):
        return views.template_page(templates.list_templates(self._context, request.system, request.page_size,
                                                            request.page_token))

    def GetTemplate(self, request, context):
        return views.template(templates.get_template(self._context, request.code))

    def UpdateTemplate(self, request, context):
        text = templates.TemplateText(
            code=request.code, system=request.system, category=request.category, name=request.name,
            sms_text=request.sms_text, email_subject=request.email_subject, email_body=request.email_body,
            inbox_title=request.inbox_title, inbox_body=request.inbox_body)
        return views.template(templates.update_template(self._context, text))

    def ListDeliveries(self, request, context):
        query = deliveries.DeliveryQuery(
            recipient=request.recipient, template=request.template,
            status=enum_name(notify_pb2.DeliveryStatus, request.status),
            channel=enum_name(notify_pb2.Channel, request.channel), system=request.system,
            created_after=moment(request, "created_after"), created_before=moment(request, "created_before"),
            page_size=request.page_size, page_token=request.page_token)
        return views.delivery_page(deliveries.list_deliveries(self._context, query),
                                   production=self._context.settings.environment == "prod")

    def RecordDeliveryReceipt(self, request, context):
        applied = deliveries.record_receipt(self._context, request.provider_reference,
                                            enum_name(notify_pb2.DeliveryStatus, request.status), request.token,
                                            request.reason)
        return notify_pb2.RecordDeliveryReceiptResponse(applied=applied)

    def GetPreferences(self, request, context):
        return views.preferences(preferences.get_preferences(self._context))

    def UpdatePreferences(self, request, context):
        return views.preferences(preferences.update_preferences(
            self._context, sms_opt_out=request.sms_opt_out, email_opt_out=request.email_opt_out))


def bindings(context: NotifyContext) -> list[ServiceBinding]:
    return [ServiceBinding.of(NotifyService(context))]
