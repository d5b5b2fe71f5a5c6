"""Strings no request may carry: NUL and the other control characters, refused before a use case runs.

PostgreSQL cannot store NUL in a text column, and no field of the platform takes a control character;
line breaks and tabs are left to each field's own rule (a free-text field may allow them, a name may
not). The chassis interceptor asks :func:`control_character_refusal` of every request, so in every
service a bad string is a 400 naming its JSON path (``goods[1].name``), never a 500 from the database.
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from services.chassis.errors import FieldViolation, InvalidArgument

# C0 controls but tab, line feed and carriage return; DEL; the C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MESSAGE = "请求含有不允许的控制字符"


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


def control_character_refusal(message: Message) -> InvalidArgument | None:
    """The 400 for ``message`` when any of its strings holds a control character, else None."""
    if not isinstance(message, Message):  # a raw-bytes handler: nothing decoded to check
        return None
    violations = control_character_violations(message)
    return InvalidArgument(MESSAGE, violations, reason="CONTROL_CHARACTERS") if violations else None
