"""REST -> gRPC transcoding from ``google.api.http`` annotations, following google/api/http.proto.

At start the gateway reads the rules of every method from the service descriptors and
builds a :class:`RouteTable`. A request is matched against the path templates, then its
message is filled in the order the specification gives: the body (``*`` or one top-level
field), then the query string for every field not bound by the path or the body (``a.b=``
for nested fields, repeated fields by repetition), then the path variables, which win.
Values use the proto3 JSON mapping (enums by name, int64 as strings, RFC 3339 Timestamps).
Unknown query parameters are refused, naming them.

Path variables that span one segment are fully percent-decoded; multi-segment ones keep
``%2F`` encoded, as the specification says, so the raw request path must be given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor, json_format, message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

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


class TranscodingError(Exception):
    """The HTTP request cannot become the gRPC request; ``violations`` are (field, description) pairs."""

    def __init__(self, message: str, violations: Sequence[tuple[str, str]] = ()):
        super().__init__(message)
        self.message = message
        self.violations = tuple(violations)


class TemplateSyntaxError(ValueError):
    pass


# ---------------------------------------------------------------------------------------------
# Path templates

@dataclass(frozen=True)
class Variable:
    field_path: str  # dotted proto field names, as written in the template
    start: int  # index of its first segment in the template
    end: int  # index after its last segment; -1 when it ends with ``**`` (runs to the end of the path)


@dataclass(frozen=True)
class PathTemplate:
    """``/v1/{name=shelves/*/books/*}:verb`` as flat segments (literal, ``*`` or ``**``) plus variables."""

    text: str
    segments: tuple[str, ...]
    variables: tuple[Variable, ...]
    verb: str | None

    @property
    def has_tail_wildcard(self) -> bool:
        return bool(self.segments) and self.segments[-1] == "**"

    @property
    def literal_count(self) -> int:
        return sum(1 for s in self.segments if s not in ("*", "**"))

    def specificity(self) -> tuple[int, int, int, int]:
        """Sort key: more specific templates are tried first."""
        return (self.verb is not None, self.literal_count, not self.has_tail_wildcard, len(self.segments))

    def match(self, raw_path: str) -> dict[str, str] | None:
        """The variable values of a raw (still percent-encoded) request path, or None."""
        path = raw_path
        if self.verb is not None:
            suffix = ":" + self.verb
            if not path.endswith(suffix):
                return None
            path = path[: -len(suffix)]
        if not path.startswith("/"):
            return None
        parts = path[1:].split("/")
        if self.has_tail_wildcard:
            fixed = len(self.segments) - 1
            if len(parts) < fixed:
                return None
        elif len(parts) != len(self.segments):
            return None
        for index, segment in enumerate(self.segments):
            if segment == "**":
                break
            part = parts[index]
            if segment == "*":
                if part == "":
                    return None
            elif unquote(part) != segment:
                return None
        values = {}
        for variable in self.variables:
            end = len(parts) if variable.end == -1 else variable.end
            captured = parts[variable.start:end]
            if len(captured) == 1 and self.segments[variable.start] != "**":
                values[variable.field_path] = unquote(captured[0])
            else:
                # Multi-segment values keep an encoded slash encoded (http.proto, "Path template syntax").
                values[variable.field_path] = "/".join(_unquote_keeping_slash(p) for p in captured)
        return values

    def openapi_path(self) -> str:
        """``/v1/{name}:verb``: each variable as one OpenAPI path parameter."""
        out: list[str] = []
        index = 0
        by_start = {v.start: v for v in self.variables}
        while index < len(self.segments):
            variable = by_start.get(index)
            if variable is not None:
                out.append("{" + variable.field_path + "}")
                index = len(self.segments) if variable.end == -1 else variable.end
                continue
            segment = self.segments[index]
            out.append("{path}" if segment == "**" else f"{{segment{index}}}" if segment == "*" else segment)
            index += 1
        return "/" + "/".join(out) + (":" + self.verb if self.verb else "")

    def variable_pattern(self, variable: Variable) -> str:
        end = len(self.segments) if variable.end == -1 else variable.end
        return "/".join(self.segments[variable.start:end])


def _unquote_keeping_slash(part: str) -> str:
    return "%2F".join(unquote(piece) for piece in re.split("%2[fF]", part))


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_LITERAL = re.compile(r"[^/{}*:=]+$")


def parse_template(text: str) -> PathTemplate:
    """Parse ``Template = "/" Segments [ Verb ]`` of google/api/http.proto."""
    if not text.startswith("/"):
        raise TemplateSyntaxError(f"{text!r}: a path template starts with '/'")
    body, verb = text[1:], None
    # The verb is the text after the last ':' that is outside braces.
    depth, colon = 0, -1
    for index, char in enumerate(body):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == ":" and depth == 0:
            colon = index
    if colon >= 0:
        body, verb = body[:colon], body[colon + 1:]
        if not _LITERAL.match(verb):
            raise TemplateSyntaxError(f"{text!r}: bad verb {verb!r}")
    segments: list[str] = []
    variables: list[Variable] = []
    for token in _split_top_level(body, text):
        if token.startswith("{"):
            if not token.endswith("}"):
                raise TemplateSyntaxError(f"{text!r}: unclosed variable")
            inner = token[1:-1]
            field_path, _, pattern = inner.partition("=")
            if not _IDENT.match(field_path):
                raise TemplateSyntaxError(f"{text!r}: bad field path {field_path!r}")
            pattern_segments = pattern.split("/") if pattern else ["*"]
            if any("{" in s for s in pattern_segments):
                raise TemplateSyntaxError(f"{text!r}: variables cannot nest")
            start = len(segments)
            for segment in pattern_segments:
                _check_segment(segment, text)
                segments.append(segment)
            variables.append(Variable(field_path, start, -1 if segments[-1] == "**" else len(segments)))
        else:
            _check_segment(token, text)
            segments.append(token)
    if "**" in segments[:-1]:
        raise TemplateSyntaxError(f"{text!r}: '**' must be the last segment")
    return PathTemplate(text=text, segments=tuple(segments), variables=tuple(variables), verb=verb)


def _split_top_level(body: str, text: str) -> list[str]:
    tokens, current, depth = [], "", 0
    for char in body:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise TemplateSyntaxError(f"{text!r}: unbalanced braces")
        if char == "/" and depth == 0:
            tokens.append(current)
            current = ""
        else:
            current += char
    if depth != 0:
        raise TemplateSyntaxError(f"{text!r}: unbalanced braces")
    tokens.append(current)
    return tokens


def _check_segment(segment: str, text: str) -> None:
    if segment in ("*", "**"):
        return
    if not segment or not _LITERAL.match(segment):
        raise TemplateSyntaxError(f"{text!r}: bad segment {segment!r}")


# ---------------------------------------------------------------------------------------------
# Fields

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
            if found.type != FieldDescriptor.TYPE_MESSAGE or is_repeated(found) or _is_map(found):
                return None
            current = found.message_type
        fields.append(found)
    return fields


def is_repeated(f: FieldDescriptor) -> bool:
    return f.is_repeated if hasattr(f, "is_repeated") else f.label == FieldDescriptor.LABEL_REPEATED


def _is_map(f: FieldDescriptor) -> bool:
    return f.type == FieldDescriptor.TYPE_MESSAGE and f.message_type.GetOptions().map_entry


def is_scalar_like(f: FieldDescriptor) -> bool:
    """Whether the field's JSON value can be written as one query parameter value."""
    if _is_map(f):
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


def _set_json_path(target: dict[str, Any], fields: Sequence[FieldDescriptor], value: Any, *,
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


# ---------------------------------------------------------------------------------------------
# Routes

@dataclass(frozen=True)
class FilePart:
    """One file part of a multipart/form-data body: its form name, bytes, and the filename and type it declared."""

    name: str
    data: bytes
    file_name: str = ""
    content_type: str = ""


def is_file_field(f: FieldDescriptor) -> bool:
    """Whether a multipart file part may fill the field: ``bytes`` or a ``FileUpload`` message."""
    if f.type == FieldDescriptor.TYPE_BYTES:
        return True
    return f.type == FieldDescriptor.TYPE_MESSAGE and f.message_type.full_name == FILE_UPLOAD


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
        return {_proto_path(self.request_type, v.field_path) for v in self.template.variables}

    def query_fields(self) -> list[tuple[str, list[FieldDescriptor]]]:
        """Every leaf field a query parameter may set: ``(dotted json name, fields)``."""
        if self.body == "*":
            return []
        bound = self.bound_paths()
        excluded_top = {self.body} if self.body else set()
        out: list[tuple[str, list[FieldDescriptor]]] = []
        _collect_leaves(self.request_type, [], bound, excluded_top, out, seen=())
        return out

    def build_request(self, request: HttpRequest, variables: Mapping[str, str]) -> Message:
        message_class = message_factory.GetMessageClass(self.request_type)
        payload: dict[str, Any] = {}
        files: list[tuple[list[FieldDescriptor], FilePart]] = []
        if self.body:
            if request.is_multipart:
                files = self._apply_form(request, payload)
            else:
                self._apply_json_body(request.body, payload)
        elif request.body.strip():
            raise TranscodingError("此接口不接受请求体")
        self._apply_query(request.query, payload)
        for field_path, value in variables.items():
            fields = resolve_field_path(self.request_type, field_path)
            if fields is None:  # checked when the route was built
                raise TranscodingError(f"路径变量 {field_path} 无对应字段")
            _set_json_path(payload, fields, json_value_from_text(fields[-1], value))
        message = message_class()
        try:
            json_format.ParseDict(payload, message)
        except json_format.ParseError as exc:
            raise TranscodingError(f"请求参数无法解析：{exc}") from exc
        for fields, part in files:
            _assign_file(message, fields, part)
        return message

    def _apply_json_body(self, body: bytes, payload: dict[str, Any]) -> None:
        if not body.strip():
            return
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TranscodingError(f"请求体不是有效的 JSON：{exc}") from exc
        if self.body == "*":
            if not isinstance(document, dict):
                raise TranscodingError("请求体须为 JSON 对象")
            payload.update(document)
        else:
            body_field = self.request_type.fields_by_name[self.body]
            payload[body_field.json_name] = document

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

    def _apply_query(self, query: Iterable[tuple[str, str]], payload: dict[str, Any]) -> None:
        allowed = {}
        for name, fields in self.query_fields():
            allowed[name] = fields
            allowed[".".join(f.name for f in fields)] = fields
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
        problem = _check_value(leaf, value)
        if problem:
            violations.append((name, problem))
            return
        _set_json_path(payload, fields, value, append=is_repeated(leaf))

    def render_response(self, response: Message) -> Any:
        """The proto3 JSON of the response (or of its ``response_body`` field), every field present."""
        document = message_to_json(response)
        if self.response_body:
            return document.get(self.response_type.fields_by_name[self.response_body].json_name)
        return document


def message_to_json(message: Message) -> dict[str, Any]:
    """Every field present: defaults as themselves, unset message and ``optional`` fields as null."""
    document = json_format.MessageToDict(message, always_print_fields_with_no_presence=True)
    _add_nulls(message.DESCRIPTOR, document)
    return document


# Well-known messages whose JSON form is not an object of their own fields.
_OPAQUE_JSON = SCALAR_MESSAGES | {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue",
                                  "google.protobuf.Any", "google.protobuf.Empty"}


def _add_nulls(message_descriptor: descriptor.Descriptor, document: dict[str, Any]) -> None:
    for f in message_descriptor.fields:
        value = document.get(f.json_name)
        if f.json_name not in document:
            if not is_repeated(f):
                document[f.json_name] = None
            continue
        if f.type != FieldDescriptor.TYPE_MESSAGE or _is_map(f) or f.message_type.full_name in _OPAQUE_JSON:
            continue
        for item in value if is_repeated(f) else [value]:
            if isinstance(item, dict):
                _add_nulls(f.message_type, item)


def _check_value(f: FieldDescriptor, value: Any) -> str | None:
    """Parse one value with protobuf's own rules, so the error names the parameter."""
    holder = message_factory.GetMessageClass(f.containing_type)()
    try:
        json_format.ParseDict({f.json_name: [value] if is_repeated(f) else value}, holder)
    except json_format.ParseError:
        if f.type == FieldDescriptor.TYPE_ENUM:
            names = "、".join(v.name for v in f.enum_type.values if v.number != 0)
            return f"取值 {value!r} 无效，可选：{names}"
        return f"取值 {value!r} 无效（应为{_describe_type(f)}）"
    return None


def _describe_type(f: FieldDescriptor) -> str:
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


def _collect_leaves(message_descriptor: descriptor.Descriptor, prefix: list[FieldDescriptor], bound: set[str],
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
            _collect_leaves(f.message_type, path, bound, excluded_top, out,
                            (*seen, message_descriptor.full_name))


def _proto_path(message_descriptor: descriptor.Descriptor, dotted: str) -> str:
    fields = resolve_field_path(message_descriptor, dotted)
    return ".".join(f.name for f in fields) if fields else dotted


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

    def match(self, http_method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        method = "GET" if http_method == "HEAD" else http_method
        for route in self.routes:
            if route.http_method != method:
                continue
            variables = route.template.match(raw_path)
            if variables is not None:
                return route, variables
        return None

    def allowed_methods(self, raw_path: str) -> list[str]:
        """The HTTP methods some route answers at this path (for 405 and ``Allow``)."""
        return sorted({r.http_method for r in self.routes if r.template.match(raw_path) is not None})


def services_of_modules(modules: Iterable[Any]) -> list[descriptor.ServiceDescriptor]:
    services = []
    for module in modules:
        services.extend(module.DESCRIPTOR.services_by_name.values())
    return services
