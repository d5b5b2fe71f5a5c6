"""What a request may carry, refused before a use case runs: the platform's one input policy.

Every string is free of NUL and the other control characters (PostgreSQL cannot store NUL in a
text column, and no field of the platform takes one; line breaks and tabs are left to each field's
own rule, a free-text field may allow them, a name may not). On the methods the gateway routes
(the surface other systems reach too) a string is also at most :data:`MAX_TEXT` characters, a
repeated field or map at most :data:`MAX_ITEMS` entries, and an enum one of its declared values,
unless :data:`LONGER_TEXT` or :data:`MORE_ITEMS` names the field with a larger bound. Bytes are not
text (attachments are bounded by the message size). gRPC-only methods are called by services inside
the cluster with lists of any size (recipients of a broadcast), so they keep the control-character
rule alone.

The chassis interceptor asks :func:`request_refusal` of every request, so in every service a bad
value is a 400 naming its JSON path (``goods[1].name``), never a 500 from the database or from an
enum number no code knows. The gateway applies the same rules, with these constants, to the JSON it
parses (gateway/input_policy.py).
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from services.chassis.errors import FieldViolation, InvalidArgument

# C0 controls but tab, line feed and carriage return; DEL; the C1 controls. The gateway adds the
# lone surrogates, which JSON's \ud800 escapes can make and no protobuf string can hold.
CONTROL_PATTERN = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{CONTROL_PATTERN}]")
MESSAGE = "请求含有不允许的控制字符"
POLICY_MESSAGE = "请求参数有误"

MAX_TEXT = 4000
MAX_ITEMS = 1000
# Fields (full names) whose own rule allows longer text than MAX_TEXT: free-text bodies.
LONGER_TEXT: dict[str, int] = {
    "tongban.notify.v1.CreateAnnouncementRequest.body": 20000,
    "tongban.notify.v1.CreateNoticeRequest.body": 20000,
    "tongban.notify.v1.UpdateTemplateRequest.email_body": 20000,
    "tongban.notify.v1.UpdateTemplateRequest.inbox_body": 20000,
}
# Repeated fields (full names) that take more entries than MAX_ITEMS.
MORE_ITEMS: dict[str, int] = {
    "tongban.origin_cert.v1.CreateTariffVersionRequest.correlations": 20000,
}


def text_limit(field: FieldDescriptor) -> int:
    return LONGER_TEXT.get(field.full_name, MAX_TEXT)


def items_limit(field: FieldDescriptor) -> int:
    return MORE_ITEMS.get(field.full_name, MAX_ITEMS)


def control_message(path: str) -> str:
    return f"{path}含有不允许的控制字符"


def too_long_message(path: str, limit: int) -> str:
    return f"{path}不能超过{limit}个字符"


def too_many_message(path: str, limit: int) -> str:
    return f"{path}最多{limit}项"


def enum_message(path: str, field: FieldDescriptor) -> str:
    names = "、".join(v.name for v in field.enum_type.values if v.number != 0)
    return f"{path}取值无效，可选：{names}"[:300]


def control_character_violations(message: Message, prefix: str = "") -> list[FieldViolation]:
    """Every string field of ``message`` (nested, repeated and map values too) holding a control character."""
    return _walk(message, prefix, False)


def request_violations(message: Message, prefix: str = "") -> list[FieldViolation]:
    """Every value of ``message`` the policy refuses: control characters, overlong text, too many items,
    enum numbers not declared."""
    return _walk(message, prefix, True)


def _walk(message: Message, prefix: str, bounded: bool) -> list[FieldViolation]:
    found: list[FieldViolation] = []
    for field, value in message.ListFields():
        path = prefix + field.json_name
        kind = field.type
        if field.is_repeated and bounded and len(value) > items_limit(field):
            found.append(FieldViolation(path, too_many_message(path, items_limit(field))))
            continue
        if kind == FieldDescriptor.TYPE_STRING:
            if field.is_repeated:
                for i, text in enumerate(value):
                    _text(found, f"{path}[{i}]", text, field, bounded)
            else:
                _text(found, path, value, field, bounded)
        elif kind == FieldDescriptor.TYPE_MESSAGE:
            found += _nested(field, value, path, bounded)
        elif kind == FieldDescriptor.TYPE_ENUM and bounded:
            known = field.enum_type.values_by_number
            if field.is_repeated:
                found += [FieldViolation(f"{path}[{i}]", enum_message(f"{path}[{i}]", field))
                          for i, number in enumerate(value) if number not in known]
            elif value not in known:
                found.append(FieldViolation(path, enum_message(path, field)))
    return found


def _text(found: list[FieldViolation], path: str, text: str, field: FieldDescriptor, bounded: bool) -> None:
    if _CONTROL.search(text):
        found.append(FieldViolation(path, control_message(path)))
    elif bounded and len(text) > text_limit(field):
        found.append(FieldViolation(path, too_long_message(path, text_limit(field))))


def _nested(field: FieldDescriptor, value: Any, path: str, bounded: bool) -> list[FieldViolation]:
    if field.message_type.GetOptions().map_entry:
        value_field = field.message_type.fields_by_name["value"]
        found: list[FieldViolation] = []
        for key, item in value.items():
            at = f"{path}.{key}"
            if isinstance(key, str) and _CONTROL.search(key):
                found.append(FieldViolation(path, control_message(path)))
            elif isinstance(item, str):
                _text(found, at, item, value_field, bounded)
            elif isinstance(item, Message):
                found += _walk(item, at + ".", bounded)
        return found
    if field.is_repeated:
        return [v for i, item in enumerate(value) for v in _walk(item, f"{path}[{i}].", bounded)]
    return _walk(value, path + ".", bounded)


def control_character_refusal(message: Message) -> InvalidArgument | None:
    """The 400 for ``message`` when any of its strings holds a control character, else None."""
    return request_refusal(message, bounded=False)


def request_refusal(message: Message, *, bounded: bool = True) -> InvalidArgument | None:
    """The 400 for ``message`` when the policy refuses any of its values (``bounded`` False: control
    characters alone), else None."""
    if not isinstance(message, Message):  # a raw-bytes handler: nothing decoded to check
        return None
    violations = _walk(message, "", bounded)
    if not violations:
        return None
    if all(v.description.endswith("含有不允许的控制字符") for v in violations):
        return InvalidArgument(MESSAGE, violations, reason="CONTROL_CHARACTERS")
    return InvalidArgument(POLICY_MESSAGE, violations, reason="REQUEST_POLICY")
