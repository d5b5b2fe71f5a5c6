"""Notify's own message routes and the messages that travel on them (no broker I/O here).

Everything notify sends itself goes through its outbox to the direct exchange
``tongban.notify.internal``, so it is written in the same transaction as the state it
follows from and the relay batches its confirms:

- ``notify.delivery`` / ``notify.delivery.high`` -> ``notify.deliveries`` / ``notify.deliveries.high``:
  a batch of deliveries to send (one message for up to ``TASK_BATCH`` deliveries).
- ``notify.delivery[.high].retry.<ms>ms`` -> ``notify.deliveries[.high].delay.<ms>ms``, a delay queue of
  that TTL that dead-letters back to its work queue, so back-off needs no timer of ours.
- ``notify.delivery.parked`` -> ``notify.deliveries.parking``: a delivery that failed for good.
- ``notify.announcement.fanout`` -> ``notify.announcements``: one page of an announcement's audience.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.chassis.messages import OutboundMessage
from services.chassis.topology import NOTIFY_HIGH_QUEUE, NOTIFY_QUEUE

INTERNAL_EXCHANGE = "tongban.notify.internal"
# One consumer name for every notify queue and the direct gRPC entry: a message id is handled once.
CONSUMER = "notify"

REQUESTS = NOTIFY_QUEUE
REQUESTS_HIGH = NOTIFY_HIGH_QUEUE
DELIVERIES = "notify.deliveries"
DELIVERIES_HIGH = "notify.deliveries.high"
ANNOUNCEMENTS = "notify.announcements"

DELIVERY_KEY = "notify.delivery"
DELIVERY_HIGH_KEY = "notify.delivery.high"
PARKED_KEY = "notify.delivery.parked"
FANOUT_KEY = "notify.announcement.fanout"

TASK_BATCH = 100



def delivery_queue(priority: str) -> str:
    return DELIVERIES_HIGH if priority == "HIGH" else DELIVERIES


def delivery_key(priority: str) -> str:
    return DELIVERY_HIGH_KEY if priority == "HIGH" else DELIVERY_KEY


def retry_queue(work_queue: str, delay_seconds: float) -> str:
    # ".delay." rather than the earlier ".retry." queues, which dead-lettered through the default exchange:
    # a queue cannot be declared again with other arguments.
    return f"{work_queue}.delay.{round(delay_seconds * 1000)}ms"


def retry_key(priority: str, delay_seconds: float) -> str:
    return f"{delivery_key(priority)}.retry.{round(delay_seconds * 1000)}ms"


@dataclass(frozen=True)
class DeliveryTask:
    """Ask to send one delivery; ``attempt`` is how many attempts it had when asked, so a stale ask is dropped."""

    delivery_id: str
    attempt: int
    priority: str = "NORMAL"

    def payload(self) -> dict:
        return {"deliveryId": self.delivery_id, "attempt": self.attempt, "priority": self.priority}

    @classmethod
    def from_payload(cls, payload: dict) -> DeliveryTask:
        return cls(str(payload["deliveryId"]), int(payload.get("attempt", 0)), payload.get("priority") or "NORMAL")


def task_messages(tasks: Iterable[DeliveryTask], routing_key: str | None = None) -> list[OutboundMessage]:
    """Delivery tasks grouped by priority into messages of up to ``TASK_BATCH`` deliveries each."""
    by_priority: dict[str, list[DeliveryTask]] = {}
    for task in tasks:
        by_priority.setdefault(task.priority, []).append(task)
    messages = []
    for priority, group in by_priority.items():
        key = routing_key or delivery_key(priority)
        for start in range(0, len(group), TASK_BATCH):
            chunk = group[start:start + TASK_BATCH]
            payload = {"priority": priority, "deliveries": [t.payload() for t in chunk]}
            messages.append(OutboundMessage(INTERNAL_EXCHANGE, key, payload, priority=9 if priority == "HIGH" else 0))
    return messages


def tasks_of(payload: dict) -> list[DeliveryTask]:
    priority = payload.get("priority") or "NORMAL"
    return [DeliveryTask.from_payload({"priority": priority, **item}) for item in payload["deliveries"]]


def retry_message(tasks: Sequence[DeliveryTask], delay_seconds: float) -> list[OutboundMessage]:
    return task_messages(tasks, retry_key(tasks[0].priority, delay_seconds)) if tasks else []


def parked_message(task: DeliveryTask, reason: str) -> OutboundMessage:
    return OutboundMessage(INTERNAL_EXCHANGE, PARKED_KEY, {**task.payload(), "reason": reason})


def fanout_message(announcement_id: str) -> OutboundMessage:
    return OutboundMessage(INTERNAL_EXCHANGE, FANOUT_KEY, {"announcementId": announcement_id})
