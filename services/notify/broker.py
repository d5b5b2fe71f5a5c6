"""Notify on RabbitMQ, through the chassis consumer: its queues, its subscriptions, its direct routes.

Every queue is consumed with :func:`services.chassis.consumer.run_consumer`, so a message's
effects, the messages it leads to (written to notify's outbox) and its inbox record commit
together before the ack, and a handler failure parks it on ``<queue>.parking``; the provider calls
for what a message claimed follow that commit (the handler's follow-up). The consumers run
side by side, each on its own connection and thread (``LANES``): verification codes (their
requests and deliveries), other requests with announcements' fan-out, and other deliveries, so a
broadcast never queues a code behind it, and its pages are written while its earlier pages are
sent. ``consume`` runs the code lane in a process of its own (commands.py). A relay thread
publishes notify's own outbox (delivery tasks, retries, fan-out pages) in confirmed batches.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable, Collection, Iterator
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

# A fresh interpreter for a lane run apart (no fork of a process holding connections and threads).
SPAWN = multiprocessing.get_context("spawn")


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

def handle_deliveries(context: NotifyContext, codes: CodesFirst | None = None) -> Handler:
    """Claim a task's deliveries with the message; send them once that is committed."""
    give_way = codes.give_way if codes is not None else None

    def handle(uow: UnitOfWork, message: InboundMessage) -> FollowUp | None:
        held = deliveries.claim(uow.session, events.tasks_of(message.payload))
        return partial(deliveries.send_claimed, context, held, before_record=give_way) if held.claimed else None

    return handle


class CodesFirst:
    """Verification codes before broadcasts: the broadcast's lanes hold back while a code is under way.

    On two cores shared with the database and the broker a broadcast sending flat out keeps every
    core busy, and each of a code's dozen round trips waits its turn behind it. So the code lane
    marks each code it takes until the code is sent, and the broadcast's lanes look before each
    message and between sending and recording, waiting while one is marked: never longer than
    ``HOLD_SECONDS`` at a time, and a mark older than ``STALE_SECONDS`` (a code whose commit failed
    before its follow-up could end it) is dropped. The mark lives in shared memory, so the code lane
    may run in a process of its own (``consume`` does) and still hold the others back.
    """

    HOLD_SECONDS = 0.25
    STALE_SECONDS = 5.0

    def __init__(self) -> None:
        self._under_way = SPAWN.Value("i", 0)
        # CLOCK_MONOTONIC is the machine's, so a mark made in one process is dated in the other.
        self._since = SPAWN.Value("d", 0.0, lock=False)
        self._clear = SPAWN.Event()
        self._clear.set()

    def begin(self) -> None:
        with self._under_way.get_lock():
            self._under_way.value += 1
            self._since.value = time.monotonic()
            self._clear.clear()

    def end(self) -> None:
        with self._under_way.get_lock():
            self._under_way.value = max(0, self._under_way.value - 1)
            if not self._under_way.value:
                self._clear.set()

    def give_way(self) -> None:
        if self._clear.is_set():
            return
        if time.monotonic() - self._since.value > self.STALE_SECONDS:
            with self._under_way.get_lock():
                self._under_way.value = 0
                self._clear.set()
            return
        self._clear.wait(self.HOLD_SECONDS)

    @contextlib.contextmanager
    def marked(self) -> Iterator[None]:
        """A code's message, from before its unit of work until it is sent."""
        self.begin()
        try:
            yield
        finally:
            self.end()

    @contextlib.contextmanager
    def after_codes(self) -> Iterator[None]:
        """A broadcast's message, started once no code is under way."""
        self.give_way()
        yield


def handle_fanout(context: NotifyContext) -> Handler:
    def handle(uow: UnitOfWork, message: InboundMessage) -> None:
        announcements.fan_out_page(context, uow, str(message.payload["announcementId"]))

    return handle


# The consumer lanes, each on its own connection and thread: codes (their requests and deliveries);
# other requests and announcements' fan-out; other deliveries, twice, so one lane sends while the
# other records. A broadcast's pages and its sending then overlap, and every lane but the codes'
# gives way to a code under way (CodesFirst). ``consume`` runs the code lane in a process of its own.
LANES = ("codes", "requests", "deliveries", "deliveries")
CODE_LANE = "codes"


def subscriptions(context: NotifyContext, lane: str, codes: CodesFirst | None = None) -> list[Subscription]:
    """A lane's subscriptions; given ``codes``, the code lane marks its codes and the others give way to them."""
    on_request = requests.handle_message(context)
    if lane == CODE_LANE:
        marked = codes.marked if codes is not None else None
        return [
            Subscription(events.REQUESTS_HIGH, NOTIFY_EXCHANGE, [NOTIFY_HIGH_ROUTING_KEY], on_request, prefetch=10,
                         around=marked),
            Subscription(events.DELIVERIES_HIGH, events.INTERNAL_EXCHANGE, [events.DELIVERY_HIGH_KEY],
                         handle_deliveries(context), prefetch=4, around=marked),
        ]
    after_codes = codes.after_codes if codes is not None else None
    if lane == "requests":
        return [
            Subscription(events.REQUESTS, NOTIFY_EXCHANGE, [NOTIFY_ROUTING_KEY], on_request,
                         prefetch=context.config.prefetch, around=after_codes),
            Subscription(events.ANNOUNCEMENTS, events.INTERNAL_EXCHANGE, [events.FANOUT_KEY],
                         handle_fanout(context), prefetch=1, around=after_codes),
        ]
    # A task carries up to TASK_BATCH deliveries: a few in hand keep the sender busy.
    return [Subscription(events.DELIVERIES, events.INTERNAL_EXCHANGE, [events.DELIVERY_KEY],
                         handle_deliveries(context, codes), prefetch=4, around=after_codes)]


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
        """Stop them, waiting ``timeout`` seconds in all (not each) for them to end."""
        self.stop.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


def start_workers(context: NotifyContext, stop: threading.Event, *, relay: bool = True,
                  lanes: Collection[str] = frozenset(LANES), codes: CodesFirst | None = None) -> Workers:
    """The threads of the lanes named in ``lanes`` (all by default) and, given ``relay``, the relay's.

    ``codes`` is the mark shared with lanes in another process; by default the lanes here share one.
    """
    workers = Workers(stop)
    declare = declarer(context.config.retry_delays())
    codes = codes if codes is not None else CodesFirst()
    for index, lane in enumerate(LANES):
        if lane not in lanes:
            continue
        ready = threading.Event()
        workers.ready[f"{lane}-{index}"] = ready
        thread = threading.Thread(
            target=run_consumer, name=f"notify-consume-{lane}-{index}",
            args=(context, events.CONSUMER, subscriptions(context, lane, codes), stop),
            kwargs={"on_ready": ready.set, "declare": declare, "beat_as": f"notify-{lane}-{index}"}, daemon=True)
        workers.threads.append(thread)
    if relay:
        outbox_relay = Relay(context, direct_deliveries=direct_routes(context), before_batch=codes.give_way)
        poll = context.config.relay_poll_seconds
        workers.threads.append(threading.Thread(target=outbox_relay.run, args=(stop, poll), name="notify-relay",
                                                daemon=True))
    for thread in workers.threads:
        thread.start()
    return workers
