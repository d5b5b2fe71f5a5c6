"""The RabbitMQ exchanges and well-known queues every service relies on, declared idempotently.

Relays and consumers both declare them on connect, so it does not matter which
process starts first. Declarations are idempotent as long as the arguments match,
which is why every argument lives here, in one place.

- ``tongban.events`` (topic): domain events, routing key = event name. Its alternate
  exchange ``tongban.events.unrouted`` keeps an event nobody subscribes to yet in the
  queue ``events.unrouted`` instead of returning it to a mandatory publish forever.
- ``tongban.notify`` (direct): notification requests; ``notify.requests`` and
  ``notify.requests.high`` (verification codes, never behind a broadcast).
- Parking lots: every consumer queue dead-letters to ``<queue>.parking`` (through the
  default exchange), where a message a consumer gave up on waits for a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pika.adapters.blocking_connection import BlockingChannel
from pika.exchange_type import ExchangeType

from services.chassis.messages import EVENTS_EXCHANGE, NOTIFY_EXCHANGE, NOTIFY_HIGH_ROUTING_KEY, NOTIFY_ROUTING_KEY

EVENTS_UNROUTED_EXCHANGE = "tongban.events.unrouted"
EVENTS_UNROUTED_QUEUE = "events.unrouted"
NOTIFY_QUEUE = "notify.requests"
NOTIFY_HIGH_QUEUE = "notify.requests.high"
PARKING_SUFFIX = ".parking"

# Exchanges the topology guarantees; the relay needs no existence check before publishing to them.
DECLARED_EXCHANGES = (EVENTS_EXCHANGE, EVENTS_UNROUTED_EXCHANGE, NOTIFY_EXCHANGE)


def parking_queue(queue: str) -> str:
    return f"{queue}{PARKING_SUFFIX}"


def queue_arguments(queue: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Arguments of a consumer queue: dead-letter to its parking lot, plus the consumer's own."""
    return {
        # The default exchange routes by queue name, so no parking exchange has to exist.
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": parking_queue(queue),
        **(extra or {}),
    }


def declare_exchanges(channel: BlockingChannel) -> None:
    channel.exchange_declare(EVENTS_UNROUTED_EXCHANGE, ExchangeType.fanout, durable=True)
    channel.exchange_declare(EVENTS_EXCHANGE, ExchangeType.topic, durable=True,
                             arguments={"alternate-exchange": EVENTS_UNROUTED_EXCHANGE})
    channel.exchange_declare(NOTIFY_EXCHANGE, ExchangeType.direct, durable=True)


def declare_queue(channel: BlockingChannel, queue: str, *, exchange: str | None = None,
                  routing_keys: Iterable[str] = (), arguments: Mapping[str, Any] | None = None) -> None:
    """Declare a durable consumer queue with its parking lot, bound to ``exchange`` by ``routing_keys``."""
    channel.queue_declare(parking_queue(queue), durable=True)
    channel.queue_declare(queue, durable=True, arguments=queue_arguments(queue, arguments))
    for routing_key in routing_keys:
        channel.queue_bind(queue, exchange or "", routing_key=routing_key)


def declare_topology(channel: BlockingChannel) -> None:
    """Declare the platform's exchanges and well-known queues; safe to call on every connect."""
    declare_exchanges(channel)
    channel.queue_declare(EVENTS_UNROUTED_QUEUE, durable=True)
    channel.queue_bind(EVENTS_UNROUTED_QUEUE, EVENTS_UNROUTED_EXCHANGE)
    declare_queue(channel, NOTIFY_QUEUE, exchange=NOTIFY_EXCHANGE, routing_keys=[NOTIFY_ROUTING_KEY])
    declare_queue(channel, NOTIFY_HIGH_QUEUE, exchange=NOTIFY_EXCHANGE, routing_keys=[NOTIFY_HIGH_ROUTING_KEY])
