"""RabbitMQ plumbing of notify: its queues, and the workers that consume them.

Queues (declared idempotently at start; the request queues may already exist):
- ``notify.requests`` / ``notify.requests.high`` on exchange ``tongban.notify``: requests from every service.
- ``notify.deliveries`` / ``notify.deliveries.high``: one message per delivery to send.
- ``<work queue>.retry.<ms>ms``: delay queues; a message waits its TTL there and is dead-lettered
  back to its work queue, so back-off needs no timer of ours.
- ``notify.announcements`` on ``tongban.notify.internal``: announcement fan-out.
- ``<queue>.parking``: messages that failed for good, kept for an operator, never lost.

Each worker acks a message only after its own commit and after the messages it leads to
have been confirmed by the broker; a request seen before is dropped by its message id.
High-priority queues have their own worker thread and connection, so a broadcast being
fanned out never holds up a verification code.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError, ChannelClosedByBroker
from sqlalchemy.exc import InterfaceError, OperationalError

from services.chassis.errors import DomainError, Unavailable
from services.chassis.messages import NOTIFY_EXCHANGE, NOTIFY_HIGH_ROUTING_KEY, NOTIFY_ROUTING_KEY
from services.notify.handlers import announcements, deliveries, requests
from services.notify.handlers.common import DeliveryTask
from services.notify.runtime import NotifyRuntime

log = logging.getLogger(__name__)

REQUESTS = "notify.requests"
REQUESTS_HIGH = "notify.requests.high"
DELIVERIES = "notify.deliveries"
DELIVERIES_HIGH = "notify.deliveries.high"
ANNOUNCEMENTS = "notify.announcements"


def parking(queue: str) -> str:
    return f"{queue}.parking"


def delivery_queue(priority: str) -> str:
    return DELIVERIES_HIGH if priority == "HIGH" else DELIVERIES


def retry_queue(work_queue: str, delay_seconds: float) -> str:
    return f"{work_queue}.retry.{round(delay_seconds * 1000)}ms"


PERSISTENT = pika.DeliveryMode.Persistent


def _declare_queue(connection: pika.BlockingConnection, channel: BlockingChannel, name: str,
                   arguments: dict | None = None) -> BlockingChannel:
    """Declare durably; a queue another component declared with other arguments is used as it is."""
    try:
        channel.queue_declare(name, durable=True, arguments=arguments)
        return channel
    except ChannelClosedByBroker as exc:
        if exc.reply_code != 406:
            raise
        log.warning("queue %s exists with other arguments; using it as declared", name)
        channel = connection.channel()
        channel.queue_declare(name, durable=True, passive=True)
        return channel


def _parked_arguments(queue: str) -> dict:
    # The chassis' convention for consumer queues: a rejected message dead-letters to its parking lot.
    return {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": parking(queue)}


def declare_topology(connection: pika.BlockingConnection, retry_delays: list[float]) -> None:
    channel = connection.channel()
    channel.exchange_declare(NOTIFY_EXCHANGE, "direct", durable=True)
    channel.exchange_declare(announcements.INTERNAL_EXCHANGE, "direct", durable=True)
    for queue in (REQUESTS, REQUESTS_HIGH, DELIVERIES, DELIVERIES_HIGH, ANNOUNCEMENTS):
        channel = _declare_queue(connection, channel, parking(queue))
    for queue, exchange, key in ((REQUESTS, NOTIFY_EXCHANGE, NOTIFY_ROUTING_KEY),
                                 (REQUESTS_HIGH, NOTIFY_EXCHANGE, NOTIFY_HIGH_ROUTING_KEY),
                                 (ANNOUNCEMENTS, announcements.INTERNAL_EXCHANGE, announcements.FANOUT_ROUTING_KEY)):
        channel = _declare_queue(connection, channel, queue, _parked_arguments(queue))
        channel.queue_bind(queue, exchange, routing_key=key)
    for queue in (DELIVERIES, DELIVERIES_HIGH):
        channel = _declare_queue(connection, channel, queue, _parked_arguments(queue))
        for delay in retry_delays:
            channel = _declare_queue(connection, channel, retry_queue(queue, delay), {
                "x-message-ttl": round(delay * 1000),
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": queue,
            })
    channel.close()


@dataclass(frozen=True)
class Publish:
    """A message a handled message leads to, sent through the default exchange to ``queue``."""

    queue: str
    payload: dict
    headers: dict | None = None


Handler = Callable[[NotifyRuntime, dict], list[Publish]]


def _task_messages(tasks: list[DeliveryTask]) -> list[Publish]:
    return [Publish(delivery_queue(task.priority), task.payload()) for task in tasks]


def handle_request(runtime: NotifyRuntime, payload: dict) -> list[Publish]:
    acceptance = requests.accept_request(runtime, requests.parse_request(payload))
    return _task_messages(acceptance.tasks)


def handle_delivery(runtime: NotifyRuntime, payload: dict) -> list[Publish]:
    task = DeliveryTask.from_payload(payload)
    outcome = deliveries.send_delivery(runtime, task)
    if outcome.kind == deliveries.RETRY_OUTCOME:
        return [Publish(retry_queue(delivery_queue(task.priority), outcome.delay), outcome.retry.payload())]
    if outcome.kind == deliveries.PARK_OUTCOME:
        return [Publish(parking(delivery_queue(task.priority)), task.payload(), {"x-reason": outcome.reason})]
    return []


def handle_fanout(runtime: NotifyRuntime, payload: dict) -> list[Publish]:
    published: list[Publish] = []
    announcements.fan_out(runtime, str(payload["announcementId"]),
                          lambda tasks: published.extend(_task_messages(tasks)))
    return published


class Worker(threading.Thread):
    """Consumes some queues on its own connection until ``stop`` is set; reconnects when the broker goes."""

    def __init__(self, runtime: NotifyRuntime, name: str, handlers: dict[str, Handler], stop: threading.Event,
                 prefetch: int):
        super().__init__(name=f"notify-{name}", daemon=True)
        self.runtime = runtime
        self.handlers = handlers
        self.stop = stop
        self.prefetch = prefetch
        self.ready = threading.Event()

    def run(self) -> None:
        backoff = 0.5
        while not self.stop.is_set():
            try:
                self._consume()
                backoff = 0.5
            except AMQPError as exc:
                log.warning("%s: broker connection lost (%s); reconnecting in %.1fs", self.name, exc, backoff)
                self.ready.clear()
                self.stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)

    def _consume(self) -> None:
        url = self.runtime.context.settings.amqp_url
        connection = pika.BlockingConnection(pika.URLParameters(url))
        try:
            declare_topology(connection, self.runtime.settings.retry_delays())
            channel = connection.channel()
            # Follow-up messages are confirmed before the message that led to them is acked.
            channel.confirm_delivery()
            channel.basic_qos(prefetch_count=self.prefetch)
            for queue, handler in self.handlers.items():
                channel.basic_consume(queue, self._callback(queue, handler))
            self.ready.set()
            while not self.stop.is_set():
                connection.process_data_events(time_limit=0.5)
        finally:
            if connection.is_open:
                connection.close()

    def _callback(self, queue: str, handler: Handler):
        def on_message(channel: BlockingChannel, method, properties, body: bytes) -> None:
            try:
                payload = json.loads(body)
                follow_ups = handler(self.runtime, payload)
            except (Unavailable, OperationalError, InterfaceError) as exc:
                # Identity or the database is away for a moment: try the same message again shortly.
                log.warning("%s: %s; message requeued", queue, exc)
                time.sleep(1.0)
                channel.basic_nack(method.delivery_tag, requeue=True)
                return
            except (DomainError, ValueError, KeyError, TypeError) as exc:
                reason = exc.message if isinstance(exc, DomainError) else f"{exc.__class__.__name__}: {exc}"
                log.warning("%s: message refused (%s); parked", queue, reason)
                follow_ups = [Publish(parking(queue), {"body": body.decode("utf-8", "replace")}, {"x-reason": reason})]
            except Exception as exc:
                log.exception("%s: handler failed; message parked", queue)
                reason = f"{exc.__class__.__name__}: {exc}"
                follow_ups = [Publish(parking(queue), {"body": body.decode("utf-8", "replace")}, {"x-reason": reason})]
            for follow_up in follow_ups:
                channel.basic_publish(
                    "", follow_up.queue, json.dumps(follow_up.payload, ensure_ascii=False).encode(),
                    pika.BasicProperties(delivery_mode=PERSISTENT, content_type="application/json",
                                         headers=follow_up.headers or None))
            channel.basic_ack(method.delivery_tag)

        return on_message


def start_workers(runtime: NotifyRuntime, stop: threading.Event) -> list[Worker]:
    prefetch = runtime.settings.prefetch
    high = Worker(runtime, "high", {REQUESTS_HIGH: handle_request, DELIVERIES_HIGH: handle_delivery}, stop,
                  prefetch=10)
    normal = Worker(runtime, "normal", {REQUESTS: handle_request, DELIVERIES: handle_delivery,
                                        ANNOUNCEMENTS: handle_fanout}, stop, prefetch=prefetch)
    for worker in (high, normal):
        worker.start()
    return [high, normal]


class TaskPublisher:
    """Publishes delivery tasks from outside a worker (the maintenance loop); False when no broker answers."""

    def __init__(self, runtime: NotifyRuntime):
        self.runtime = runtime
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None

    def publish(self, tasks: list[DeliveryTask]) -> bool:
        try:
            if self._channel is None or not self._channel.is_open:
                self._connection = pika.BlockingConnection(pika.URLParameters(self.runtime.context.settings.amqp_url))
                declare_topology(self._connection, self.runtime.settings.retry_delays())
                self._channel = self._connection.channel()
                self._channel.confirm_delivery()
            for message in _task_messages(tasks):
                self._channel.basic_publish("", message.queue, json.dumps(message.payload).encode(),
                                            pika.BasicProperties(delivery_mode=PERSISTENT))
            return True
        except AMQPError as exc:
            log.warning("no broker for delivery tasks (%s); sending in this process", exc)
            self.close()
            return False

    def close(self) -> None:
        try:
            if self._connection is not None and self._connection.is_open:
                self._connection.close()
        except AMQPError:
            pass
        self._connection = None
        self._channel = None
