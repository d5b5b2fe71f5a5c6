"""What notify consumes and what it sends itself (names and payloads; no broker I/O here).

It consumes **notification requests** on ``tongban.notify`` (``notify.request``, and
``notify.request.high`` for verification codes): the proto3 JSON of
``tongban.notify.v1.NotificationRequest``, as :func:`services.chassis.messages.notification_request`
writes it. :func:`notification_request_of` reads one into the domain's value.

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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.chassis.errors import InvalidArgument
from services.chassis.messages import OutboundMessage
from services.chassis.topology import NOTIFY_HIGH_QUEUE, NOTIFY_QUEUE
from services.notify.domain import HIGH, NORMAL, PRIORITIES, NotificationRequest, Recipient

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

TASK_BATCH = 250


# ---- the notification request, as consumed ----

_RECIPIENT_FIELDS = {"accountId": "account_id", "organizationId": "organization_id", "scope": "scope",
                     "phone": "phone", "email": "email", "agency": "agency"}


class _Reader:
    """Reads proto3 JSON fields (lowerCamelCase, or the proto's own names), refusing a wrong type by path."""

    def __init__(self, payload: Mapping[str, Any], path: str = ""):
        self.payload = payload
        self.path = path

    def value(self, json_name: str, proto_name: str, kind: type, default: Any) -> Any:
        value = self.payload.get(json_name, self.payload.get(proto_name, default))
        if value is None:
            return default
        # bool is an int in Python; a JSON number is not a bool, nor the reverse.
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise _malformed(f"{self.path}{json_name}", f"应为{_KIND_NAMES[kind]}")
        return value

    def text(self, json_name: str, proto_name: str = "") -> str:
        return self.value(json_name, proto_name or json_name, str, "")


_KIND_NAMES = {str: "字符串", bool: "true 或 false", list: "数组", dict: "对象"}


def _malformed(field: str, problem: str) -> InvalidArgument:
    return InvalidArgument.for_field(field, f"通知请求格式错误：{field} {problem}")


def notification_request_of(payload: Mapping[str, Any], message_id: str = "") -> NotificationRequest:
    """The request a consumed message carries; its message id falls back to the AMQP message id."""
    reader = _Reader(payload)
    params = reader.value("params", "params", dict, {})
    for key, value in params.items():
        if not isinstance(value, str):
            raise _malformed(f"params.{key}", "应为字符串")
    priority = reader.text("priority") or NORMAL
    if priority not in (*PRIORITIES, "PRIORITY_UNSPECIFIED"):
        raise _malformed("priority", f"只能是 {' 或 '.join(PRIORITIES)}")
    recipients = []
    for index, item in enumerate(reader.value("recipients", "recipients", list, [])):
        if not isinstance(item, dict):
            raise _malformed(f"recipients[{index}]", "应为对象")
        fields = _Reader(item, f"recipients[{index}].")
        recipients.append(Recipient(**{attribute: fields.text(json_name, attribute)
                                       for json_name, attribute in _RECIPIENT_FIELDS.items()}))
    channels = reader.value("channels", "channels", list, [])
    for index, channel in enumerate(channels):
        if not isinstance(channel, str):
            raise _malformed(f"channels[{index}]", "应为渠道名称（IN_SITE、SMS、EMAIL）")
    return NotificationRequest(
        message_id=reader.text("messageId", "message_id") or message_id, system=reader.text("system"),
        category=reader.text("category"), template=reader.text("template"), params=dict(params),
        priority=HIGH if priority == HIGH else NORMAL, recipients=tuple(recipients), channels=tuple(channels),
        mandatory=reader.value("mandatory", "mandatory", bool, False))


# ---- notify's own messages ----

def delivery_queue(priority: str) -> str:
    return DELIVERIES_HIGH if priority == HIGH else DELIVERIES


def delivery_key(priority: str) -> str:
    return DELIVERY_HIGH_KEY if priority == HIGH else DELIVERY_KEY


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
    priority: str = NORMAL

    def payload(self) -> dict[str, Any]:
        return {"deliveryId": self.delivery_id, "attempt": self.attempt, "priority": self.priority}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> DeliveryTask:
        return cls(str(payload["deliveryId"]), int(payload.get("attempt", 0)), payload.get("priority") or NORMAL)


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
            messages.append(OutboundMessage(INTERNAL_EXCHANGE, key, payload, priority=9 if priority == HIGH else 0))
    return messages


def tasks_of(payload: Mapping[str, Any]) -> list[DeliveryTask]:
    priority = payload.get("priority") or NORMAL
    return [DeliveryTask.from_payload({"priority": priority, **item}) for item in payload["deliveries"]]


def retry_message(tasks: Sequence[DeliveryTask], delay_seconds: float) -> list[OutboundMessage]:
    return task_messages(tasks, retry_key(tasks[0].priority, delay_seconds)) if tasks else []


def parked_message(task: DeliveryTask, reason: str) -> OutboundMessage:
    return OutboundMessage(INTERNAL_EXCHANGE, PARKED_KEY, {**task.payload(), "reason": reason})


def fanout_message(announcement_id: str) -> OutboundMessage:
    return OutboundMessage(INTERNAL_EXCHANGE, FANOUT_KEY, {"announcementId": announcement_id})
