"""Conversions at the gRPC boundary, written once: protos carry them, use cases and views never reimplement them.

- timestamps: aware UTC datetimes in, ``google.protobuf.Timestamp`` out;
- decimals: quantities, prices and money travel as decimal strings (``"12.500"``), never doubles;
- optional fields: ``None`` when a proto3 ``optional`` field is absent;
- enums: their names, with ``*_UNSPECIFIED`` read as "" (not given);
- requests: a use case's keyword-only parameters filled from the request fields of those names;
- pages: a use case's :class:`~services.chassis.paging.Page` as ``next_page_token`` and ``total_size``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from services.chassis.db import aware
from services.chassis.errors import InvalidArgument
from services.chassis.paging import Page

# A decimal on the wire: digits with an optional sign and fraction; no exponent, no spaces.
MAX_DECIMAL_DIGITS = 30


def timestamp(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(aware(moment))
    return stamp


def moment(message: Any, field: str) -> datetime | None:
    """The aware UTC datetime of a Timestamp field, or None when it is not set."""
    if not message.HasField(field):
        return None
    return getattr(message, field).ToDatetime(tzinfo=UTC)


def optional(message: Any, field: str) -> Any:
    """The value of a proto3 ``optional`` (or message) field, or None when it is absent."""
    return getattr(message, field) if message.HasField(field) else None


def decimal_text(value: Decimal | int | None) -> str:
    """A decimal as it travels: plain notation (``"1200"``, ``"0.35"``), "" for none."""
    if value is None:
        return ""
    return format(Decimal(value), "f")


def decimal_value(text: str, field: str, *, required: bool = True, minimum: Decimal | None = None,
                  places: int | None = None, label: str = "数值") -> Decimal | None:
    """Parse a decimal string from a request; an invalid one is a 400 naming ``field`` (its JSON path)."""
    text = (text or "").strip()
    if not text:
        if required:
            raise InvalidArgument.for_field(field, f"请填写{label}")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidArgument.for_field(field, f"{label}须为十进制数字，如 12.5") from None
    if not value.is_finite() or "e" in text.lower() or len(text) > MAX_DECIMAL_DIGITS:
        raise InvalidArgument.for_field(field, f"{label}须为十进制数字，如 12.5")
    if minimum is not None and value < minimum:
        raise InvalidArgument.for_field(field, f"{label}不能小于 {decimal_text(minimum)}")
    if places is not None and -value.as_tuple().exponent > places:  # type: ignore[operator]
        raise InvalidArgument.for_field(field, f"{label}最多保留 {places} 位小数")
    return value


def enum_name(enum: Any, value: int) -> str:
    """An enum's name; "" for its zero (``*_UNSPECIFIED``) value, which means "not given"."""
    return enum.Name(value) if value else ""


def enum_value(enum: Any, name: str | None) -> int:
    return enum.Value(name) if name else 0


def page_fields(page: Page[Any]) -> dict[str, Any]:
    """A list response's ``next_page_token`` and ``total_size``: ``pb.ListXResponse(xs=..., **page_fields(page))``."""
    return {"next_page_token": page.next_page_token, "total_size": page.total_size}


def fields_of(message: Message, names: Iterable[str]) -> dict[str, Any]:
    """The request's fields of these names, repeated ones as tuples: keyword arguments for a use case."""
    values = {name: getattr(message, name) for name in names}
    return {name: tuple(value) if isinstance(value, Sequence) and not isinstance(value, str) else value
            for name, value in values.items()}


def arguments(message: Message, use_case: Callable[..., Any]) -> dict[str, Any]:
    """The use case's keyword-only parameters, filled from the request fields of the same names."""
    return fields_of(message, [parameter.name for parameter in inspect.signature(use_case).parameters.values()
                               if parameter.kind is parameter.KEYWORD_ONLY])
