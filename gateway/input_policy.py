"""The platform's input policy (services/chassis/request_text.py) applied to the JSON a request brings.

One walk over the decoded document, guided by the request message's descriptor, before protobuf's
own parser fills the message: every string valid Unicode (JSON's ``\\ud800`` escapes make lone
surrogates, which no protobuf string can hold) without control characters, at most its field's
length; every list and map at most its field's entries; nesting at most :data:`MAX_DEPTH` deep;
an enum given by one of its names or declared numbers, never a boolean (Python's ``True`` is 1, so
protobuf's parser takes ``true`` for the enum's value 1). Each refusal names the field's JSON path
and never repeats the value. The service's chassis checks the decoded message again (a gRPC caller
reaches it without the gateway); this walk is what turns JSON no message can hold into a 400.
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import descriptor
from google.protobuf.descriptor import FieldDescriptor

from gateway.fields import declared, describe_type, find_field
from services.chassis.errors import shorten
from services.chassis.request_text import (
    CONTROL_PATTERN,
    MAX_ITEMS,
    MAX_TEXT,
    control_message,
    enum_message,
    items_limit,
    text_limit,
    too_long_message,
    too_many_message,
)

# Deeper than any request message nests: Struct and Value are the only recursive fields.
MAX_DEPTH = 32
# A document with more bad values than this is refused without looking further.
MAX_FOUND = 200
_BAD_TEXT = re.compile(f"[{CONTROL_PATTERN}\ud800-\udfff]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_STRING_MESSAGES = frozenset({"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"})
_FREE_FORM = frozenset({"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue",
                        "google.protobuf.Any"})
_WRAPPERS = frozenset({
    "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
    "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
    "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue",
})

Violation = tuple[str, str]
# Per message type: JSON key (json name and proto name) -> field; made once.
_keys: dict[str, dict[str, FieldDescriptor]] = {}


def readable(text: str, limit: int = 200) -> str:
    """``text`` safe to answer with: lone surrogates replaced, cut to ``limit`` characters."""
    return shorten(_SURROGATES.sub("\ufffd", text), limit)


def depth_message(path: str) -> str:
    return f"{path or '请求体'}嵌套超过{MAX_DEPTH}层"


def payload_violations(message_type: descriptor.Descriptor, payload: dict[str, Any]) -> list[Violation]:
    """What the policy refuses in a proto3 JSON ``payload`` for ``message_type``, by JSON path."""
    found: list[Violation] = []
    _message(message_type, payload, "", 1, found)
    return found


def variable_violations(variables: dict[str, str]) -> list[Violation]:
    """The path variables the policy refuses (the GET-by-id path fills its message without the walk)."""
    found: list[Violation] = []
    for name, value in variables.items():
        _text(value, name, MAX_TEXT, found)
    return found


def _fields_of(message_type: descriptor.Descriptor) -> dict[str, FieldDescriptor]:
    keys = _keys.get(message_type.full_name)
    if keys is None:
        keys = {f.name: f for f in message_type.fields}
        keys.update({f.json_name: f for f in message_type.fields})
        _keys[message_type.full_name] = keys
    return keys


def _message(message_type: descriptor.Descriptor, document: Any, path: str, depth: int,
             found: list[Violation]) -> None:
    if not isinstance(document, dict):
        return  # protobuf's parser refuses it, naming the field
    if depth > MAX_DEPTH:
        found.append((path, depth_message(path)))
        return
    fields = _fields_of(message_type)
    prefix = f"{path}." if path else ""
    for key, value in document.items():
        if len(found) >= MAX_FOUND:
            return
        field = fields.get(key)
        if field is None or value is None:
            if isinstance(key, str) and _BAD_TEXT.search(key):
                found.append((prefix + readable(key), control_message("字段名")))
            continue  # an unknown field is protobuf's parser's to refuse; null is the default
        at = prefix + field.json_name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            _map(field, value, at, depth, found)
        elif field.is_repeated:
            if not isinstance(value, list):
                continue
            if len(value) > items_limit(field):
                found.append((at, too_many_message(at, items_limit(field))))
                continue
            for index, item in enumerate(value):
                _single(field, item, f"{at}[{index}]", depth + 1, found)
        else:
            _single(field, value, at, depth, found)


def _map(field: FieldDescriptor, value: Any, at: str, depth: int, found: list[Violation]) -> None:
    if not isinstance(value, dict):
        return
    if len(value) > items_limit(field):
        found.append((at, too_many_message(at, items_limit(field))))
        return
    value_field = field.message_type.fields_by_name["value"]
    for key, item in value.items():
        if _BAD_TEXT.search(key) or len(key) > MAX_TEXT:
            found.append((at, control_message(at) if _BAD_TEXT.search(key) else too_long_message(at, MAX_TEXT)))
        elif item is not None:
            _single(value_field, item, f"{at}.{key}", depth + 1, found)


def _single(field: FieldDescriptor, value: Any, at: str, depth: int, found: list[Violation]) -> None:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        if isinstance(value, str):
            _text(value, at, text_limit(field), found)
    elif kind == FieldDescriptor.TYPE_ENUM:
        _enum(field, value, at, found)
    elif kind == FieldDescriptor.TYPE_MESSAGE:
        name = field.message_type.full_name
        if name in _STRING_MESSAGES:
            if isinstance(value, str):
                _text(value, at, 100, found)
        elif name in _WRAPPERS:
            _single(field.message_type.fields_by_name["value"], value, at, depth, found)
        elif name in _FREE_FORM:
            _free_form(value, at, depth + 1, found)
        else:
            _message(field.message_type, value, at, depth + 1, found)
    elif kind != FieldDescriptor.TYPE_BYTES and isinstance(value, str) and len(value) > 100:
        # A number or boolean as text: no valid one is this long, and the parser's error would repeat it.
        found.append((at, f"{at}取值无效"))


def _text(value: str, at: str, limit: int, found: list[Violation]) -> None:
    if _BAD_TEXT.search(value):
        found.append((at, control_message(at)))
    elif len(value) > limit:
        found.append((at, too_long_message(at, limit)))


def _enum(field: FieldDescriptor, value: Any, at: str, found: list[Violation]) -> None:
    if not declared(field.enum_type, value):
        found.append((at, enum_message(at, field)))


def _free_form(value: Any, at: str, depth: int, found: list[Violation]) -> None:
    """A Struct, Value, ListValue or Any: any JSON, its text and nesting held to the same bounds."""
    if depth > MAX_DEPTH:
        found.append((at, depth_message(at)))
    elif isinstance(value, str):
        _text(value, at, MAX_TEXT, found)
    elif isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            found.append((at, too_many_message(at, MAX_ITEMS)))
            return
        for key, item in value.items():
            if _BAD_TEXT.search(key):
                found.append((at, control_message(at)))
            else:
                _free_form(item, f"{at}.{key}", depth + 1, found)
    elif isinstance(value, list):
        if len(value) > MAX_ITEMS:
            found.append((at, too_many_message(at, MAX_ITEMS)))
            return
        for index, item in enumerate(value):
            _free_form(item, f"{at}[{index}]", depth + 1, found)


_UNKNOWN = re.compile(r'has no field named "(.*?)" at "(.*?)"', re.S)
_STEP = re.compile(r"Failed to parse (\S+) field")


def parse_error_violation(message_type: descriptor.Descriptor, error: Exception) -> Violation:
    """The field protobuf's parser refused, from its error's text, and a description that repeats no value."""
    text = str(error)
    unknown = _UNKNOWN.search(text)
    if unknown:
        where = [step for step in unknown.group(2).split(".")[1:] if step]
        path = ".".join([*where, readable(unknown.group(1), 100)])
        return path, f"未知字段：{path}"
    steps = [step for step in _STEP.findall(text) if not step.isdigit()]
    path = readable(".".join(steps), 200)
    current: descriptor.Descriptor | None = message_type
    field = None
    for step in steps:
        field = find_field(current, step) if current is not None else None
        if field is None:
            break
        current = field.message_type
    if field is None:
        return path, f"{path or '请求体'}取值无效"
    return path, f"{path}取值无效（应为{describe_type(field)}）"
