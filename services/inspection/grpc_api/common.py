"""What every servicer shares: its context, the 201 of a create, and a partial update's given fields."""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from google.protobuf.message import Message

from services.chassis.http_metadata import set_http_status
from services.inspection.config import InspectionContext

CREATED = 201


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
