"""Notify on RabbitMQ, through the chassis consumer: its queues, its subscriptions, its direct routes.

Every queue is consumed with :func:`services.chassis.consumer.run_consumer`, so a message's
effects, the messages it leads to (written to notify's outbox) and its inbox record commit
together before the ack, and a handler failure parks it on ``<queue>.parking``. Two consumers
run side by side, each on its own connection and thread: HIGH (verification codes: their
requests and deliveries) and NORMAL (everything else, announcements included), so a broadcast
never delays a code. A relay thread publishes notify's own outbox (delivery tasks, retries,
fan-out pages) in confirmed batches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from pika.adapters.blocking_connection import BlockingChannel
from pika.exchange_type import ExchangeType

from services.chassis.consumer import InboundMessage, Subscription, process_message, run_consumer
from services.chassis.messages import NOTIFY_EXCHANGE, NOTIFY_HIGH_ROUTING_KEY, NOTIFY_ROUTING_KEY
from services.chassis.relay import Relay
from services.chassis.topology import declare_queue, parking_queue
from services.chassis.uow import UnitOfWork
from services.notify import queues
from services.notify.handlers import announcements, deliveries, requests
from services.notify.runtime import NotifyRuntime

log = logging.getLogger(__name__)

# Re-exported for callers that name queues.
DELIVERIES = queues.DELIVERIES
DELIVERIES_HIGH = queues.DELIVERIES_HIGH
REQUESTS = queues.REQUESTS
REQUESTS_HIGH = queues.REQUESTS_HIGH
ANNOUNCEMENTS = queues.ANNOUNCEMENTS


def declarer(retry_delays: list[float]) -> Callable[[BlockingChannel], None]:
    """Declares notify's exchange, work queues, delay queues and parking binding; idempotent."""

    def declare(channel: BlockingChannel) -> None:
        channel.exchange_declare(queues.INTERNAL_EXCHANGE, ExchangeType.direct, durable=True)
        for priority in ("NORMAL", "HIGH"):
            work_queue = queues.delivery_queue(priority)
            declare_queue(channel, work_queue, exchange=queues.INTERNAL_EXCHANGE,
                          routing_keys=[queues.delivery_key(priority)])
            for delay in retry_delays:
                # A delay queue: the message waits its TTL, then dead-letters back to the work queue.
                declare_queue(channel, queues.retry_queue(work_queue, delay), exchange=queues.INTERNAL_EXCHANGE,
                              routing_keys=[queues.retry_key(priority, delay)],
                              arguments={"x-message-ttl": round(delay * 1000),
                                         "x-dead-letter-exchange": queues.INTERNAL_EXCHANGE,
                                         "x-dead-letter-routing-key": queues.delivery_key(priority)})
        channel.queue_bind(parking_queue(queues.DELIVERIES), queues.INTERNAL_EXCHANGE, routing_key=queues.PARKED_KEY)
        declare_queue(channel, queues.ANNOUNCEMENTS, exchange=queues.INTERNAL_EXCHANGE,
                      routing_keys=[queues.FANOUT_KEY])

    return declare


def declare_topology(channel: BlockingChannel, retry_delays: list[float]) -> None:
    from services.chassis.topology import declare_topology as declare_platform

    declare_platform(channel)
    declarer(retry_delays)(channel)


# ---- handlers: one unit of work each, committed by the chassis with the inbox record ----

def handle_request(runtime: NotifyRuntime) -> Callable[[UnitOfWork, InboundMessage], None]:
    def handle(uow: UnitOfWork, message: InboundMessage) -> None:
        requests.handle_request_message(runtime, uow, message)
    return handle


def handle_deliveries(runtime: NotifyRuntime) -> Callable[[UnitOfWork, InboundMessage], None]:
    def handle(uow: UnitOfWork, message: InboundMessage) -> None:
        deliveries.send_batch(runtime, uow, queues.tasks_of(message.payload))
    return handle


def handle_fanout(runtime: NotifyRuntime) -> Callable[[UnitOfWork, InboundMessage], None]:
    def handle(uow: UnitOfWork, message: InboundMessage) -> None:
        announcements.fan_out_page(runtime, uow, str(message.payload["announcementId"]))
    return handle


def subscriptions(runtime: NotifyRuntime, priority: str) -> list[Subscription]:
    if priority == "HIGH":
        return [
            Subscription(queues.REQUESTS_HIGH, NOTIFY_EXCHANGE, [NOTIFY_HIGH_ROUTING_KEY], handle_request(runtime),
                         prefetch=10),
            Subscription(queues.DELIVERIES_HIGH, queues.INTERNAL_EXCHANGE, [queues.DELIVERY_HIGH_KEY],
                         handle_deliveries(runtime), prefetch=4),
        ]
    return [
        Subscription(queues.REQUESTS, NOTIFY_EXCHANGE, [NOTIFY_ROUTING_KEY], handle_request(runtime),
                     prefetch=runtime.settings.prefetch),
        # A task carries up to TASK_BATCH deliveries: a few in hand keep the sender busy.
        Subscription(queues.DELIVERIES, queues.INTERNAL_EXCHANGE, [queues.DELIVERY_KEY],
                     handle_deliveries(runtime), prefetch=4),
        Subscription(queues.ANNOUNCEMENTS, queues.INTERNAL_EXCHANGE, [queues.FANOUT_KEY], handle_fanout(runtime),
                     prefetch=1),
    ]


def direct_routes(runtime: NotifyRuntime) -> dict[str, Callable[[InboundMessage], None]]:
    """Without a broker the relay hands notify's own messages straight to these, deduped like the consumers."""
    handlers = {queues.DELIVERY_KEY: handle_deliveries(runtime), queues.DELIVERY_HIGH_KEY: handle_deliveries(runtime),
                queues.FANOUT_KEY: handle_fanout(runtime)}

    def deliver(message: InboundMessage) -> None:
        handler = handlers.get(message.routing_key)
        if handler is None:
            # Retries wait for the maintenance pass (due temporary failures); parked ones are recorded already.
            return
        process_message(runtime.context, queues.CONSUMER, message, handler)

    return {queues.INTERNAL_EXCHANGE: deliver}


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


def start_workers(runtime: NotifyRuntime, stop: threading.Event, *, relay: bool = True) -> Workers:
    workers = Workers(stop)
    declare = declarer(runtime.settings.retry_delays())
    for priority in ("HIGH", "NORMAL"):
        ready = threading.Event()
        workers.ready[priority] = ready
        thread = threading.Thread(
            target=run_consumer, name=f"notify-consume-{priority.lower()}",
            args=(runtime.context, queues.CONSUMER, subscriptions(runtime, priority), stop),
            kwargs={"on_ready": ready.set, "declare": declare}, daemon=True)
        workers.threads.append(thread)
    if relay:
        outbox_relay = Relay(runtime.context, direct_deliveries=direct_routes(runtime))
        poll = runtime.settings.relay_poll_seconds
        workers.threads.append(threading.Thread(target=outbox_relay.run, args=(stop, poll), name="notify-relay",
                                                daemon=True))
    for thread in workers.threads:
        thread.start()
    return workers
