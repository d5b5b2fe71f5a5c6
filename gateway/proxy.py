"""The endpoint behind every annotated route: match, authenticate, limit, transcode, call the service, render.

When spans are exported, each request is a SERVER span named by its route template
(``POST /v1/rare-earth/ledgers/{kind}/imports``) whose child is OpenTelemetry's own
gRPC CLIENT span; otherwise the gateway makes no span and passes the client's trace
context on as it came.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from urllib.parse import quote

import grpc
from flask import Request, Response, request
from google.protobuf.message import Message
from google.rpc import code_pb2
from opentelemetry import propagate, trace

from gateway.config import GatewaySettings
from gateway.errors import JSON_CONTENT_TYPE, GatewayError, http_status, status_json
from gateway.forwarding import BadHeader, deadline_for, request_metadata, response_headers, service_choice
from gateway.middleware import REQUEST_ID_KEY, ROUTE_KEY
from gateway.ratelimit import Limiter
from gateway.transcoder import FilePart, HttpRequest, Route, RouteTable, TranscodingError
from gateway.upstream import Upstreams
from services.chassis.audience import declared_gate
from services.chassis.auth import ANONYMOUS, Caller, TokenVerifier
from services.chassis.errors import DomainError, Unauthenticated, Unavailable
from services.chassis.grpc_errors import retry_after_of, status_from_rpc_error
from services.chassis.http_metadata import CONTENT_DISPOSITION_KEY, HTTP_CODE_KEY

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_TRANSPORT_MESSAGES = {
    code_pb2.UNAVAILABLE: "服务暂不可用，请稍后重试",
    code_pb2.DEADLINE_EXCEEDED: "服务响应超时，请稍后重试",
}
_STATUS_CODE = "http.response.status_code"
_CODES = {"UNAUTHENTICATED": code_pb2.UNAUTHENTICATED, "PERMISSION_DENIED": code_pb2.PERMISSION_DENIED}


class Proxy:
    def __init__(self, table: RouteTable, upstreams: Upstreams, verifier: TokenVerifier, limiter: Limiter,
                 settings: GatewaySettings, *, traced: bool):
        self._table = table
        self._upstreams = upstreams
        self._verifier = verifier
        self._limiter = limiter
        self._deadline = settings.deadline_seconds
        self._traced = traced
        self._tracer = trace.get_tracer("tongban.gateway")
        # Each route's audience read from its method's options once: reading them cost every call.
        self._gates = {route.method: declared_gate(route.method) for route in table.routes}

    def view(self, path: str = "") -> Response:
        """The Flask view of every path the gateway does not serve itself."""
        req: Request = request._get_current_object()  # type: ignore[attr-defined]
        raw_path = raw_path_of(req)
        if req.method == "OPTIONS":
            return self._options(raw_path)
        matched = self._table.match(req.method, raw_path)
        if matched is None:
            raise unmatched(self._table, req, raw_path)
        return self.routed(req, raw_path, *matched)

    def routed(self, req: Request, raw_path: str, route: Route, variables: dict[str, str]) -> Response:
        """The answer of a request matched to ``route``; raises GatewayError for one the gateway refuses."""
        req.environ[ROUTE_KEY] = route.template.text
        if not self._traced:
            return self._serve(req, route, raw_path, variables)
        with self._tracer.start_as_current_span(
                route.span_name, context=propagate.extract(req.headers), kind=trace.SpanKind.SERVER,
                attributes={"http.request.method": req.method, "http.route": route.template.text,
                            "url.path": req.path}, record_exception=False, set_status_on_exception=False) as span:
            try:
                answer = self._serve(req, route, raw_path, variables)
            except GatewayError as error:
                _end(span, error.http_status)
                raise
            _end(span, answer.status_code)
            return answer

    def _options(self, raw_path: str) -> Response:
        """A CORS preflight (or a plain OPTIONS): 204 with ``Allow`` where a route lives; CORS headers come after."""
        allowed = self._table.allowed_methods(raw_path)
        if not allowed:
            raise GatewayError(code_pb2.NOT_FOUND, f"没有这个接口：{request.path}")
        request.environ[ROUTE_KEY] = "OPTIONS"
        return Response(status=204, headers={"Allow": ", ".join([*allowed, "OPTIONS"])})

    def _serve(self, req: Request, route: Route, raw_path: str, variables: dict[str, str]) -> Response:
        headers = req.headers
        caller = self._authenticate(headers.get("Authorization"))
        subject = caller.account_id
        wait = self._limiter.wait(f"sub:{subject}" if subject else f"ip:{req.remote_addr}")
        if wait > 0:
            raise GatewayError(code_pb2.RESOURCE_EXHAUSTED, "请求过于频繁，请稍后再试", reason="RATE_LIMITED",
                               retry_after_seconds=wait, headers={"Retry-After": str(max(1, math.ceil(wait)))})
        # The route's declared audience before its request is read, as the service itself does: a bad body
        # from someone who may not call the route at all is refused for who it is from, not for its shape.
        # A route that declares none is left to its service (the authorization matrix test names it).
        gate = self._gates.get(route.method)
        refusal = gate.refusal(caller) if gate is not None else None
        if refusal is not None:
            extra = {"WWW-Authenticate": "Bearer"} if isinstance(refusal, Unauthenticated) else None
            raise GatewayError(_CODES[refusal.code], refusal.message, reason=refusal.reason, headers=extra)
        try:
            deadline = deadline_for(headers, self._deadline)
            metadata = request_metadata(_headers_of(req.environ), client_address=req.remote_addr, host=req.host,
                                        request_id=req.environ[REQUEST_ID_KEY], trace_headers=not self._traced)
        except BadHeader as bad:
            raise GatewayError(code_pb2.INVALID_ARGUMENT, bad.message, violations=[(bad.header, bad.message)]) from bad
        message = build_message(route, req, raw_path, variables)
        try:
            response, call = self._upstreams.call(route, message, timeout=deadline, metadata=metadata)
        except grpc.RpcError as error:
            return upstream_error(error)
        return render(route, response, call)

    def _authenticate(self, authorization: str | None) -> Caller:
        """The token's caller when a valid bearer token is present, else the anonymous one; refuses a bad token
        with 401."""
        if authorization is None:
            return ANONYMOUS
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise GatewayError(code_pb2.UNAUTHENTICATED, "Authorization 头须为 Bearer 令牌",
                               headers={"WWW-Authenticate": "Bearer"})
        try:
            return self._verifier.caller(token)
        except DomainError as error:
            if isinstance(error, Unavailable):
                # Identity could not be asked for its keys: the token may be fine, so do not call it invalid.
                raise GatewayError(code_pb2.UNAVAILABLE, "暂时无法验证访问令牌，请稍后重试",
                                   reason="JWKS_UNAVAILABLE") from error
            raise GatewayError(code_pb2.UNAUTHENTICATED, error.message, reason=error.reason,
                               headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from error


def unmatched(table: RouteTable, req: Request, raw_path: str) -> GatewayError:
    """No route for this method here: 405 naming the methods the path takes (``Allow``), or 404 when none."""
    allowed = table.allowed_methods(raw_path)
    if allowed:
        return GatewayError(code_pb2.UNIMPLEMENTED, f"此路径不支持 {req.method} 方法",
                            http_status_override=405, headers={"Allow": ", ".join(allowed)})
    return GatewayError(code_pb2.NOT_FOUND, f"没有这个接口：{req.method} {req.path}")


def _headers_of(environ: dict) -> Iterator[tuple[str, str]]:
    """The request's headers straight from the WSGI environ (``HTTP_GRPC_METADATA_X`` -> ``Grpc-Metadata-X``)."""
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            yield key[5:].replace("_", "-").title(), value


def _end(span: trace.Span, status: int) -> None:
    span.set_attribute(_STATUS_CODE, status)
    if status >= 500:
        span.set_status(trace.StatusCode.ERROR)


def raw_path_of(req: Request) -> str:
    """The path as the client sent it (still percent-encoded), which http.proto's decoding rules need."""
    raw = req.environ.get("RAW_URI") or req.environ.get("REQUEST_URI")
    if raw:
        raw = raw.split("?", 1)[0]
        if raw.startswith(("http://", "https://")):  # absolute-form request target
            raw = "/" + raw.split("/", 3)[3] if raw.count("/") >= 3 else "/"
        return raw
    return quote(req.path, safe="/:@!$&'()*+,;=-._~")


def build_message(route: Route, req: Request, raw_path: str, variables: dict[str, str]) -> Message:
    multipart = req.mimetype == "multipart/form-data"
    query = list(req.args.items(multi=True)) if req.environ.get("QUERY_STRING") else ()
    http_request = HttpRequest(
        method=req.method,
        raw_path=raw_path,
        query=query,
        body=b"" if multipart or (not route.body and not req.content_length) else req.get_data(cache=False),
        content_type=req.content_type or "",
        form=list(req.form.items(multi=True)) if multipart else (),
        files=[FilePart(name, part.read(), part.filename or "", part.mimetype or "")
               for name, part in req.files.items(multi=True)] if multipart else (),
    )
    try:
        return route.build_request(http_request, variables)
    except TranscodingError as error:
        raise GatewayError(code_pb2.INVALID_ARGUMENT, error.message, violations=error.violations) from error


def render(route: Route, response: Message, call: grpc.Call) -> Response:
    initial, trailing = call.initial_metadata(), call.trailing_metadata()
    status = 200
    chosen = service_choice(HTTP_CODE_KEY, initial, trailing)
    if chosen and chosen.isdigit() and 200 <= int(chosen) <= 299:
        status = int(chosen)
    if route.returns_http_body:
        out = Response(response.data, status=status,
                       content_type=response.content_type or "application/octet-stream")
        disposition = service_choice(CONTENT_DISPOSITION_KEY, initial, trailing)
        if disposition:
            out.headers["Content-Disposition"] = disposition
    else:
        body = json.dumps(route.render_response(response), ensure_ascii=False, separators=(",", ":"))
        out = Response(body.encode(), status=status, content_type=JSON_CONTENT_TYPE)
    for name, value in response_headers(initial or ()):
        out.headers.add(name, value)
    return out


def upstream_error(error: grpc.RpcError) -> Response:
    status = status_from_rpc_error(error)
    if status.code in _TRANSPORT_MESSAGES and not status.details and status.message.isascii():
        # Made by the gRPC transport (no connection, deadline), not by the service: say it plainly.
        status.message = _TRANSPORT_MESSAGES[status.code]
    out = Response(status_json(status), status=http_status(status.code), content_type=JSON_CONTENT_TYPE)
    if status.code == code_pb2.RESOURCE_EXHAUSTED:
        delay = retry_after_of(status)
        if delay is not None:
            out.headers["Retry-After"] = str(max(1, math.ceil(delay)))
    if status.code == code_pb2.UNAUTHENTICATED:
        out.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    initial = error.initial_metadata() if hasattr(error, "initial_metadata") else None
    for name, value in response_headers(initial or ()):
        out.headers.add(name, value)
    return out
