"""Idempotent consumers: a message's effects and its inbox entry commit together, then it is acked.

Delivery is at least once (the relay republishes what it could not confirm, the broker
redelivers what was not acked), so a consumer drops a message id it has processed
before. :func:`process_message` is that rule, shared by the RabbitMQ consumer loop and
by direct deliveries over gRPC when no broker answers: both paths dedupe in one table.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pika
import pika.exceptions
from opentelemetry import trace
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from services.chassis.amqp import (
    Backoff,
    connection_parameters,
    decode_headers,
    describe,
    quiet_pika_connection_errors,
    redacted,
)
from services.chassis.db import utcnow
from services.chassis.heartbeat import Heartbeat
from services.chassis.messages import InboundMessage
from services.chassis.metrics import WatchedGauge, meter
from services.chassis.telemetry import REQUEST_ID_HEADER, bind_request_id, extract_context, reset_request_id
from services.chassis.topology import declare_queue, declare_topology, parking_queue
from services.chassis.uow import UnitOfWork

if TYPE_CHECKING:
    from services.chassis.context import ServiceContext

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

_consumed = meter("tongban.consumer").create_counter(
    "messaging.consumer.messages", description="Messages a consumer finished with, by queue and outcome "
    "(processed, duplicate, parked, requeued)")
PARKING_DEPTH = WatchedGauge("messaging.parking.depth", "Messages waiting in a parking lot")
# How often a consumer asks the broker how full its parking lots are (a passive declare each).
PARKING_CHECK_SECONDS = 15.0


# What must happen after the commit, outside the transaction (calling an SMS gateway for a
# delivery the handler just claimed); best effort: what it does not finish, scheduled jobs do.
FollowUp = Callable[[], None]
# Does its work through the unit of work (session, publish) and never commits: process_message
# does. It may answer a follow-up, which runs once the commit is done and before the ack.
Handler = Callable[[UnitOfWork, InboundMessage], FollowUp | None]


class MalformedMessage(ValueError):
    """A delivery that cannot be handled at all (no message id, body not a JSON object)."""


def process_message(context: ServiceContext, consumer_name: str, message: InboundMessage, handler: Handler) -> bool:
    """Run ``handler`` and record the message as processed, in one transaction; then its follow-up.

    Returns False, changing nothing, when ``consumer_name`` has already processed this
    message id. A handler exception rolls everything back and propagates. The follow-up
    runs after the unit of work has closed, so it may open one of its own; its failure
    is logged, not raised: the message's effects are committed already.
    """
    inbox = context.tables.inbox
    follow_up: FollowUp | None = None
    with context.unit_of_work() as uow:
        if _already_processed(uow, inbox, message.message_id, consumer_name):
            return False
        try:
            # Inserted before the handler runs: a concurrent consumer of the same message
            # waits here on the key and then fails, instead of doing the work twice.
            uow.session.execute(insert(inbox).values(
                message_id=message.message_id, consumer=consumer_name, received_at=utcnow()))
        except IntegrityError:
            uow.rollback()
            return False
        follow_up = handler(uow, message)
        try:
            uow.commit()
        except IntegrityError:
            uow.rollback()
            if _already_processed(uow, inbox, message.message_id, consumer_name):
                return False
            raise
    if follow_up is not None:
        try:
            follow_up()
        except Exception:
            log.exception("the follow-up of committed message %s failed", message.message_id)
    return True


def _already_processed(uow: UnitOfWork, inbox: Any, message_id: str, consumer_name: str) -> bool:
    seen = uow.session.execute(
        select(inbox.c.message_id).where(inbox.c.message_id == message_id, inbox.c.consumer == consumer_name)
    ).first()
    return seen is not None


def inbound_from_delivery(method: Any, properties: Any, body: bytes) -> InboundMessage:
    """Build an :class:`InboundMessage` from a RabbitMQ delivery; MalformedMessage if it cannot be one."""
    if not properties.message_id:
        raise MalformedMessage("the message has no message_id, so it cannot be deduplicated")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedMessage(f"the body is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise MalformedMessage("the body is not a JSON object")
    return InboundMessage(
        message_id=str(properties.message_id),
        routing_key=method.routing_key,
        exchange=method.exchange,
        payload=payload,
        headers=decode_headers(properties.headers),
        redelivered=bool(method.redelivered),
    )


@contextmanager
def message_context(message: InboundMessage, consumer_name: str) -> Iterator[None]:
    """Continue the publisher's trace and bind its request id, so logs and onward messages carry them."""
    attributes = {
        "messaging.system": "rabbitmq",
        "messaging.destination.name": message.exchange,
        "messaging.rabbitmq.destination.routing_key": message.routing_key,
        "messaging.message.id": message.message_id,
        "messaging.consumer.group.name": consumer_name,
    }
    with tracer.start_as_current_span(f"{message.exchange} process", context=extract_context(message.headers),
                                      kind=trace.SpanKind.CONSUMER, attributes=attributes):
        token = bind_request_id(message.headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex)
        try:
            yield
        finally:
            reset_request_id(token)


@dataclass(frozen=True)
class Subscription:
    """A durable queue bound to ``exchange`` by ``routing_keys``, consumed by ``handler``.

    A message the handler fails on is dead-lettered to ``<queue>.parking``. ``around``, when given,
    makes the context each message is handled in, from before its unit of work to after its
    follow-up: a lane that gives way to another, or marks the work others give way to.
    """

    queue: str
    exchange: str
    routing_keys: Sequence[str]
    handler: Handler
    prefetch: int = 20
    queue_arguments: Mapping[str, Any] = field(default_factory=dict)
    around: Callable[[], AbstractContextManager[Any]] | None = None


class _ConsumerSession:
    """One connection's worth of consuming: declare, subscribe, dispatch until stopped or lost."""

    def __init__(self, context: ServiceContext, consumer_name: str, subscriptions: Sequence[Subscription],
                 stop: threading.Event, declare: Callable[[Any], None] | None = None,
                 heartbeat: Heartbeat | None = None) -> None:
        self.context = context
        self.heartbeat = heartbeat or Heartbeat(consumer_name)
        self.declare = declare
        self.consumer_name = consumer_name
        self.subscriptions = subscriptions
        self.stop = stop
        self.database_backoff = Backoff(initial=0.5, maximum=5.0)
        # Parking lot -> messages in it, as last asked of the broker.
        self.parked: dict[str, int] = {}

    def run(self, connection: pika.BlockingConnection, on_ready: Callable[[], None]) -> None:
        channel = connection.channel()
        declare_topology(channel)
        if self.declare is not None:
            self.declare(channel)
        for subscription in self.subscriptions:
            declare_queue(channel, subscription.queue, exchange=subscription.exchange,
                          routing_keys=subscription.routing_keys, arguments=subscription.queue_arguments)
            # Without global=True, basic.qos applies to the consumers started after it: one prefetch each.
            channel.basic_qos(prefetch_count=subscription.prefetch)
            channel.basic_consume(subscription.queue, self._dispatcher(subscription), auto_ack=False)
        on_ready()
        checked_at = 0.0
        while not self.stop.is_set():
            self.heartbeat.beat()
            if time.monotonic() - checked_at >= PARKING_CHECK_SECONDS:
                self._count_parked(channel)
                checked_at = time.monotonic()
            connection.process_data_events(time_limit=0.5)
        channel.close()

    def _count_parked(self, channel: Any) -> None:
        """How many messages wait in each parking lot, asked on the consuming channel's own thread."""
        for subscription in self.subscriptions:
            queue = parking_queue(subscription.queue)
            self.parked[queue] = channel.queue_declare(queue, passive=True).method.message_count

    def _count(self, subscription: Subscription, outcome: str) -> None:
        _consumed.add(1, {"consumer": self.consumer_name, "queue": subscription.queue, "outcome": outcome})

    def _dispatcher(self, subscription: Subscription) -> Callable[..., None]:
        def on_message(channel: Any, method: Any, properties: Any, body: bytes) -> None:
            self._handle(subscription, channel, method, properties, body)
        return on_message

    def _handle(self, subscription: Subscription, channel: Any, method: Any, properties: Any, body: bytes) -> None:
        tag = method.delivery_tag
        try:
            message = inbound_from_delivery(method, properties, body)
        except MalformedMessage as exc:
            log.error("parking a malformed message from %s on %s: %s", subscription.queue,
                      parking_queue(subscription.queue), exc)
            channel.basic_reject(tag, requeue=False)
            self._count(subscription, "parked")
            return
        with subscription.around() if subscription.around is not None else nullcontext(), \
                message_context(message, self.consumer_name):
            try:
                processed = process_message(self.context, self.consumer_name, message, subscription.handler)
            except OperationalError as exc:
                delay = self.database_backoff.next_delay()
                log.warning("database unavailable while handling message %s (%s); requeued, pausing %.1f s",
                            message.message_id, describe(exc), delay)
                channel.basic_nack(tag, requeue=True)
                self._count(subscription, "requeued")
                self.stop.wait(delay)
                return
            except Exception:
                log.exception("handler %s failed on message %s (%s); parked on %s", self.consumer_name,
                              message.message_id, message.routing_key, parking_queue(subscription.queue))
                channel.basic_reject(tag, requeue=False)
                self._count(subscription, "parked")
                return
            self.database_backoff.reset()
            if not processed:
                log.info("message %s was already processed by %s; dropped", message.message_id, self.consumer_name)
            channel.basic_ack(tag)
            self._count(subscription, "processed" if processed else "duplicate")


def run_consumer(context: ServiceContext, consumer_name: str, subscriptions: Sequence[Subscription],
                 stop_event: threading.Event | None = None, *, amqp_url: str | None = None,
                 reconnect_backoff: Backoff | None = None, on_ready: Callable[[], None] | None = None,
                 declare: Callable[[Any], None] | None = None, beat_as: str | None = None) -> int:
    """Consume ``subscriptions`` until ``stop_event`` is set (SIGTERM/SIGINT when none is given).

    Reconnects with back-off when the broker goes away; unacked messages are then
    redelivered and the inbox drops those already processed. ``on_ready`` is called each
    time the consumers are subscribed. ``declare(channel)`` declares a service's own
    exchanges and queues on each connect, before the subscriptions bind to them. The loop beats
    as ``beat_as`` (the consumer's name by default; one name per lane of a process).
    """
    from services.chassis.amqp import stop_event_on_signals

    stop = stop_event or stop_event_on_signals()
    quiet_pika_connection_errors()
    url = amqp_url or context.settings.amqp_url
    parameters = connection_parameters(url, client_name=f"tongban-consumer-{consumer_name}")
    backoff = reconnect_backoff or Backoff()
    heartbeat = Heartbeat(beat_as or consumer_name)
    session = _ConsumerSession(context, consumer_name, subscriptions, stop, declare, heartbeat)
    unwatch = PARKING_DEPTH.watch(lambda: [(count, {"consumer": consumer_name, "queue": queue})
                                           for queue, count in session.parked.items()])
    failing_since_logged = False

    def ready() -> None:
        nonlocal failing_since_logged
        if failing_since_logged:
            log.warning("consumer %s is connected to RabbitMQ again", consumer_name)
        failing_since_logged = False
        backoff.reset()
        if on_ready is not None:
            on_ready()

    try:
        while not stop.is_set():
            heartbeat.beat()
            connection = None
            try:
                connection = pika.BlockingConnection(parameters)
                session.run(connection, ready)
            except (pika.exceptions.AMQPError, OSError) as exc:
                delay = backoff.next_delay()
                if not failing_since_logged:
                    log.error("consumer %s lost RabbitMQ at %s (%s); reconnecting with back-off",
                              consumer_name, redacted(url), describe(exc))
                    failing_since_logged = True
                stop.wait(delay)
            finally:
                if connection is not None and connection.is_open:
                    try:
                        connection.close()
                    except (pika.exceptions.AMQPError, OSError):
                        log.debug("closing the consumer connection failed", exc_info=True)
    finally:
        unwatch()
    return 0
