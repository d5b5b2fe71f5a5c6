"""Messages a service publishes: domain events and notification requests.

A use case records them on its unit of work; they are written to the outbox in the
same transaction as the state change and relayed to RabbitMQ afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

EVENTS_EXCHANGE = "tongban.events"
NOTIFY_EXCHANGE = "tongban.notify"
NOTIFY_ROUTING_KEY = "notify.request"
# Verification codes travel on their own routing key and queue so a broadcast never delays a login.
NOTIFY_HIGH_ROUTING_KEY = "notify.request.high"

CHANNELS = ("IN_SITE", "SMS", "EMAIL")


@dataclass(frozen=True)
class InboundMessage:
    """A message as a consumer receives it, from the broker or handed over directly by a relay."""

    message_id: str
    routing_key: str
    exchange: str
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    redelivered: bool = False


@dataclass(frozen=True)
class OutboundMessage:
    exchange: str
    routing_key: str
    payload: Mapping[str, Any]
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # AMQP priority 0-9; HIGH notification requests use 9.
    priority: int = 0


def domain_event(name: str, payload: Mapping[str, Any]) -> OutboundMessage:
    """An event such as ``identity.account.deleted``; its name is the routing key."""
    return OutboundMessage(EVENTS_EXCHANGE, name, dict(payload))


def account_recipient(account_id: str) -> dict[str, str]:
    return {"accountId": account_id}


def organization_recipient(organization_id: str, scope: str | None = None) -> dict[str, str]:
    return {"organizationId": organization_id, "scope": scope} if scope else {"organizationId": organization_id}


def agency_recipient(agency: str) -> dict[str, str]:
    """The active staff of an agency (``LOCAL_AUTHORITY:110000``, ``RE_OPERATOR``), resolved by identity."""
    return {"agency": agency}


def phone_recipient(phone: str) -> dict[str, str]:
    return {"phone": phone}


def email_recipient(email: str) -> dict[str, str]:
    return {"email": email}


def notification_request(
    *,
    system: str,
    category: str,
    template: str,
    recipients: Iterable[Mapping[str, str]],
    channels: Iterable[str],
    params: Mapping[str, Any] | None = None,
    high_priority: bool = False,
    mandatory: bool = False,
) -> OutboundMessage:
    """A request to notify, in the shape notify consumes (the proto3 JSON of NotificationRequest)."""
    channel_list = list(channels)
    unknown = [c for c in channel_list if c not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown notification channels: {unknown}")
    message_id = uuid.uuid4().hex
    payload = {
        "messageId": message_id,
        "system": system,
        "category": category,
        "template": template,
        "params": {key: str(value) for key, value in (params or {}).items()},
        "priority": "HIGH" if high_priority else "NORMAL",
        "recipients": [dict(r) for r in recipients],
        "channels": channel_list,
        "mandatory": mandatory,
    }
    return OutboundMessage(
        NOTIFY_EXCHANGE,
        NOTIFY_HIGH_ROUTING_KEY if high_priority else NOTIFY_ROUTING_KEY,
        payload,
        message_id=message_id,
        priority=9 if high_priority else 0,
    )
