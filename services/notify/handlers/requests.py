"""Accepting a notification request: once per message id, one delivery per recipient and channel."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.clients.identity import Contact, RecipientQuery
from services.chassis.consumer import FollowUp, Handler, process_message
from services.chassis.db import new_id, utcnow
from services.chassis.messages import NOTIFY_EXCHANGE, NOTIFY_ROUTING_KEY, InboundMessage
from services.chassis.uow import UnitOfWork
from services.notify import domain, events
from services.notify.context import NotifyContext
from services.notify.events import DeliveryTask
from services.notify.handlers import deliveries
from services.notify.handlers.templates import current_wording
from services.notify.models import Delivery, InboxItem, Notification, Preference

log = logging.getLogger(__name__)


@dataclass
class Acceptance:
    accepted: bool
    notification_id: str = ""
    failure_reason: str | None = None
    # Deliveries waiting to be sent (CREATED); their tasks are in the outbox with them.
    tasks: list[DeliveryTask] = field(default_factory=list)


def _contacts(context: NotifyContext, request: domain.NotificationRequest) -> list[Contact]:
    queries = [RecipientQuery(r.account_id, r.organization_id, r.scope, r.agency)
               for r in request.recipients if r.resolved_by_identity]
    contacts = context.identity.resolve_recipients(queries)
    contacts += [Contact(phone=r.phone, email=r.email) for r in request.recipients if r.phone or r.email]
    return contacts


def _target(channel: str, contact: Contact) -> str:
    return {"SMS": contact.phone, "EMAIL": contact.email, "IN_SITE": contact.account_id}[channel]


def _outcome(wording: domain.TemplateWording | None, request: domain.NotificationRequest,
             contacts: list[Contact]) -> tuple[str, str | None]:
    """The notification's status and, when it failed, why."""
    if wording is None:
        return domain.FAILED, f"模板不存在：{request.template}"
    missing = [name for name in wording.all_placeholders() if name not in request.params]
    if missing:
        return domain.FAILED, f"模板 {request.template} 缺少参数：{', '.join(missing)}"
    # Recorded as done, so a repeat of the message is dropped rather than resolved again and again.
    return (domain.ACCEPTED if contacts else domain.NO_RECIPIENTS), None


def accept(context: NotifyContext, uow: UnitOfWork, request: domain.NotificationRequest) -> Acceptance:
    """Record the request's deliveries on ``uow`` and publish the tasks to send them; the caller commits."""
    domain.check_request(request)
    session = uow.session
    found = session.execute(select(Notification.id).where(Notification.message_id == request.message_id)).first()
    if found is not None:
        # Accepted already: the inbox is the first guard against a repeat, the unique message id the second.
        return Acceptance(False, found.id)
    contacts = _contacts(context, request)
    now = utcnow()
    wording = current_wording(session, request.template)
    status, failure_reason = _outcome(wording, request, contacts)
    notification = Notification(
        id=new_id(), message_id=request.message_id, system=request.system, category=request.category,
        template=request.template, template_version=wording.version if wording else None,
        params=json.dumps(dict(request.params), ensure_ascii=False), priority=request.priority,
        mandatory=request.mandatory, status=status, failure_reason=failure_reason, created_at=now)
    session.add(notification)
    session.flush()  # the deliveries refer to it, and they are not related in the mapping
    opted_out = _opt_outs(session, contacts) if not request.mandatory else {}
    made: list[Delivery] = []
    seen_targets: set[tuple[str, str]] = set()
    for contact in contacts:
        for channel in request.channels:
            target = _target(channel, contact)
            if not target or (channel, target) in seen_targets:
                continue
            if channel in opted_out.get(contact.account_id, ()):
                continue
            seen_targets.add((channel, target))
            made.append(_delivery(context, notification, wording, channel, contact, target, request.params, now))
    session.add_all(made)
    session.add_all(_inbox_items(notification, made, now))
    tasks = [DeliveryTask(d.id, 0, request.priority) for d in made if d.status == domain.CREATED]
    uow.publish(*events.task_messages(tasks))
    if failure_reason:
        log.warning("notification %s failed: %s", request.message_id, failure_reason)
    elif status == domain.NO_RECIPIENTS:
        log.info("notification %s found nobody to send to", request.message_id)
    return Acceptance(True, notification.id, failure_reason, tasks)


def _send_now(context: NotifyContext, request: domain.NotificationRequest,
              acceptance: Acceptance) -> FollowUp | None:
    """A HIGH request (a verification code) is sent at once, by the worker that accepted it.

    The code's delivery task is in the outbox, committed with the request: if this process dies
    before sending, that task sends it; if it sends, the task finds the delivery claimed and does
    nothing. So a code skips the relay's poll and a queue hop, and loses nothing.
    """
    if acceptance.tasks and request.priority == domain.HIGH:
        return partial(deliveries.send, context, acceptance.tasks)
    return None


def handle_message(context: NotifyContext) -> Handler:
    """The request consumers' handler: the message's JSON read once, into the domain's request."""

    def handle(uow: UnitOfWork, message: InboundMessage) -> FollowUp | None:
        request = events.notification_request_of(message.payload, message.message_id)
        return _send_now(context, request, accept(context, uow, request))

    return handle


def submit(context: NotifyContext, request: domain.NotificationRequest) -> bool:
    """The direct entry (SubmitNotification): accepted once per message id, deduped with the consumers.

    False when the message id had been seen before and the request was dropped.
    """
    domain.check_request(request)
    # The inbox only needs the message's id: the request is a value already, not read from a payload again.
    message = InboundMessage(message_id=request.message_id, routing_key=NOTIFY_ROUTING_KEY,
                             exchange=NOTIFY_EXCHANGE, payload={})
    accepted: list[bool] = []

    def handle(uow: UnitOfWork, _message: InboundMessage) -> FollowUp | None:
        acceptance = accept(context, uow, request)
        accepted.append(acceptance.accepted)
        return _send_now(context, request, acceptance)

    return process_message(context, events.CONSUMER, message, handle) and accepted == [True]


def _opt_outs(session: Session, contacts: list[Contact]) -> dict[str, set[str]]:
    ids = [c.account_id for c in contacts if c.account_id]
    if not ids:
        return {}
    rows = session.execute(select(Preference).where(Preference.account_id.in_(ids))).scalars()
    result: dict[str, set[str]] = {}
    for row in rows:
        result[row.account_id] = {c for c, off in (("SMS", row.sms_opt_out), ("EMAIL", row.email_opt_out)) if off}
    return result


def _rendered(context: NotifyContext, notification: Notification, wording: domain.TemplateWording | None,
              channel: str, params: Mapping[str, str]) -> tuple[str, str, str, str | None]:
    """``(status, subject, body, failure)`` of a new delivery on ``channel``."""
    if notification.failure_reason or wording is None:
        return domain.PERMANENT_FAILURE, "", "", notification.failure_reason
    try:
        subject, body = wording.render_for(channel, params)
        if channel == "SMS":
            body = domain.with_signature(context.config.sms_signature, body)
            domain.check_sms(body)
    except domain.TemplateError as exc:
        return domain.PERMANENT_FAILURE, "", "", str(exc)
    # Writing the inbox is the sending of an in-site message: it happens in this very transaction.
    return (domain.DELIVERED if channel == "IN_SITE" else domain.CREATED), subject, body, None


def _delivery(context: NotifyContext, notification: Notification, wording: domain.TemplateWording | None,
              channel: str, contact: Contact, target: str, params: Mapping[str, str], now: datetime) -> Delivery:
    status, subject, body, failure = _rendered(context, notification, wording, channel, params)
    delivered = status == domain.DELIVERED
    return Delivery(
        id=new_id(), notification_id=notification.id, channel=channel, account_id=contact.account_id or None,
        recipient=target, system=notification.system, category=notification.category,
        template=notification.template, priority=notification.priority, status=status,
        attempts=1 if delivered else 0, subject=subject, body=body, failure_reason=failure,
        sent_at=now if delivered else None, created_at=now, updated_at=now)


def _inbox_items(notification: Notification, made: list[Delivery], now: datetime) -> list[InboxItem]:
    return [
        InboxItem(id=new_id(), account_id=d.account_id, organization_id=None, system=notification.system,
                  category=notification.category, title=d.subject, body=d.body, source=f"delivery:{d.id}",
                  created_at=now, visible_from=now)
        for d in made if d.channel == "IN_SITE" and d.status == domain.DELIVERED
    ]
