"""The OpenAPI 3.1 document, derived from the same routes and message descriptors the gateway serves.

- Summaries and descriptions come from the comments in the .proto files (gateway/comments.py).
- Audience per operation (``x-tongban-audience``): the method's ``tongban.common.v1.audience`` option.
  Security follows from it: a PUBLIC operation needs no token, every other one ``bearerAuth``.
- Responses: the success (200, and 201 for a create: a POST without a custom verb, which a
  service may answer for the resource it made) and every error the gateway or a service can
  give, as ``google.rpc.Status``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from google.protobuf import descriptor
from google.protobuf.descriptor import FieldDescriptor

from gateway.comments import proto_comments
from gateway.fields import is_file_field, is_repeated, proto_path, resolve_field_path
from gateway.schemas import ANY_SCHEMA, SCHEMA_PREFIX, SchemaBuilder
from gateway.transcoder import Route
from gateway.upstream import upstream_of
from protos.common.v1 import options_pb2

STATUS = "google.rpc.Status"
STATUS_SCHEMA = {
    "type": "object",
    "description": "google.rpc.Status：错误码（google.rpc.Code）、说明，以及详情（如 BadRequest 的字段错误）",
    "properties": {
        "code": {"type": "integer", "format": "int32"},
        "message": {"type": "string"},
        "details": {"type": "array", "items": ANY_SCHEMA},
    },
    "required": ["code", "message", "details"],
    "additionalProperties": False,
}

_HEADERS = {
    "X-Request-Id": {"description": "本次请求的编号（客户端给出的，或网关生成的）", "schema": {"type": "string"}},
    "Retry-After": {"description": "多少秒后可以再试", "schema": {"type": "integer", "minimum": 1}},
    "WWW-Authenticate": {"description": "Bearer 令牌缺失或无效", "schema": {"type": "string"}},
}
# Status -> (component name, description, extra headers).
_ERRORS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "400": ("BadRequest", "请求有误（INVALID_ARGUMENT、FAILED_PRECONDITION、OUT_OF_RANGE）；字段错误在 BadRequest", ()),
    "401": ("Unauthenticated", "未登录，或访问令牌无效、已过期（UNAUTHENTICATED）", ("WWW-Authenticate",)),
    "403": ("PermissionDenied", "无权执行（PERMISSION_DENIED）", ()),
    "404": ("NotFound", "记录不存在或不可见（NOT_FOUND）", ()),
    "409": ("Conflict", "已存在，或与并发修改冲突（ALREADY_EXISTS、ABORTED）", ()),
    "413": ("PayloadTooLarge", "请求体超过上限", ()),
    "429": ("TooManyRequests", "请求过于频繁（RESOURCE_EXHAUSTED）", ("Retry-After",)),
    "503": ("Unavailable", "服务暂不可用，可稍后重试（UNAVAILABLE）", ()),
    "504": ("Timeout", "服务响应超时（DEADLINE_EXCEEDED）", ()),
}
# Refused by the HTTP server in front of the gateway, before it reads the request: its own short page.
_URI_TOO_LONG = {"description": "请求行过长（超过 8190 字节），由 HTTP 服务器拒绝",
                 "content": {"text/html": {"schema": {"type": "string"}}}}
# Only a request with a body can be too large.
_BODY_ONLY = ("413",)


def build_document(routes: Sequence[Route], *, server: str = "/", title: str = "Tongban API",
                   version: str = "v1", comments: dict[str, str] | None = None) -> dict[str, Any]:
    comments = proto_comments() if comments is None else comments
    builder = SchemaBuilder(comments)
    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(routes, key=lambda r: (r.template.openapi_path(), r.http_method)):
        paths.setdefault(route.template.openapi_path(), {})[route.http_method.lower()] = _operation(
            route, builder, comments)
    schemas = dict(sorted(builder.schemas.items()))
    schemas[STATUS] = STATUS_SCHEMA
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "REST/JSON 接口，由各服务 proto 的 google.api.http 注解转码为 gRPC 调用。"},
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {**{name: _error_response(description, extra)
                             for name, description, extra in _ERRORS.values()}, "UriTooLong": _URI_TOO_LONG},
            "headers": _HEADERS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def audience_of(method: descriptor.MethodDescriptor) -> str | None:
    """The method's declared audience (``tongban.common.v1.audience``), None when it declares none."""
    audience = method.GetOptions().Extensions[options_pb2.audience]
    return options_pb2.Audience.Name(audience) if audience else None


def is_public(method: descriptor.MethodDescriptor) -> bool:
    return audience_of(method) == "PUBLIC"


def _operation(route: Route, builder: SchemaBuilder, comments: dict[str, str]) -> dict[str, Any]:
    method = route.method
    description = comments.get(method.full_name, "")
    suffix = f"_{route.binding_index}" if route.binding_index else ""
    operation: dict[str, Any] = {
        # Qualified by the service's package: two packages may both have a ``CertificateService``.
        "operationId": f"{upstream_of(route.service)}_{route.service.name}_{method.name}{suffix}",
        "tags": [route.service.full_name],
        "summary": description.split("\n", 1)[0] if description else method.name,
        "x-grpc-method": route.full_method,
    }
    if description:
        operation["description"] = description
    audience = audience_of(method)
    if audience:
        operation["x-tongban-audience"] = audience
    operation["security"] = [] if audience == "PUBLIC" else [{"bearerAuth": []}]
    parameters = _path_parameters(route, builder) + _query_parameters(route, builder)
    if parameters:
        operation["parameters"] = parameters
    if route.body:
        operation["requestBody"] = _request_body(route, builder)
    success = _success_response(route, builder)
    responses: dict[str, Any] = {"200": success}
    if route.http_method == "POST" and route.template.verb is None:
        # A create may answer 201 (the service says so per call); an action (``:approve``) answers 200.
        responses["201"] = {**success, "description": "已创建：" + success["description"]}
    for status, (name, _description, _headers) in _ERRORS.items():
        if status not in _BODY_ONLY or route.body:
            responses[status] = {"$ref": f"#/components/responses/{name}"}
    responses["414"] = {"$ref": "#/components/responses/UriTooLong"}
    operation["responses"] = responses
    return operation


def _error_response(description: str, extra: Sequence[str]) -> dict[str, Any]:
    headers = {name: {"$ref": f"#/components/headers/{name}"} for name in ("X-Request-Id", *extra)}
    return {"description": description, "headers": headers,
            "content": {"application/json": {"schema": {"$ref": SCHEMA_PREFIX + STATUS}}}}


_TEMPLATE_VARIABLE = re.compile(r"\{([^{}]+)\}")


def _path_parameters(route: Route, builder: SchemaBuilder) -> list[dict[str, Any]]:
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
    # Wildcards outside any variable still fill a piece of the path (``{segment2}``, ``{path}``).
    for name in _TEMPLATE_VARIABLE.findall(route.template.openapi_path()):
        if name not in named:
            parameters.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    return parameters


def _query_parameters(route: Route, builder: SchemaBuilder) -> list[dict[str, Any]]:
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


def _request_body(route: Route, builder: SchemaBuilder) -> dict[str, Any]:
    if route.body == "*":
        target: descriptor.Descriptor | None = route.request_type
        bound = {proto_path(route.request_type, v.field_path) for v in route.template.variables}
        schema = builder.body_ref(route.request_type, bound)
    else:
        body_field = route.request_type.fields_by_name[route.body]
        target = body_field.message_type if body_field.type == FieldDescriptor.TYPE_MESSAGE else None
        schema = builder.field_schema(body_field)
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if target is not None and any(is_file_field(f) for f in target.fields):
        content["multipart/form-data"] = {"schema": builder.form_schema(target)}
    # An empty body is the empty message: every field of a request may be left out.
    return {"required": False, "content": content}


def _success_response(route: Route, builder: SchemaBuilder) -> dict[str, Any]:
    headers = {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}
    if route.returns_http_body:
        # The service names the real type (a PDF, a workbook); generated clients take the bytes as a file.
        raw = {"schema": {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"}}
        return {"description": "文件下载（Content-Type 与 Content-Disposition 由服务给出）", "headers": headers,
                "content": {"application/octet-stream": raw, "*/*": raw}}
    if route.response_body:
        schema = builder.field_schema(route.response_type.fields_by_name[route.response_body])
    else:
        schema = builder.message_ref(route.response_type)
    description = builder.comment_of_message(route.response_type) or route.response_type.name
    return {"description": description, "headers": headers, "content": {"application/json": {"schema": schema}}}
