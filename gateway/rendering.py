"""A response message as the gateway answers it: proto3 JSON with every field present.

Fields without presence appear with their value (0, "", [], {}); a message, a proto3
``optional`` scalar or a oneof member that is unset appears as null. The output is what
``json_format.MessageToDict(..., always_print_fields_with_no_presence=True)`` gives with
those nulls added, made by a plan compiled once per message type: json_format walks the
descriptors again for every message, which cost the gateway more than the rest of a call.
Well-known types other than Timestamp, Duration, FieldMask and the wrappers go to
json_format itself.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from typing import Any

from google.protobuf import descriptor, json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.internal import type_checkers
from google.protobuf.message import Message

Convert = Callable[[Any], Any]
# Per message type: (json name, proto name, has presence, convert the value or None when it is JSON already).
Plan = tuple[tuple[str, str, bool, Convert | None], ...]

_WRAPPERS = frozenset({
    "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
    "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
    "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue",
})
_TO_JSON_STRING = frozenset({"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"})
_JSON_FORMAT = frozenset({"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue",
                          "google.protobuf.Any", "google.protobuf.Empty"})
_INT64 = frozenset({FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64})

_plans: dict[str, Plan] = {}


def message_to_json(message: Message) -> Any:
    return _converter_of_message(message.DESCRIPTOR)(message)


def _float(value: float) -> Any:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "-Infinity" if value < 0 else "Infinity"
    return value


def _float32(value: float) -> Any:
    converted = _float(value)
    return type_checkers.ToShortestFloat(converted) if isinstance(converted, float) else converted


def _bytes(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _enum(enum_type: descriptor.EnumDescriptor) -> Convert:
    names = {number: value.name for number, value in enum_type.values_by_number.items()}
    if enum_type.full_name == "google.protobuf.NullValue":
        return lambda _value: None
    return lambda value: names.get(value, value)  # an unknown number of an open enum stays a number


def _scalar(f: FieldDescriptor) -> Convert | None:
    """How one value of a non-message field becomes JSON; None when it is already JSON (str, int32, bool)."""
    if f.cpp_type == FieldDescriptor.CPPTYPE_ENUM:
        return _enum(f.enum_type)
    if f.type == FieldDescriptor.TYPE_BYTES:
        return _bytes
    if f.cpp_type in _INT64:
        return str
    if f.cpp_type == FieldDescriptor.CPPTYPE_FLOAT:
        return _float32
    if f.cpp_type == FieldDescriptor.CPPTYPE_DOUBLE:
        return _float
    if f.cpp_type == FieldDescriptor.CPPTYPE_BOOL:
        return bool
    return None


def _converter_of_message(message_type: descriptor.Descriptor) -> Convert:
    name = message_type.full_name
    if name in _TO_JSON_STRING:
        return lambda message: message.ToJsonString()
    if name in _WRAPPERS:
        inner = _value_converter(message_type.fields_by_name["value"])
        return lambda message: inner(message.value)
    if name in _JSON_FORMAT:
        return lambda message: json_format.MessageToDict(message, always_print_fields_with_no_presence=True)
    return lambda message: _render(message, _plan(message_type))


def _value_converter(f: FieldDescriptor) -> Convert:
    if f.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
        # Resolved at first use: a message may contain itself.
        holder: list[Convert] = []

        def nested(message: Message) -> Any:
            if not holder:
                holder.append(_converter_of_message(f.message_type))
            return holder[0](message)

        return nested
    return _scalar(f) or (lambda value: value)


def _field_converter(f: FieldDescriptor) -> Convert | None:
    if f.message_type is not None and f.message_type.GetOptions().map_entry:
        key_field, value_field = f.message_type.fields_by_name["key"], f.message_type.fields_by_name["value"]
        convert_value = _value_converter(value_field)
        key = (lambda k: "true" if k else "false") if key_field.type == FieldDescriptor.TYPE_BOOL else str
        return lambda mapping: {key(k): convert_value(v) for k, v in mapping.items()}
    if f.is_repeated:
        if f.cpp_type != FieldDescriptor.CPPTYPE_MESSAGE and _scalar(f) is None:
            return list
        convert = _value_converter(f)
        return lambda values: [convert(v) for v in values]
    if f.cpp_type != FieldDescriptor.CPPTYPE_MESSAGE:
        return _scalar(f)
    return _value_converter(f)


def _plan(message_type: descriptor.Descriptor) -> Plan:
    plan = _plans.get(message_type.full_name)
    if plan is None:
        plan = tuple((f.json_name, f.name, bool(f.has_presence) and not f.is_repeated, _field_converter(f))
                     for f in message_type.fields)
        _plans[message_type.full_name] = plan
    return plan


def _render(message: Message, plan: Plan) -> dict[str, Any]:
    document = {}
    for json_name, name, presence, convert in plan:
        if presence and not message.HasField(name):
            document[json_name] = None
        elif convert is None:
            document[json_name] = getattr(message, name)
        else:
            document[json_name] = convert(getattr(message, name))
    return document
