"""Strings no request may carry: NUL and the other control characters, refused before a use case runs.

PostgreSQL cannot store NUL in a text column, and no field of the platform takes a control character;
line breaks and tabs are left to each field's own rule (a free-text field may allow them, a name may
not). ``checked_requests(ServicerClass)`` wraps every RPC the class implements so a bad string is a 400
naming its JSON path (``goods[1].name``), never a 500 from the database.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from services.chassis.errors import FieldViolation, InvalidArgument

# C0 controls but tab, line feed and carriage return; DEL; the C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MESSAGE = "请求含有不允许的控制字符"

S = TypeVar("S", bound=type)


def control_character_violations(message: Message, prefix: str = "") -> list[FieldViolation]:
    """Every string field of ``message`` (nested, repeated and map values too) holding a control character."""
    found: list[FieldViolation] = []
    for field, value in message.ListFields():
        path = prefix + field.json_name
        if field.type == FieldDescriptor.TYPE_STRING:
            values = list(value) if _repeated(field) else [value]
            found += [FieldViolation(path + (f"[{i}]" if _repeated(field) else ""), f"{path}含有不允许的控制字符")
                      for i, text in enumerate(values) if _CONTROL.search(text)]
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            found += _nested(field, value, path)
    return found


def _repeated(field: FieldDescriptor) -> bool:
    return field.is_repeated


def _nested(field: FieldDescriptor, value: Any, path: str) -> list[FieldViolation]:
    if field.message_type.GetOptions().map_entry:
        found = []
        for key, item in value.items():
            if isinstance(item, str) and _CONTROL.search(item):
                found.append(FieldViolation(f"{path}.{key}", f"{path}含有不允许的控制字符"))
            elif isinstance(item, Message):
                found += control_character_violations(item, f"{path}.{key}.")
        return found
    if _repeated(field):
        return [v for i, item in enumerate(value) for v in control_character_violations(item, f"{path}[{i}].")]
    return control_character_violations(value, path + ".")


def refuse_control_characters(message: Message) -> None:
    violations = control_character_violations(message)
    if violations:
        raise InvalidArgument(MESSAGE, violations, reason="CONTROL_CHARACTERS")


def _rpc_names(servicer_class: type) -> list[str]:
    base = next((k for k in servicer_class.__mro__
                 if k.__name__.endswith("Servicer") and k.__module__.endswith("_pb2_grpc")), None)
    if base is None:
        raise TypeError(f"{servicer_class.__name__} does not subclass a generated gRPC servicer")
    messages = importlib.import_module(base.__module__.removesuffix("_grpc"))
    service = messages.DESCRIPTOR.services_by_name[base.__name__.removesuffix("Servicer")]
    return [method.name for method in service.methods]


def _checking(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Any, request: Message, context: Any) -> Any:
        refuse_control_characters(request)
        return method(self, request, context)

    return call


def checked_requests(servicer_class: S) -> S:
    """Wrap each RPC ``servicer_class`` implements with :func:`refuse_control_characters`."""
    for name in _rpc_names(servicer_class):
        if name in vars(servicer_class):
            setattr(servicer_class, name, _checking(vars(servicer_class)[name]))
    return servicer_class
