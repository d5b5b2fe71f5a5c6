"""REST -> gRPC transcoding from ``google.api.http`` annotations, following google/api/http.proto.

At start the gateway reads the rules of every method from the service descriptors and
builds a :class:`RouteTable`. A request is matched against the path templates
(gateway/templates.py), then its message is filled in the order the specification gives:
the body (``*`` or one top-level field), then the query string for every field not bound
by the path or the body (``a.b=`` for nested fields, repeated fields by repetition), then
the path variables, which win. Values use the proto3 JSON mapping (enums by name, int64 as
strings, RFC 3339 Timestamps). Unknown query parameters are refused, naming them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import unquote

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor, json_format, message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from gateway.fields import (
    HTTP_BODY,
    check_value,
    collect_leaves,
    is_file_field,
    is_repeated,
    is_scalar_like,
    json_value_from_text,
    proto_path,
    resolve_field_path,
    set_json_path,
)
from gateway.input_policy import (
    depth_message,
    parse_error_violation,
    payload_violations,
    readable,
    variable_violations,
)
from gateway.rendering import message_to_json
from gateway.templates import PathTemplate, TemplateSyntaxError, parse_template

_FIRST_KEY = re.compile(rb'\s*\{\s*"((?:[^"\\]|\\.){0,200})"')


class TranscodingError(Exception):
    """The HTTP request cannot become the gRPC request; ``violations`` are (field, description) pairs."""

    def __init__(self, message: str, violations: Sequence[tuple[str, str]] = ()):
        super().__init__(message)
        self.message = message
        self.violations = tuple(violations)


@dataclass(frozen=True)
class FilePart:
    """One file part of a multipart/form-data body: its form name, bytes, and the filename and type it declared."""

    name: str
    data: bytes
    file_name: str = ""
    content_type: str = ""


@dataclass(frozen=True)
class HttpRequest:
    """What the transcoder needs of an HTTP request, independent of the web framework."""

    method: str
    raw_path: str
    query: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    content_type: str = ""
    form: Sequence[tuple[str, str]] = ()
    # FileParts, or (name, bytes) pairs when the filename and type do not matter.
    files: Sequence[FilePart | tuple[str, bytes]] = ()

    @property
    def is_multipart(self) -> bool:
        return self.content_type.lower().startswith("multipart/form-data")


@dataclass(frozen=True)
class Route:
    http_method: str
    template: PathTemplate
    method: descriptor.MethodDescriptor
    body: str  # "" none, "*" all, else a top-level field name
    response_body: str
    binding_index: int = 0

    @cached_property
    def span_name(self) -> str:
        """``POST /v1/rare-earth/ledgers/{kind}/imports``: the route template, as spans and metrics name it."""
        return f"{self.http_method} {self.template.text}"

    @property
    def service(self) -> descriptor.ServiceDescriptor:
        return self.method.containing_service

    @property
    def full_method(self) -> str:
        return f"/{self.service.full_name}/{self.method.name}"

    @property
    def request_type(self) -> descriptor.Descriptor:
        return self.method.input_type

    @property
    def response_type(self) -> descriptor.Descriptor:
        return self.method.output_type

    @property
    def returns_http_body(self) -> bool:
        return not self.response_body and self.response_type.full_name == HTTP_BODY

    def bound_paths(self) -> set[str]:
        """Field paths (proto names) bound by the path template."""
        return {proto_path(self.request_type, v.field_path) for v in self.template.variables}

    def query_fields(self) -> list[tuple[str, list[FieldDescriptor]]]:
        """Every leaf field a query parameter may set: ``(dotted json name, fields)``."""
        if self.body == "*":
            return []
        bound = self.bound_paths()
        excluded_top = {self.body} if self.body else set()
        out: list[tuple[str, list[FieldDescriptor]]] = []
        collect_leaves(self.request_type, [], bound, excluded_top, out, seen=())
        return out

    def build_request(self, request: HttpRequest, variables: Mapping[str, str]) -> Message:
        message_class = self._request_class
        payload: dict[str, Any] = {}
        files: list[tuple[list[FieldDescriptor], FilePart]] = []
        if self.body:
            if request.is_multipart:
                files = self._apply_form(request, payload)
            else:
                self._apply_json_body(request.body, payload)
        elif request.body.strip():
            raise TranscodingError("此接口不接受请求体")
        if request.query:
            self._apply_query(request.query, payload)
        if not payload and not files and self._string_variables is not None:
            # The common GET by id: nothing but text path variables, straight into their fields.
            refused = variable_violations(variables)
            if refused:
                raise TranscodingError("请求参数有误", refused)
            return message_class(**{self._string_variables[path]: value for path, value in variables.items()})
        for field_path, value in variables.items():
            fields = resolve_field_path(self.request_type, field_path)
            if fields is None:  # checked when the route was built
                raise TranscodingError(f"路径变量 {field_path} 无对应字段")
            set_json_path(payload, fields, json_value_from_text(fields[-1], value))
        refused = payload_violations(self.request_type, payload)
        if refused:
            raise TranscodingError("请求参数有误", refused)
        message = message_class()
        try:
            json_format.ParseDict(payload, message)
        except (json_format.ParseError, ValueError, TypeError) as exc:
            path, description = parse_error_violation(self.request_type, exc)
            raise TranscodingError(description, [(path, description)]) from exc
        for fields, part in files:
            _assign_file(message, fields, part)
        return message

    def _apply_json_body(self, body: bytes, payload: dict[str, Any]) -> None:
        if not body.strip():
            return
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TranscodingError(f"请求体不是有效的 JSON：{readable(str(exc))}") from exc
        except RecursionError as exc:
            # Nested deeper than the interpreter's stack: far past MAX_DEPTH, which the payload walk holds.
            where = self._first_key(body) if self.body == "*" else self.request_type.fields_by_name[self.body].json_name
            raise TranscodingError(depth_message(where), [(where, depth_message(where))]) from exc
        if self.body == "*":
            if not isinstance(document, dict):
                raise TranscodingError("请求体须为 JSON 对象")
            payload.update(document)
        else:
            body_field = self.request_type.fields_by_name[self.body]
            payload[body_field.json_name] = document

    @staticmethod
    def _first_key(body: bytes) -> str:
        """The first key of a JSON object body, to name where a too-deep document starts; "" when none."""
        found = _FIRST_KEY.match(body)
        return readable(found.group(1).decode("utf-8", "replace"), 100) if found else ""

    def _apply_form(self, request: HttpRequest,
                    payload: dict[str, Any]) -> list[tuple[list[FieldDescriptor], FilePart]]:
        """Form fields as query-like values and file parts into bytes fields, under the body target."""
        if self.body == "*":
            root, prefix_fields = self.request_type, []
        else:
            body_field = self.request_type.fields_by_name[self.body]
            if body_field.type != FieldDescriptor.TYPE_MESSAGE or is_repeated(body_field):
                raise TranscodingError("此接口不接受 multipart/form-data 请求体")
            root, prefix_fields = body_field.message_type, [body_field]
        violations = []
        for name, value in request.form:
            fields = resolve_field_path(root, name)
            if fields is not None and is_file_field(fields[-1]) and not is_scalar_like(fields[-1]):
                violations.append((name, f"{name} 须作为文件上传（带文件名的文件部分）"))
                continue
            if fields is None or not is_scalar_like(fields[-1]):
                violations.append((name, f"未知的表单字段：{name}"))
                continue
            self._put_text(payload, prefix_fields + fields, name, value, violations)
        files = []
        for given in request.files:
            part = given if isinstance(given, FilePart) else FilePart(*given)
            fields = resolve_field_path(root, part.name)
            if fields is None or not is_file_field(fields[-1]):
                violations.append((part.name, f"文件字段 {part.name} 不是可上传文件的字段"))
                continue
            files.append((prefix_fields + fields, part))
        if violations:
            raise TranscodingError("表单字段有误", violations)
        return files

    @cached_property
    def _query_names(self) -> dict[str, list[FieldDescriptor]]:
        """Each query parameter this route takes, by its JSON and its proto spelling; made once."""
        allowed = {}
        for name, fields in self.query_fields():
            allowed[name] = fields
            allowed[".".join(f.name for f in fields)] = fields
        return allowed

    @cached_property
    def _string_variables(self) -> dict[str, str] | None:
        """Path variable -> proto field name when every variable is a top-level string field; else None."""
        names = {}
        for variable in self.template.variables:
            found = resolve_field_path(self.request_type, variable.field_path)
            if not found or len(found) != 1 or found[0].type != FieldDescriptor.TYPE_STRING:
                return None
            names[variable.field_path] = found[0].name
        return names

    @cached_property
    def _request_class(self) -> type[Message]:
        return message_factory.GetMessageClass(self.request_type)

    def _apply_query(self, query: Iterable[tuple[str, str]], payload: dict[str, Any]) -> None:
        allowed = self._query_names
        violations: list[tuple[str, str]] = []
        unknown: list[str] = []
        for name, value in query:
            fields = allowed.get(name)
            if fields is None:
                if name not in unknown:
                    unknown.append(name)
                continue
            self._put_text(payload, fields, name, value, violations)
        if unknown:
            violations = [(name, f"未知的查询参数：{name}") for name in unknown] + violations
            raise TranscodingError("未知的查询参数：" + "、".join(unknown), violations)
        if violations:
            raise TranscodingError("查询参数有误", violations)

    @staticmethod
    def _put_text(payload: dict[str, Any], fields: list[FieldDescriptor], name: str, text: str,
                  violations: list[tuple[str, str]]) -> None:
        leaf = fields[-1]
        value = json_value_from_text(leaf, text)
        problem = check_value(leaf, value)
        if problem:
            violations.append((name, problem))
            return
        set_json_path(payload, fields, value, append=is_repeated(leaf))

    def render_response(self, response: Message) -> Any:
        """The proto3 JSON of the response (or of its ``response_body`` field), every field present."""
        document = message_to_json(response)
        if self.response_body:
            return document.get(self.response_type.fields_by_name[self.response_body].json_name)
        return document



def _assign_file(message: Message, fields: Sequence[FieldDescriptor], part: FilePart) -> None:
    target = message
    for f in fields[:-1]:
        target = getattr(target, f.name)
    leaf = fields[-1]
    if leaf.type == FieldDescriptor.TYPE_BYTES:
        if is_repeated(leaf):
            getattr(target, leaf.name).append(part.data)
        else:
            setattr(target, leaf.name, part.data)
        return
    upload = getattr(target, leaf.name).add() if is_repeated(leaf) else getattr(target, leaf.name)
    upload.file_name = part.file_name
    upload.content_type = part.content_type
    upload.content = part.data


def _http_rules(rule: http_pb2.HttpRule) -> Iterable[tuple[int, http_pb2.HttpRule]]:
    yield 0, rule
    yield from enumerate(rule.additional_bindings, start=1)


def _method_and_path(rule: http_pb2.HttpRule) -> tuple[str, str] | None:
    pattern = rule.WhichOneof("pattern")
    if pattern is None:
        return None
    if pattern == "custom":
        return rule.custom.kind.upper(), rule.custom.path
    return pattern.upper(), getattr(rule, pattern)


def routes_of_method(method: descriptor.MethodDescriptor) -> list[Route]:
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return []
    routes = []
    for index, rule in _http_rules(options.Extensions[annotations_pb2.http]):
        method_and_path = _method_and_path(rule)
        if method_and_path is None:
            continue
        http_method, path = method_and_path
        template = parse_template(path)
        for variable in template.variables:
            fields = resolve_field_path(method.input_type, variable.field_path)
            if fields is None or not is_scalar_like(fields[-1]) or is_repeated(fields[-1]):
                raise TemplateSyntaxError(f"{method.full_name}: path variable {variable.field_path} is not a field")
        if rule.body not in ("", "*") and rule.body not in method.input_type.fields_by_name:
            raise TemplateSyntaxError(f"{method.full_name}: body {rule.body!r} is not a top-level field")
        if rule.response_body and rule.response_body not in method.output_type.fields_by_name:
            raise TemplateSyntaxError(f"{method.full_name}: response_body {rule.response_body!r} is not a field")
        if method.client_streaming or method.server_streaming:
            continue  # the gateway transcodes unary calls only
        routes.append(Route(http_method, template, method, rule.body, rule.response_body, index))
    return routes


@dataclass
class RouteTable:
    routes: list[Route] = field(default_factory=list)

    @classmethod
    def from_services(cls, services: Iterable[descriptor.ServiceDescriptor]) -> RouteTable:
        routes = [r for s in services for m in s.methods for r in routes_of_method(m)]
        routes.sort(key=lambda r: r.template.specificity(), reverse=True)
        return cls(routes)

    @classmethod
    def from_modules(cls, modules: Iterable[Any]) -> RouteTable:
        return cls.from_services(services_of_modules(modules))

    # (segments in a path, its first two when they are not its last) -> the routes that can match it, most
    # specific first. Trying every route of that length instead cost about 0.2 ms a call with the platform's routes.
    _candidates: dict[tuple[int, str | None, str | None], list[Route]] = field(default_factory=dict, init=False,
                                                                              repr=False)

    def _routes_for(self, raw_path: str) -> list[Route]:
        """Only templates with that many segments (or a ``**`` tail that reaches it), and whose first two take the
        path's (the last segment may carry a verb, so it is left to the template), can match a path."""
        parts = raw_path.split("/", 3)
        segments = raw_path.count("/")
        key = (segments, unquote(parts[1]) if segments > 1 else None, unquote(parts[2]) if segments > 2 else None)
        found = self._candidates.get(key)
        if found is None:
            found = [r for r in self.routes if (len(r.template.segments) == segments
                                                or (r.template.has_tail_wildcard
                                                    and segments >= len(r.template.segments) - 1))
                     and (key[1] is None or r.template.may_match(0, key[1]))
                     and (key[2] is None or r.template.may_match(1, key[2]))]
            if len(self._candidates) < 4096:  # bounded: paths are the client's choice
                self._candidates[key] = found
        return found

    def resource(self, raw_path: str) -> list[tuple[Route, dict[str, str]]]:
        """The routes of the resource a path names: those of the most specific templates that match it.

        ``/v1/certificates/lost-reissues`` is the literal resource, never ``/v1/certificates/{id}``
        with that id, and ``/v1/things/7:approve`` the action, never ``{id}`` = ``7:approve``: so
        a method only the less specific template has is refused (405), as the OpenAPI document says.
        """
        found: list[tuple[Route, dict[str, str]]] = []
        best = None
        for route in self._routes_for(raw_path):
            specificity = route.template.specificity()
            if best is not None and specificity != best:
                break
            variables = route.template.match(raw_path)
            if variables is not None:
                best = specificity
                found.append((route, variables))
        return found

    def match(self, http_method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        method = "GET" if http_method == "HEAD" else http_method
        for route, variables in self.resource(raw_path):
            if route.http_method == method:
                return route, variables
        return None

    def allowed_methods(self, raw_path: str) -> list[str]:
        """The HTTP methods the resource at this path answers (for 405 and ``Allow``)."""
        return sorted({route.http_method for route, _variables in self.resource(raw_path)})


def services_of_modules(modules: Iterable[Any]) -> list[descriptor.ServiceDescriptor]:
    services = []
    for module in modules:
        services.extend(module.DESCRIPTOR.services_by_name.values())
    return services
