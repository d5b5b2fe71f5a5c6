"""Conversions every resource's view uses: dates, decimals in requests, history steps."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from protos.common.v1 import common_pb2
from services.chassis import wire
from services.chassis.errors import InvalidArgument
from services.origin_cert.models import RecordStep


def day_text(day: date | None) -> str:
    return day.isoformat() if day else ""


def day_value(text: str, field: str) -> date | None:
    """A yyyy-mm-dd request field; a bad one is a 400 naming it."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument.for_field(field, "日期格式须为 yyyy-mm-dd，如 2026-03-18") from None


def amount(text: str, field: str, label: str) -> Decimal | None:
    """An optional decimal request field (its rules of range and places are the use case's)."""
    return wire.decimal_value(text, field, required=False, label=label)


def decimal_text(value: Decimal | None) -> str:
    return wire.decimal_text(value)


def plain(value: Decimal | None) -> str:
    """A stored decimal without its padding: ``18400.0000`` -> ``18400``, ``1250.5000`` -> ``1250.5``."""
    return wire.decimal_text(value.normalize()) if value is not None else ""


def history_pb(steps: Iterable[RecordStep]) -> list[common_pb2.AuditEntry]:
    return [common_pb2.AuditEntry(actor_id=s.actor_id, actor_name=s.actor_name, action=s.action,
                                  from_state=s.from_state, to_state=s.to_state, note=s.note,
                                  at=wire.timestamp(s.at)) for s in steps]
