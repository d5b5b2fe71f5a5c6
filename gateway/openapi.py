"""The OpenAPI 3.1 document, derived from the same routes and message descriptors the gateway serves.

Descriptions come from the comments in the .proto files. The generated ``_pb2`` modules
carry no comments, so they are read by compiling the .proto sources once with source
info; where the sources are not shipped the document simply has no descriptions.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from google.protobuf import descriptor, descriptor_pb2
from google.protobuf.descriptor import FieldDescriptor

from gateway.fields import HTTP_BODY, is_file_field, is_repeated, is_scalar_like, resolve_field_path
from gateway.transcoder import Route

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PREFIX = "#/components/schemas/"

_SCALARS: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_DOUBLE: {"type": "number", "format": "double"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number", "format": "float"},
    FieldDescriptor.TYPE_INT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SINT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_UINT32: {"type": "integer", "format": "int64", "minimum": 0},
    FieldDescriptor.TYPE_FIXED32: {"type": "integer", "format": "int64", "minimum": 0},
    # proto3 JSON writes 64-bit integers as strings: JavaScript numbers cannot hold them.
    FieldDescriptor.TYPE_INT64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_SINT64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_SFIXED64: {"type": "string", "format": "int64"},
    FieldDescriptor.TYPE_UINT64: {"type": "string", "format": "uint64"},
    FieldDescriptor.TYPE_FIXED64: {"type": "string", "format": "uint64"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
}

_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?\d+(\.\d+)?s$", "examples": ["1.5s"]},
    "google.protobuf.FieldMask": {"type": "string", "description": "以逗号分隔的字段名（lowerCamelCase）"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Any": {"type": "object", "properties": {"@type": {"type": "string"}},
                            "additionalProperties": True},
    "google.protobuf.DoubleValue": {"type": ["number", "null"]},
    "google.protobuf.FloatValue": {"type": ["number", "null"]},
    "google.protobuf.Int64Value": {"type": ["string", "null"], "format": "int64"},
    "google.protobuf.UInt64Value": {"type": ["string", "null"], "format": "uint64"},
    "google.protobuf.Int32Value": {"type": ["integer", "null"], "format": "int32"},
    "google.protobuf.UInt32Value": {"type": ["integer", "null"]},
    "google.protobuf.BoolValue": {"type": ["boolean", "null"]},
    "google.protobuf.StringValue": {"type": ["string", "null"]},
    "google.protobuf.BytesValue": {"type": ["string", "null"], "contentEncoding": "base64"},
}

STATUS_SCHEMA = {
    "type": "object",
    "description": "google.rpc.Status：错误码（google.rpc.Code）、说明，以及详情（如 BadRequest 的字段错误）",
    "properties": {
        "code": {"type": "integer", "format": "int32"},
        "message": {"type": "string"},
        "details": {"type": "array", "items": _WELL_KNOWN["google.protobuf.Any"]},
    },
    "required": ["code", "message", "details"],
}


def build_document(routes: Sequence[Route], modules: Iterable[ModuleType], *, title: str = "Tongban API",
                   version: str = "v1") -> dict[str, Any]:
    comments = proto_comments(modules)
    builder = _SchemaBuilder(comments)
    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(routes, key=lambda r: (r.template.openapi_path(), r.http_method)):
        operation = _operation(route, builder, comments)
        paths.setdefault(route.template.openapi_path(), {})[route.http_method.lower()] = operation
    schemas = dict(sorted(builder.schemas.items()))
    schemas["google.rpc.Status"] = STATUS_SCHEMA
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "REST/JSON 接口，由各服务 proto 的 google.api.http 注解转码为 gRPC 调用。"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{}, {"bearerAuth": []}],
    }


def _operation(route: Route, builder: _SchemaBuilder, comments: dict[str, str]) -> dict[str, Any]:
    method = route.method
    description = comments.get(method.full_name, "")
    suffix = f"_{route.binding_index}" if route.binding_index else ""
    operation: dict[str, Any] = {
        "operationId": f"{route.service.name}_{method.name}{suffix}",
        "tags": [route.service.full_name],
        "summary": description.split("\n", 1)[0] if description else method.name,
        "x-grpc-method": route.full_method,
    }
    if description:
        operation["description"] = description
    parameters = _path_parameters(route, builder) + _query_parameters(route, builder)
    if parameters:
        operation["parameters"] = parameters
    if route.body:
        operation["requestBody"] = _request_body(route, builder)
    operation["responses"] = {
        "200": _success_response(route, builder),
        "default": {"description": "错误（google.rpc.Status）",
                    "content": {"application/json": {"schema": {"$ref": SCHEMA_PREFIX + "google.rpc.Status"}}}},
    }
    return operation


def _path_parameters(route: Route, builder: _SchemaBuilder) -> list[dict[str, Any]]:
    parameters = []
    for variable in route.template.variables:
        fields = resolve_field_path(route.request_type, variable.field_path) or []
        pattern = route.template.variable_pattern(variable)
        parameter: dict[str, Any] = {"name": variable.field_path, "in": "path", "required": True,
                                     "schema": builder.field_schema(fields[-1]) if fields else {"type": "string"}}
        notes = [builder.comment_of(fields[-1])] if fields else []
        if pattern != "*":
            notes.append(f"形如 {pattern}")
        if any(notes):
            parameter["description"] = "；".join(n for n in notes if n)
        parameters.append(parameter)
    named = {v.field_path for v in route.template.variables}
    for segment in route.template.openapi_path().split("/"):
        if segment.startswith("{") and segment.strip("{}") not in named:
            parameters.append({"name": segment.strip("{}"), "in": "path", "required": True,
                               "schema": {"type": "string"}})
    return parameters


def _query_parameters(route: Route, builder: _SchemaBuilder) -> list[dict[str, Any]]:
    parameters = []
    for name, fields in route.query_fields():
        parameter: dict[str, Any] = {"name": name, "in": "query", "schema": builder.field_schema(fields[-1])}
        if is_repeated(fields[-1]):
            parameter["explode"] = True
            parameter["style"] = "form"
        comment = builder.comment_of(fields[-1])
        if comment:
            parameter["description"] = comment
        parameters.append(parameter)
    return parameters


def _request_body(route: Route, builder: _SchemaBuilder) -> dict[str, Any]:
    if route.body == "*":
        target: descriptor.Descriptor | None = route.request_type
        schema = builder.message_ref(route.request_type)
    else:
        body_field = route.request_type.fields_by_name[route.body]
        target = body_field.message_type if body_field.type == FieldDescriptor.TYPE_MESSAGE else None
        schema = builder.field_schema(body_field)
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if target is not None and any(is_file_field(f) for f in target.fields):
        content["multipart/form-data"] = {"schema": builder.form_schema(target)}
    return {"required": True, "content": content}


def _success_response(route: Route, builder: _SchemaBuilder) -> dict[str, Any]:
    if route.returns_http_body:
        return {"description": "文件下载（Content-Type 与 Content-Disposition 由服务给出）",
                "content": {"*/*": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}}
    if route.response_body:
        schema = builder.field_schema(route.response_type.fields_by_name[route.response_body])
    else:
        schema = builder.message_ref(route.response_type)
    description = builder.comment_of_message(route.response_type) or route.response_type.name
    return {"description": description, "content": {"application/json": {"schema": schema}}}


class _SchemaBuilder:
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

    def _message_schema(self, message: descriptor.Descriptor) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object", "properties": {}}
        if message.full_name == HTTP_BODY:
            schema["description"] = "原始内容（文件下载）"
        comment = self.comment_of_message(message)
        if comment:
            schema["description"] = comment
        for f in message.fields:
            property_schema = self.field_schema(f)
            field_comment = self.comment_of(f)
            if field_comment:
                property_schema = {**property_schema, "description": field_comment}
            schema["properties"][f.json_name] = property_schema
        return schema

    def field_schema(self, f: FieldDescriptor) -> dict[str, Any]:
        if f.type == FieldDescriptor.TYPE_MESSAGE and f.message_type.GetOptions().map_entry:
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


# ---------------------------------------------------------------------------------------------
# Comments from the .proto sources

_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM = 2, 3, 4
_SERVICE_METHOD, _ENUM_VALUE = 2, 2


def proto_comments(modules: Iterable[ModuleType]) -> dict[str, str]:
    """Leading comments by full name (messages, fields, enums, services, methods); {} when sources are missing."""
    files = sorted({m.DESCRIPTOR.name for m in modules})
    if not files or not all((REPO_ROOT / f).is_file() for f in files):
        return {}
    try:
        descriptor_set = _compile_with_source_info(files)
    except Exception:
        log.warning("proto comments unavailable: cannot compile the .proto sources", exc_info=True)
        return {}
    comments: dict[str, str] = {}
    for file_proto in descriptor_set.file:
        _collect_comments(file_proto, comments)
    return comments


def _compile_with_source_info(files: Sequence[str]) -> descriptor_pb2.FileDescriptorSet:
    from grpc_tools import protoc

    from protos.generate import _include_dirs

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.pb"
        args = ["grpc_tools.protoc", *(f"--proto_path={d}" for d in _include_dirs()),
                f"--descriptor_set_out={out}", "--include_source_info", "--include_imports", *files]
        if protoc.main(args) != 0:
            raise RuntimeError("protoc failed")
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def _collect_comments(file_proto: descriptor_pb2.FileDescriptorProto, out: dict[str, str]) -> None:
    by_path = {tuple(loc.path): loc.leading_comments.strip() for loc in file_proto.source_code_info.location
               if loc.leading_comments.strip()}
    if not by_path:
        return
    package = file_proto.package

    def add(path: tuple[int, ...], name: str) -> None:
        text = by_path.get(path)
        if text:
            out[name] = "\n".join(line.strip() for line in text.splitlines())

    def message(proto: descriptor_pb2.DescriptorProto, path: tuple[int, ...], scope: str) -> None:
        name = f"{scope}.{proto.name}"
        add(path, name)
        for i, f in enumerate(proto.field):
            add((*path, _MESSAGE_FIELD, i), f"{name}.{f.name}")
        for i, nested in enumerate(proto.nested_type):
            message(nested, (*path, _MESSAGE_NESTED, i), name)
        for i, enum in enumerate(proto.enum_type):
            add((*path, _MESSAGE_ENUM, i), f"{name}.{enum.name}")

    for i, proto in enumerate(file_proto.message_type):
        message(proto, (_FILE_MESSAGE, i), package)
    for i, enum in enumerate(file_proto.enum_type):
        add((_FILE_ENUM, i), f"{package}.{enum.name}")
    for i, service in enumerate(file_proto.service):
        add((_FILE_SERVICE, i), f"{package}.{service.name}")
        for j, method in enumerate(service.method):
            add((_FILE_SERVICE, i, _SERVICE_METHOD, j), f"{package}.{service.name}.{method.name}")
