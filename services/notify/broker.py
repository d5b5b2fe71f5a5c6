"""Notify on RabbitMQ, through the chassis consumer: its queues, its subscriptions, its direct routes.

Every queue is consumed with :func:`services.chassis.consumer.run_consumer`, so a message's
effects, the messages it leads to (written to notify's outbox) and its inbox record commit
together before the ack, and a handler failure parks it on ``<queue>.parking``; the provider calls
for what a message claimed follow that commit (the handler's follow-up). Three consumers
run side by side, each on its own connection and thread (``LANES``): verification codes (their
requests and deliveries), other requests with announcements' fan-out, and other deliveries, so a
broadcast never queues a code behind it, and its pages are written while its earlier pages are
sent. A relay thread publishes notify's own outbox (delivery tasks, retries, fan-out pages) in
confirmed batches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from pika.adapters.blocking_connection import BlockingChannel
from pika.exchange_type import ExchangeType

from services.chassis.consumer import FollowUp, Handler, Subscription, process_message, run_consumer
from services.chassis.messages import NOTIFY_EXCHANGE, NOTIFY_HIGH_ROUTING_KEY, NOTIFY_ROUTING_KEY, InboundMessage
from services.chassis.relay import Relay
from services.chassis.topology import declare_queue, parking_queue
from services.chassis.uow import UnitOfWork
from services.notify import domain, events
from services.notify.context import NotifyContext
from services.notify.handlers import announcements, deliveries, requests

log = logging.getLogger(__name__)


def declarer(retry_delays: list[float]) -> Callable[[BlockingChannel], None]:
    """Declares notify's exchange, work queues, delay queues and parking binding; idempotent."""

    def declare(channel: BlockingChannel) -> None:
        channel.exchange_declare(events.INTERNAL_EXCHANGE, ExchangeType.direct, durable=True)
        for priority in domain.PRIORITIES:
            work_queue = events.delivery_queue(priority)
            declare_queue(channel, work_queue, exchange=events.INTERNAL_EXCHANGE,
                          routing_keys=[events.delivery_key(priority)])
            for delay in retry_delays:
                # A delay queue: the message waits its TTL, then dead-letters back to the work queue.
                declare_queue(channel, events.retry_queue(work_queue, delay), exchange=events.INTERNAL_EXCHANGE,
                              routing_keys=[events.retry_key(priority, delay)],
                              arguments={"x-message-ttl": round(delay * 1000),
                                         "x-dead-letter-exchange": events.INTERNAL_EXCHANGE,
                                         "x-dead-letter-routing-key": events.delivery_key(priority)})
        channel.queue_bind(parking_queue(events.DELIVERIES), events.INTERNAL_EXCHANGE, routing_key=events.PARKED_KEY)
        declare_queue(channel, events.ANNOUNCEMENTS, exchange=events.INTERNAL_EXCHANGE,
                      routing_keys=[events.FANOUT_KEY])

    return declare


def declare_topology(channel: BlockingChannel, retry_delays: list[float]) -> None:
    from services.chassis.topology import declare_topology as declare_platform

    declare_platform(channel)
    declarer(retry_delays)(channel)


# ---- handlers: each message's effects commit with its inbox record; provider calls follow ----

def handle_deliveries(context: NotifyContext) -> Handler:
    """Claim a task's deliveries with the message; send them once that is committed."""

    def handle(uow: UnitOfWork, message: InboundMessage) -> FollowUp | None:
        held = deliveries.claim(uow.session, events.tasks_of(message.payload))
        return partial(deliveries.send_claimed, context, held) if held.claimed else None

    return handle


def handle_fanout(context: NotifyContext) -> Handler:
    def handle(uow: UnitOfWork, message: InboundMessage) -> None:
        announcements.fan_out_page(context, uow, str(message.payload["announcementId"]))

    return handle


# The consumers of one process, each on its own connection and thread: codes (their requests and
# deliveries); other requests and announcements' fan-out; other deliveries. A broadcast's pages and
# its sending then overlap, and neither is ever in a code's way.
LANES = ("codes", "requests", "deliveries")


def subscriptions(context: NotifyContext, lane: str) -> list[Subscription]:
    on_request = requests.handle_message(context)
    on_deliveries = handle_deliveries(context)
    if lane == "codes":
        return [
            Subscription(events.REQUESTS_HIGH, NOTIFY_EXCHANGE, [NOTIFY_HIGH_ROUTING_KEY], on_request, prefetch=10),
            Subscription(events.DELIVERIES_HIGH, events.INTERNAL_EXCHANGE, [events.DELIVERY_HIGH_KEY],
                         on_deliveries, prefetch=4),
        ]
    if lane == "requests":
        return [
            Subscription(events.REQUESTS, NOTIFY_EXCHANGE, [NOTIFY_ROUTING_KEY], on_request,
                         prefetch=context.config.prefetch),
            Subscription(events.ANNOUNCEMENTS, events.INTERNAL_EXCHANGE, [events.FANOUT_KEY],
                         handle_fanout(context), prefetch=1),
        ]
    # A task carries up to TASK_BATCH deliveries: a few in hand keep the sender busy.
    return [Subscription(events.DELIVERIES, events.INTERNAL_EXCHANGE, [events.DELIVERY_KEY], on_deliveries,
                         prefetch=4)]


def direct_routes(context: NotifyContext) -> dict[str, Callable[[InboundMessage], None]]:
    """Without a broker the relay hands notify's own messages straight to these, deduped like the consumers."""
    handlers = {events.DELIVERY_KEY: handle_deliveries(context), events.DELIVERY_HIGH_KEY: handle_deliveries(context),
                events.FANOUT_KEY: handle_fanout(context)}

    def deliver(message: InboundMessage) -> None:
        handler = handlers.get(message.routing_key)
        if handler is None:
            # Retries wait for the maintenance pass (due temporary failures); parked ones are recorded already.
            return
        process_message(context, events.CONSUMER, message, handler)

    return {events.INTERNAL_EXCHANGE: deliver}


# ---- running them ----

@dataclass
class Workers:
    """The consumer threads and notify's relay thread of one process."""

    stop: threading.Event
    threads: list[threading.Thread] = field(default_factory=list)
    ready: dict[str, threading.Event] = field(default_factory=dict)

    def wait_ready(self, timeout: float) -> bool:
        return all(event.wait(timeout) for event in self.ready.values())

    def join(self, timeout: float = 10.0) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=timeout)


def start_workers(context: NotifyContext, stop: threading.Event, *, relay: bool = True) -> Workers:
    workers = Workers(stop)
    declare = declarer(context.config.retry_delays())
    for lane in LANES:
        ready = threading.Event()
        workers.ready[lane] = ready
        thread = threading.Thread(
            target=run_consumer, name=f"notify-consume-{lane}",
            args=(context, events.CONSUMER, subscriptions(context, lane), stop),
            kwargs={"on_ready": ready.set, "declare": declare}, daemon=True)
        workers.threads.append(thread)
    if relay:
        outbox_relay = Relay(context, direct_deliveries=direct_routes(context))
        poll = context.config.relay_poll_seconds
        workers.threads.append(threading.Thread(target=outbox_relay.run, args=(stop, poll), name="notify-relay",
                                                daemon=True))
    for thread in workers.threads:
        thread.start()
    return workers
