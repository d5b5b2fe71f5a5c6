"""Publishing requests and reading notify's records in tests."""

from __future__ import annotations

import json

import pika
from sqlalchemy import select

from services.chassis.messages import OutboundMessage
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


def declare(amqp_url: str, runtime) -> None:
    from services.notify import broker

    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        broker.declare_topology(connection.channel(), runtime.settings.retry_delays())
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


def deliveries_of(runtime, message_id: str) -> list[Delivery]:
    with runtime.unit_of_work() as uow:
        rows = list(uow.session.execute(
            select(Delivery).join(Notification, Notification.id == Delivery.notification_id)
            .where(Notification.message_id == message_id)).scalars())
        uow.session.expunge_all()
        return rows


def notification(runtime, message_id: str) -> Notification | None:
    with runtime.unit_of_work() as uow:
        found = uow.session.execute(select(Notification).where(Notification.message_id == message_id))
        row = found.scalar_one_or_none()
        uow.session.expunge_all()
        return row


def sms_lines(path) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return []
