"""Publishing and submitting requests, and reading notify's records, in tests."""

from __future__ import annotations

import json
from typing import Any

import pika
from google.protobuf import json_format
from sqlalchemy import func, select

from protos.notify.v1 import notify_pb2
from services.chassis.messages import OutboundMessage
from services.chassis.testing.service import ServiceHarness
from services.notify.context import NotifyContext
from services.notify.models import Delivery, Notification


def publish(amqp_url: str, *messages: OutboundMessage) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for message in messages:
            channel.basic_publish(message.exchange, message.routing_key,
                                  json.dumps(message.payload, ensure_ascii=False).encode(),
                                  pika.BasicProperties(delivery_mode=2, message_id=message.message_id))
    finally:
        connection.close()


def as_proto(message: OutboundMessage) -> notify_pb2.NotificationRequest:
    """A request as a relay hands it to SubmitNotification when no broker answers."""
    return json_format.ParseDict(message.payload, notify_pb2.NotificationRequest())


def submit(notify: ServiceHarness, message: OutboundMessage) -> bool:
    """SubmitNotification over gRPC: whether notify accepted the request (False for a repeat)."""
    return notify.call("SubmitNotification", as_proto(message)).accepted


def declare(amqp_url: str, context: NotifyContext) -> None:
    from services.notify import broker

    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        broker.declare_topology(connection.channel(), context.config.retry_delays())
    finally:
        connection.close()


def drain(amqp_url: str, queue: str) -> list[tuple[dict, dict]]:
    """Every message waiting in ``queue``: (payload, headers)."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    found = []
    try:
        channel = connection.channel()
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return found
            found.append((json.loads(body), properties.headers or {}))
    finally:
        connection.close()


def deliveries_of(context: NotifyContext, message_id: str) -> list[Delivery]:
    with context.unit_of_work(read_only=True) as uow:
        return list(uow.session.execute(
            select(Delivery).join(Notification, Notification.id == Delivery.notification_id)
            .where(Notification.message_id == message_id)).scalars())


def notification(context: NotifyContext, message_id: str) -> Notification | None:
    with context.unit_of_work(read_only=True) as uow:
        return uow.session.execute(select(Notification).where(Notification.message_id == message_id)
                                   ).scalar_one_or_none()


def unsent_outbox_rows(context: NotifyContext) -> int:
    outbox = context.tables.outbox
    with context.unit_of_work(read_only=True) as uow:
        return uow.session.execute(select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
                                   ).scalar_one()


def outbox_messages(context: NotifyContext) -> list[OutboundMessage]:
    outbox = context.tables.outbox
    with context.unit_of_work(read_only=True) as uow:
        rows = uow.session.execute(select(outbox).order_by(outbox.c.id)).all()
    return [OutboundMessage(row.exchange, row.routing_key, json.loads(row.payload), message_id=row.message_id)
            for row in rows]


def sms_lines(path: Any) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return []
