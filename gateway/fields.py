"""Fields of request messages as the transcoder and the OpenAPI document see them, and their proto3 JSON values.

A field is named by its proto name or its lowerCamelCase JSON name; a dotted path
(``filter.size.width``) walks singular message fields. Query and path values are text,
turned into the JSON value protobuf's own parser takes, so a bad one is refused naming it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from google.protobuf import descriptor, json_format, message_factory
from google.protobuf.descriptor import FieldDescriptor

HTTP_BODY = "google.api.HttpBody"
# A multipart file part named after a field of this type fills all of it: the part's own filename and
# Content-Type beside its bytes (a plain ``bytes`` field gets the bytes only).
FILE_UPLOAD = "tongban.common.v1.FileUpload"

# Well-known messages whose proto3 JSON form is a single string or scalar, so they may be
# given as one query parameter or path variable.
SCALAR_MESSAGES = frozenset({
    "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask",
    "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
    "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
    "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue",
})

def find_field(message_descriptor: descriptor.Descriptor, name: str) -> FieldDescriptor | None:
    """A field by its proto name or its lowerCamelCase JSON name."""
    found = message_descriptor.fields_by_name.get(name)
    if found is not None:
        return found
    for candidate in message_descriptor.fields:
        if candidate.json_name == name:
            return candidate
    return None


def resolve_field_path(message_descriptor: descriptor.Descriptor,
                       dotted: str) -> list[FieldDescriptor] | None:
    """The fields along ``a.b.c``; every step but the last must be a singular message field."""
    fields: list[FieldDescriptor] = []
    current = message_descriptor
    names = dotted.split(".")
    for index, name in enumerate(names):
        if current is None:
            return None
        found = find_field(current, name)
        if found is None:
            return None
        if index < len(names) - 1:
            if found.type != FieldDescriptor.TYPE_MESSAGE or is_repeated(found) or is_map(found):
                return None
            current = found.message_type
        fields.append(found)
    return fields


def is_repeated(f: FieldDescriptor) -> bool:
    return f.is_repeated if hasattr(f, "is_repeated") else f.label == FieldDescriptor.LABEL_REPEATED


def is_map(f: FieldDescriptor) -> bool:
    return f.type == FieldDescriptor.TYPE_MESSAGE and f.message_type.GetOptions().map_entry


def is_scalar_like(f: FieldDescriptor) -> bool:
    """Whether the field's JSON value can be written as one query parameter value."""
    if is_map(f):
        return False
    if f.type == FieldDescriptor.TYPE_MESSAGE:
        return f.message_type.full_name in SCALAR_MESSAGES
    return True


_INTEGER_TYPES = frozenset({
    FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_SFIXED64, FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_FIXED64,
})
_BOOLS = {"true": True, "false": False, "1": True, "0": False}


def json_value_from_text(f: FieldDescriptor, text: str) -> Any:
    """A query/path string as the proto3 JSON value of one (element of a) field."""
    kind = f.type
    if kind == FieldDescriptor.TYPE_MESSAGE:
        name = f.message_type.full_name
        if name == "google.protobuf.BoolValue":
            return _BOOLS.get(text.lower(), text)
        if name in ("google.protobuf.Int32Value", "google.protobuf.UInt32Value"):
            return _int_or_text(text)
        return text
    if kind == FieldDescriptor.TYPE_BOOL:
        return _BOOLS.get(text.lower(), text)
    if kind == FieldDescriptor.TYPE_ENUM:
        return _int_or_text(text)
    if kind in _INTEGER_TYPES:
        return _int_or_text(text)
    return text


def _int_or_text(text: str) -> Any:
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def set_json_path(target: dict[str, Any], fields: Sequence[FieldDescriptor], value: Any, *,
                   append: bool = False) -> None:
    """Put ``value`` at the field path in a proto3 JSON dict, reusing whichever key spelling is there."""
    node = target
    for f in fields[:-1]:
        key = f.name if f.name in node and f.json_name not in node else f.json_name
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    last = fields[-1]
    if last.name in node and last.json_name != last.name:
        node.pop(last.name)
    if append:
        existing = node.get(last.json_name)
        if not isinstance(existing, list):
            existing = []
            node[last.json_name] = existing
        existing.append(value)
    else:
        node[last.json_name] = value


def is_file_field(f: FieldDescriptor) -> bool:
    """Whether a multipart file part may fill the field: ``bytes`` or a ``FileUpload`` message."""
    if f.type == FieldDescriptor.TYPE_BYTES:
        return True
    return f.type == FieldDescriptor.TYPE_MESSAGE and f.message_type.full_name == FILE_UPLOAD



def check_value(f: FieldDescriptor, value: Any) -> str | None:
    """Parse one value with protobuf's own rules, so the error names the parameter."""
    if f.type == FieldDescriptor.TYPE_ENUM and not declared(f.enum_type, value):
        names = "、".join(v.name for v in f.enum_type.values if v.number != 0)
        return f"取值 {_shown(value)} 无效，可选：{names}"[:300]
    holder = message_factory.GetMessageClass(f.containing_type)()
    try:
        json_format.ParseDict({f.json_name: [value] if is_repeated(f) else value}, holder)
    except json_format.ParseError:
        if f.type == FieldDescriptor.TYPE_ENUM:
            names = "、".join(v.name for v in f.enum_type.values if v.number != 0)
            return f"取值 {_shown(value)} 无效，可选：{names}"[:300]
        return f"取值 {_shown(value)} 无效（应为{describe_type(f)}）"
    return None


def declared(enum_type: descriptor.EnumDescriptor, value: Any) -> bool:
    """Whether an enum is given one of its names or declared numbers (proto3 JSON; a boolean is neither)."""
    if isinstance(value, str):
        # Names are identifiers; anything else never reaches protobuf's lookup, which stops at a NUL
        # ("RED\u0000" is RED) and fails on a lone surrogate.
        return value.isascii() and value.isidentifier() and value in enum_type.values_by_name
    return isinstance(value, int) and not isinstance(value, bool) and value in enum_type.values_by_number


def _shown(value: Any) -> str:
    """The value as an error quotes it: short, so a huge one is not sent back."""
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:39] + "…"


def describe_type(f: FieldDescriptor) -> str:
    if f.type == FieldDescriptor.TYPE_MESSAGE:
        name = f.message_type.full_name
        if name == "google.protobuf.Timestamp":
            return " RFC 3339 时间，如 2026-01-02T03:04:05Z"
        if name == "google.protobuf.Duration":
            return "时长，如 1.5s"
        return f" {name}"
    if f.type == FieldDescriptor.TYPE_BOOL:
        return " true 或 false"
    if f.type in _INTEGER_TYPES:
        return "整数"
    if f.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return "数字"
    if f.type == FieldDescriptor.TYPE_BYTES:
        return " base64 编码"
    return "字符串"


def collect_leaves(message_descriptor: descriptor.Descriptor, prefix: list[FieldDescriptor], bound: set[str],
                    excluded_top: set[str], out: list, seen: tuple[str, ...]) -> None:
    for f in message_descriptor.fields:
        if not prefix and f.name in excluded_top:
            continue
        path = [*prefix, f]
        proto_path = ".".join(x.name for x in path)
        if proto_path in bound:
            continue
        if is_scalar_like(f):
            out.append((".".join(x.json_name for x in path), path))
        elif (f.type == FieldDescriptor.TYPE_MESSAGE and not is_repeated(f)
              and f.message_type.full_name not in seen and len(path) < 6):
            # Recursive messages stop at their first repetition: a query string cannot nest forever.
            collect_leaves(f.message_type, path, bound, excluded_top, out,
                            (*seen, message_descriptor.full_name))


def proto_path(message_descriptor: descriptor.Descriptor, dotted: str) -> str:
    fields = resolve_field_path(message_descriptor, dotted)
    return ".".join(f.name for f in fields) if fields else dotted
