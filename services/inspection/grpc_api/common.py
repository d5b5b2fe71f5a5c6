"""What every servicer shares: its context, the 201 of a create, and a partial update's given fields."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from services.chassis import wire
from services.chassis.errors import InvalidArgument
from services.chassis.http_metadata import set_http_status
from services.inspection.config import InspectionContext

CREATED = 201
T = TypeVar("T")


class Servicer:
    def __init__(self, context: InspectionContext):
        self._context = context


def created(context: grpc.ServicerContext, message: Message) -> Message:
    """A create answers 201 with the created resource."""
    set_http_status(context, CREATED)
    return message


def given(request: Message, names: Iterable[str]) -> dict[str, str]:
    """The ``optional`` fields a partial update carries, by name."""
    return {name: getattr(request, name) for name in names if request.HasField(name)}


def every(request: Message, names: Iterable[str]) -> dict[str, str]:
    return {name: getattr(request, name) for name in names}


def plain(cls: type[T], request: Message, **overrides: Any) -> T:
    """A use case's input dataclass filled from the request fields of the same names."""
    names = [f.name for f in dataclasses.fields(cls) if f.name not in overrides]  # type: ignore[arg-type]
    return cls(**wire.fields_of(request, names), **overrides)


def enum_of(enum: Any, value: int, field: str) -> str:
    """An enum's name ("" when not given); a number the enum lacks (possible over gRPC) is a 400 naming ``field``."""
    try:
        return wire.enum_name(enum, value)
    except ValueError:
        raise InvalidArgument.for_field(field, "取值无效") from None
