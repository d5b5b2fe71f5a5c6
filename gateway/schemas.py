"""JSON Schemas (OpenAPI 3.1) of proto messages as the gateway writes and reads them: the proto3 JSON mapping.

Every field of a response is present: a field without presence as its value (0, "", [],
{}), one with presence (a message, a proto3 ``optional`` scalar, a oneof member) as null
when unset, so those are nullable. Unknown fields are refused, so objects allow no others.
64-bit integers are decimal strings, enums their names, bytes base64.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.protobuf import descriptor
from google.protobuf.descriptor import FieldDescriptor

from gateway.fields import HTTP_BODY, is_file_field, is_map, is_repeated, is_scalar_like

SCHEMA_PREFIX = "#/components/schemas/"
_INT32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
_UINT32 = {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**32 - 1}
# proto3 JSON writes 64-bit integers as strings: JavaScript numbers cannot hold them.
_INT64 = {"type": "string", "format": "int64", "pattern": r"^-?[0-9]{1,19}$"}
_UINT64 = {"type": "string", "format": "uint64", "pattern": r"^[0-9]{1,20}$"}

_SCALARS: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_DOUBLE: {"type": "number", "format": "double"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number", "format": "float"},
    FieldDescriptor.TYPE_INT32: _INT32,
    FieldDescriptor.TYPE_SINT32: _INT32,
    FieldDescriptor.TYPE_SFIXED32: _INT32,
    FieldDescriptor.TYPE_UINT32: _UINT32,
    FieldDescriptor.TYPE_FIXED32: _UINT32,
    FieldDescriptor.TYPE_INT64: _INT64,
    FieldDescriptor.TYPE_SINT64: _INT64,
    FieldDescriptor.TYPE_SFIXED64: _INT64,
    FieldDescriptor.TYPE_UINT64: _UINT64,
    FieldDescriptor.TYPE_FIXED64: _UINT64,
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
}

ANY_SCHEMA = {"type": "object", "properties": {"@type": {"type": "string"}}, "required": ["@type"],
              "additionalProperties": True}
# Well-known messages with a JSON form of their own; the wrappers are nullable by nature.
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]{1,9})?s$", "examples": ["1.5s"]},
    "google.protobuf.FieldMask": {"type": "string", "description": "以逗号分隔的字段名（lowerCamelCase）"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Empty": {"type": "object", "additionalProperties": False},
    "google.protobuf.Any": ANY_SCHEMA,
    "google.protobuf.DoubleValue": {"type": ["number", "null"]},
    "google.protobuf.FloatValue": {"type": ["number", "null"]},
    "google.protobuf.Int64Value": {**_INT64, "type": ["string", "null"]},
    "google.protobuf.UInt64Value": {**_UINT64, "type": ["string", "null"]},
    "google.protobuf.Int32Value": {**_INT32, "type": ["integer", "null"]},
    "google.protobuf.UInt32Value": {**_UINT32, "type": ["integer", "null"]},
    "google.protobuf.BoolValue": {"type": ["boolean", "null"]},
    "google.protobuf.StringValue": {"type": ["string", "null"]},
    "google.protobuf.BytesValue": {"type": ["string", "null"], "contentEncoding": "base64"},
}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema, or null."""
    kind = schema.get("type")
    if isinstance(kind, str) and "$ref" not in schema:
        widened = {**schema, "type": [kind, "null"]}
        if "enum" in schema:
            widened["enum"] = [*schema["enum"], None]
        return widened
    if isinstance(kind, list) or schema == {}:
        return schema if kind is None or "null" in kind else {**schema, "type": [*kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def has_presence(f: FieldDescriptor) -> bool:
    """Whether an unset value is told apart from the default (and so rendered as null)."""
    if is_repeated(f):
        return False
    return bool(f.has_presence)


class SchemaBuilder:
    """Component schemas by message full name, made as operations refer to them."""

    def __init__(self, comments: dict[str, str]):
        self.comments = comments
        self.schemas: dict[str, dict[str, Any]] = {}

    def comment_of(self, f: FieldDescriptor) -> str:
        return self.comments.get(f.full_name, "")

    def comment_of_message(self, message: descriptor.Descriptor) -> str:
        return self.comments.get(message.full_name, "")

    def message_ref(self, message: descriptor.Descriptor) -> dict[str, Any]:
        if message.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[message.full_name])
        if message.full_name not in self.schemas:
            self.schemas[message.full_name] = {}  # placeholder first: messages may refer to themselves
            self.schemas[message.full_name] = self._message_schema(message)
        return {"$ref": SCHEMA_PREFIX + message.full_name}

    def body_ref(self, message: descriptor.Descriptor, bound: Iterable[str]) -> dict[str, Any]:
        """The message without the top-level fields the path binds (a ``body: "*"`` request body)."""
        leave_out = {name for name in bound if name in message.fields_by_name}
        if not leave_out:
            return self.message_ref(message)
        name = f"{message.full_name}.Body"
        if name not in self.schemas:
            schema = self._message_schema(message, leave_out={message.fields_by_name[n].json_name for n in leave_out})
            schema["description"] = "请求体（路径中的字段除外）" + (f"：{schema['description']}"
                                                          if schema.get("description") else "")
            self.schemas[name] = schema
        return {"$ref": SCHEMA_PREFIX + name}

    def _message_schema(self, message: descriptor.Descriptor, leave_out: set[str] = frozenset()) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}
        if message.full_name == HTTP_BODY:
            schema["description"] = "原始内容（文件下载）"
        comment = self.comment_of_message(message)
        if comment:
            schema["description"] = comment
        for f in message.fields:
            if f.json_name in leave_out:
                continue
            property_schema = self.field_schema(f)
            if has_presence(f):
                property_schema = nullable(property_schema)
            field_comment = self.comment_of(f)
            if field_comment:
                property_schema = {**property_schema, "description": field_comment}
            schema["properties"][f.json_name] = property_schema
        return schema

    def field_schema(self, f: FieldDescriptor) -> dict[str, Any]:
        if is_map(f):
            value = f.message_type.fields_by_name["value"]
            return {"type": "object", "additionalProperties": self._single(value)}
        single = self._single(f)
        if is_repeated(f):
            return {"type": "array", "items": single}
        return single

    def _single(self, f: FieldDescriptor) -> dict[str, Any]:
        if f.type == FieldDescriptor.TYPE_MESSAGE:
            return self.message_ref(f.message_type)
        if f.type == FieldDescriptor.TYPE_ENUM:
            schema: dict[str, Any] = {"type": "string", "enum": [v.name for v in f.enum_type.values]}
            comment = self.comments.get(f.enum_type.full_name)
            if comment:
                schema["description"] = comment
            return schema
        return dict(_SCALARS[f.type])

    def form_schema(self, message: descriptor.Descriptor) -> dict[str, Any]:
        """multipart/form-data: bytes fields as file parts, the other scalar fields as form fields."""
        properties: dict[str, Any] = {}
        for f in message.fields:
            if is_file_field(f):
                # A FileUpload field takes the part's own filename and Content-Type as well.
                part = {"type": "string", "contentMediaType": "application/octet-stream"}
                properties[f.json_name] = {"type": "array", "items": part} if is_repeated(f) else part
            elif is_scalar_like(f):
                properties[f.json_name] = self.field_schema(f)
        return {"type": "object", "properties": properties}
