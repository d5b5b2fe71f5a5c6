"""Accepting a notification request: once per message id, one delivery per recipient and channel."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format
from sqlalchemy import select

from protos.notify.v1 import notify_pb2
from services.chassis.consumer import InboundMessage, process_message
from services.chassis.db import new_id, utcnow
from services.chassis.errors import InvalidArgument, Violations
from services.chassis.messages import NOTIFY_EXCHANGE
from services.chassis.uow import UnitOfWork
from services.notify import domain, queues
from services.notify.handlers import deliveries
from services.notify.handlers.common import DeliveryTask
from services.notify.handlers.templates import current_wording
from services.notify.models import Delivery, InboxItem, Notification, Preference
from services.notify.recipients import Contact, RecipientQuery
from services.notify.runtime import NotifyRuntime

log = logging.getLogger(__name__)


@dataclass
class Acceptance:
    accepted: bool
    notification_id: str = ""
    failure_reason: str | None = None
    # Deliveries waiting to be sent (CREATED); on a repeated message id, those still waiting.
    tasks: list[DeliveryTask] = field(default_factory=list)


def parse_request(payload: Mapping[str, Any]) -> notify_pb2.NotificationRequest:
    try:
        return json_format.ParseDict(dict(payload), notify_pb2.NotificationRequest(), ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise InvalidArgument(f"通知请求格式错误：{exc}") from exc


def _check(request: notify_pb2.NotificationRequest) -> None:
    v = Violations()
    if not request.message_id:
        v.add("messageId", "缺少消息编号")
    elif len(request.message_id) > 64:
        v.add("messageId", "消息编号不能超过 64 个字符")
    if not request.template:
        v.add("template", "缺少模板编码")
    if not request.recipients:
        v.add("recipients", "至少需要一个接收人")
    if not request.channels or notify_pb2.CHANNEL_UNSPECIFIED in request.channels:
        v.add("channels", "至少需要一个有效渠道（IN_SITE、SMS、EMAIL）")
    for index, recipient in enumerate(request.recipients):
        given = [x for x in (recipient.account_id, recipient.organization_id, recipient.phone, recipient.email,
                             recipient.agency) if x]
        if len(given) != 1:
            v.add(f"recipients[{index}]", "每个接收人须且只能指定账号、单位、机构、手机号或邮箱之一")
    v.raise_if_any("通知请求有误")


def _contacts(runtime: NotifyRuntime, request: notify_pb2.NotificationRequest) -> list[Contact]:
    queries = [RecipientQuery(r.account_id, r.organization_id, r.scope, r.agency)
               for r in request.recipients if r.account_id or r.organization_id or r.agency]
    contacts = runtime.directory.resolve(queries) if queries else []
    contacts += [Contact(phone=r.phone, email=r.email) for r in request.recipients if r.phone or r.email]
    return contacts


def _target(channel: str, contact: Contact) -> str:
    return {"SMS": contact.phone, "EMAIL": contact.email, "IN_SITE": contact.account_id}[channel]


def accept(runtime: NotifyRuntime, uow: UnitOfWork, request: notify_pb2.NotificationRequest) -> Acceptance:
    """Record the request's deliveries on ``uow`` and publish the tasks to send them; the caller commits."""
    _check(request)
    session = uow.session
    found = session.execute(select(Notification.id).where(Notification.message_id == request.message_id)).first()
    if found is not None:
        # Accepted already: the inbox is the first guard against a repeat, the unique message id the second.
        return Acceptance(False, found.id)
    contacts = _contacts(runtime, request)
    priority = "HIGH" if request.priority == notify_pb2.HIGH else "NORMAL"
    channels = [notify_pb2.Channel.Name(c) for c in request.channels]
    params = dict(request.params)
    now = utcnow()
    wording = current_wording(session, request.template)
    notification = Notification(
        id=new_id(), message_id=request.message_id, system=request.system, category=request.category,
        template=request.template, template_version=wording.version if wording else None,
        params=json.dumps(params, ensure_ascii=False), priority=priority, mandatory=request.mandatory,
        status="ACCEPTED", created_at=now)
    if wording is None:
        notification.status = "FAILED"
        notification.failure_reason = f"模板不存在：{request.template}"
    else:
        missing = [name for name in wording.all_placeholders() if name not in params]
        if missing:
            notification.status = "FAILED"
            notification.failure_reason = f"模板 {request.template} 缺少参数：{', '.join(missing)}"
    if not contacts and notification.status == "ACCEPTED":
        # Recorded as done, so a repeat of the message is dropped rather than resolved again and again.
        notification.status = "NO_RECIPIENTS"
    session.add(notification)
    session.flush()  # the deliveries refer to it, and they are not related in the mapping
    opted_out = _opt_outs(session, contacts) if not request.mandatory else {}
    deliveries: list[Delivery] = []
    seen_targets: set[tuple[str, str]] = set()
    for contact in contacts:
        for channel in channels:
            target = _target(channel, contact)
            if not target or (channel, target) in seen_targets:
                continue
            if channel in opted_out.get(contact.account_id, ()):
                continue
            seen_targets.add((channel, target))
            deliveries.append(_delivery(runtime, notification, wording, channel, contact, target, params, now))
    session.add_all(deliveries)
    session.add_all(_inbox_items(notification, deliveries, now))
    tasks = [DeliveryTask(d.id, 0, priority) for d in deliveries if d.status == domain.CREATED]
    uow.publish(*queues.task_messages(tasks))
    if notification.failure_reason:
        log.warning("notification %s failed: %s", request.message_id, notification.failure_reason)
    elif notification.status == "NO_RECIPIENTS":
        log.info("notification %s found nobody to send to", request.message_id)
    return Acceptance(True, notification.id, notification.failure_reason, tasks)


def handle_request_message(runtime: NotifyRuntime, uow: UnitOfWork, message: InboundMessage) -> Acceptance:
    """Accept a request; a HIGH one (a verification code) is also sent at once, in this worker.

    The code's delivery task is already in the outbox, committed with the request: if this
    process dies before sending, that task sends it; if it sends, the task finds the delivery
    claimed and does nothing. So a code skips the relay's poll and a queue hop, and loses nothing.
    """
    request = parse_request(message.payload)
    if not request.message_id:
        request.message_id = message.message_id
    acceptance = accept(runtime, uow, request)
    if acceptance.tasks and request.priority == notify_pb2.HIGH:
        uow.commit()
        deliveries.send_batch(runtime, uow, acceptance.tasks)
    return acceptance


def accept_request(runtime: NotifyRuntime, request: notify_pb2.NotificationRequest) -> Acceptance:
    """Accept once per message id: the consumers and the direct gRPC entry share one inbox record."""
    _check(request)
    results: list[Acceptance] = []
    message = InboundMessage(message_id=request.message_id, routing_key="", exchange=NOTIFY_EXCHANGE,
                             payload=json_format.MessageToDict(request))
    processed = process_message(runtime.context, queues.CONSUMER, message,
                                lambda uow, inbound: results.append(handle_request_message(runtime, uow, inbound)))
    if not processed:
        return Acceptance(False)
    return results[0]


def _opt_outs(session, contacts: list[Contact]) -> dict[str, set[str]]:
    ids = [c.account_id for c in contacts if c.account_id]
    if not ids:
        return {}
    rows = session.execute(select(Preference).where(Preference.account_id.in_(ids))).scalars()
    result: dict[str, set[str]] = {}
    for row in rows:
        result[row.account_id] = {c for c, off in (("SMS", row.sms_opt_out), ("EMAIL", row.email_opt_out)) if off}
    return result


def _delivery(runtime: NotifyRuntime, notification: Notification, wording: domain.TemplateWording | None,
              channel: str, contact: Contact, target: str, params: dict, now) -> Delivery:
    delivery = Delivery(
        id=new_id(), notification_id=notification.id, channel=channel, account_id=contact.account_id or None,
        recipient=target, system=notification.system, category=notification.category,
        template=notification.template, priority=notification.priority, status=domain.CREATED, attempts=0,
        subject="", body="", created_at=now, updated_at=now)
    if notification.failure_reason or wording is None:
        delivery.status = domain.PERMANENT_FAILURE
        delivery.failure_reason = notification.failure_reason
        return delivery
    try:
        subject, body = wording.render_for(channel, params)
        if channel == "SMS":
            body = domain.with_signature(runtime.settings.sms_signature, body)
            domain.check_sms(body)
    except domain.TemplateError as exc:
        delivery.status = domain.PERMANENT_FAILURE
        delivery.failure_reason = str(exc)
        return delivery
    delivery.subject, delivery.body = subject, body
    if channel == "IN_SITE":
        # Writing the inbox is the sending: it happens in this very transaction.
        delivery.status = domain.DELIVERED
        delivery.attempts = 1
        delivery.sent_at = now
    return delivery


def _inbox_items(notification: Notification, deliveries: list[Delivery], now) -> list[InboxItem]:
    return [
        InboxItem(id=new_id(), account_id=d.account_id, organization_id=None, system=notification.system,
                  category=notification.category, title=d.subject, body=d.body, source=f"delivery:{d.id}",
                  created_at=now, visible_from=now)
        for d in deliveries if d.channel == "IN_SITE" and d.status == domain.DELIVERED
    ]
