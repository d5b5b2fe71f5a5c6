"""The gateway's Flask app: REST/JSON in, gRPC out, by the routes in the protos' annotations.

``create_app`` is the only way in; it builds the route table once from the descriptors and
makes no connection: channels open on first use, after gunicorn has forked the worker.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

import grpc
from flask import Flask, Response, g, request
from google.rpc import code_pb2
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from gateway import openapi
from gateway.config import GatewaySettings
from gateway.docs_page import DOCS_HTML
from gateway.errors import JSON_CONTENT_TYPE, GatewayError, http_status, retry_after_of, status_json
from gateway.forwarding import (
    BadHeader,
    deadline_for,
    request_metadata,
    response_headers,
    service_choice,
)
from gateway.transcoder import FilePart, HttpRequest, Route, RouteTable, TranscodingError, services_of_modules
from gateway.upstream import Upstreams, default_modules
from services.chassis.auth import TokenVerifier
from services.chassis.clients.identity import IdentityClient
from services.chassis.discovery import channel_factory
from services.chassis.errors import DomainError, Unavailable
from services.chassis.grpc_client import ChannelFactory
from services.chassis.grpc_errors import status_from_rpc_error
from services.chassis.http_metadata import CONTENT_DISPOSITION_KEY, HTTP_CODE_KEY
from services.chassis.ratelimit import KeyedTokenBuckets
from services.chassis.telemetry import REQUEST_ID_HEADER, bind_request_id, reset_request_id

log = logging.getLogger("gateway")
access_log = logging.getLogger("gateway.access")

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_TRANSPORT_MESSAGES = {
    code_pb2.UNAVAILABLE: "服务暂不可用，请稍后重试",
    code_pb2.DEADLINE_EXCEEDED: "服务响应超时，请稍后重试",
}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")


def create_app(settings: GatewaySettings, upstream_modules: Sequence[ModuleType] | None = None,
               channels: ChannelFactory | None = None) -> Flask:
    """The gateway for ``upstream_modules`` (default: every service's ``_pb2`` modules)."""
    modules = list(default_modules() if upstream_modules is None else upstream_modules)
    services = services_of_modules(modules)
    table = RouteTable.from_services(services)
    if channels is None:
        channels = channel_factory(dict(settings.peers or {}), settings.consul_http_addr)
    upstreams = Upstreams(channels, services)
    verifier = TokenVerifier(IdentityClient(channels).jwks, refetch_interval=settings.jwks_refetch_seconds)
    # Per worker process: a client's real ceiling is this rate times the workers (and pods).
    limiter = KeyedTokenBuckets(settings.rate_limit_per_second, settings.rate_limit_burst)

    app = Flask("gateway", root_path=str(Path(__file__).resolve().parent))
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.url_map.merge_slashes = False
    app.extensions["tongban_gateway"] = {"routes": table, "upstreams": upstreams, "settings": settings}
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    _instrument(app)
    openapi_cache: dict[str, bytes] = {}

    @app.before_request
    def start_request() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_id_token = bind_request_id(g.request_id)
        g.started = time.perf_counter()

    @app.after_request
    def finish_request(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        access_log.info("%s %s %d %.1fms", request.method, request.path, response.status_code, elapsed_ms)
        return response

    @app.teardown_request
    def unbind_request(_error: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            reset_request_id(token)

    @app.errorhandler(GatewayError)
    def gateway_error(error: GatewayError) -> Response:
        return _error_response(error)

    @app.errorhandler(HTTPException)
    def http_exception(error: HTTPException) -> Response:
        if isinstance(error, RequestEntityTooLarge):
            limit = settings.max_body_bytes
            return _error_response(GatewayError(code_pb2.INVALID_ARGUMENT, f"请求体超过上限（{limit} 字节）",
                                                reason="BODY_TOO_LARGE", http_status_override=413))
        return _error_response(GatewayError(code_pb2.UNKNOWN, error.description or error.name,
                                            http_status_override=error.code or 500))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unhandled error in the gateway")
        return _error_response(GatewayError(code_pb2.INTERNAL, "网关内部错误，请稍后重试"))

    @app.get("/healthz")
    def healthz() -> Response:
        return _json({"status": "SERVING"})

    @app.get("/readyz")
    def readyz() -> Response:
        upstream_status = upstreams.readiness()
        ready = all(s == "SERVING" for per in upstream_status.values() for s in per.values())
        return _json({"status": "SERVING" if ready else "NOT_SERVING", "upstreams": upstream_status},
                     200 if ready else 503)

    @app.get("/openapi.json")
    def openapi_json() -> Response:
        if "document" not in openapi_cache:
            document = openapi.build_document(table.routes, modules)
            openapi_cache["document"] = json.dumps(document, ensure_ascii=False, indent=1).encode()
        return Response(openapi_cache["document"], content_type=JSON_CONTENT_TYPE)

    @app.get("/docs")
    def docs() -> Response:
        return Response(DOCS_HTML, content_type="text/html; charset=utf-8")

    @app.route("/", defaults={"path": ""}, methods=ALL_METHODS)
    @app.route("/<path:path>", methods=ALL_METHODS)
    def transcode(path: str) -> Response:
        raw_path = _raw_path()
        matched = table.match(request.method, raw_path)
        if matched is None:
            allowed = table.allowed_methods(raw_path)
            if allowed:
                raise GatewayError(code_pb2.UNIMPLEMENTED, f"此路径不支持 {request.method} 方法",
                                   http_status_override=405, headers={"Allow": ", ".join(allowed)})
            raise GatewayError(code_pb2.NOT_FOUND, f"没有这个接口：{request.method} {request.path}")
        route, variables = matched
        subject = _authenticate(verifier)
        _limit(limiter, subject)
        try:
            deadline = deadline_for(request.headers, settings.deadline_seconds)
            metadata = request_metadata(request.headers.items(), client_address=request.remote_addr,
                                        host=request.host, request_id=g.request_id)
        except BadHeader as bad:
            raise GatewayError(code_pb2.INVALID_ARGUMENT, bad.message, violations=[(bad.header, bad.message)]) from bad
        message = _build_request(route, raw_path, variables)
        try:
            response, call = upstreams.call(route, message, timeout=deadline, metadata=metadata)
        except grpc.RpcError as error:
            return _upstream_error(error)
        return _render(route, response, call)

    return app


def _instrument(app: Flask) -> None:
    from opentelemetry.instrumentation.flask import FlaskInstrumentor

    FlaskInstrumentor().instrument_app(app, excluded_urls="healthz,readyz")


def _raw_path() -> str:
    """The path as the client sent it (still percent-encoded), which http.proto's decoding rules need."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        raw = raw.split("?", 1)[0]
        if raw.startswith(("http://", "https://")):  # absolute-form request target
            raw = "/" + raw.split("/", 3)[3] if raw.count("/") >= 3 else "/"
        return raw
    return quote(request.path, safe="/:@!$&'()*+,;=-._~")


def _authenticate(verifier: TokenVerifier) -> str | None:
    """The token's subject when a valid bearer token is present; refuses a bad one with 401."""
    authorization = request.headers.get("Authorization")
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GatewayError(code_pb2.UNAUTHENTICATED, "Authorization 头须为 Bearer 令牌",
                           headers={"WWW-Authenticate": "Bearer"})
    try:
        claims = verifier.verify(token.strip())
    except DomainError as error:
        if isinstance(error, Unavailable):
            # Identity could not be asked for its keys: the token may be fine, so do not call it invalid.
            raise GatewayError(code_pb2.UNAVAILABLE, "暂时无法验证访问令牌，请稍后重试",
                               reason="JWKS_UNAVAILABLE") from error
        raise GatewayError(code_pb2.UNAUTHENTICATED, error.message, reason=error.reason,
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from error
    return str(claims["sub"])


def _limit(limiter: KeyedTokenBuckets, subject: str | None) -> None:
    key = f"sub:{subject}" if subject else f"ip:{request.remote_addr}"
    wait = limiter.take(key)
    if wait > 0:
        raise GatewayError(code_pb2.RESOURCE_EXHAUSTED, "请求过于频繁，请稍后再试", reason="RATE_LIMITED",
                           retry_after_seconds=wait, headers={"Retry-After": str(max(1, math.ceil(wait)))})


def _build_request(route: Route, raw_path: str, variables: dict[str, str]):
    multipart = request.mimetype == "multipart/form-data"
    http_request = HttpRequest(
        method=request.method,
        raw_path=raw_path,
        query=list(request.args.items(multi=True)),
        body=b"" if multipart else request.get_data(cache=False),
        content_type=request.content_type or "",
        form=list(request.form.items(multi=True)) if multipart else (),
        files=[FilePart(name, part.read(), part.filename or "", part.mimetype or "")
               for name, part in request.files.items(multi=True)] if multipart else (),
    )
    try:
        return route.build_request(http_request, variables)
    except TranscodingError as error:
        raise GatewayError(code_pb2.INVALID_ARGUMENT, error.message, violations=error.violations) from error


def _render(route: Route, response, call: grpc.Call) -> Response:
    initial, trailing = call.initial_metadata(), call.trailing_metadata()
    status = 200
    chosen = service_choice(HTTP_CODE_KEY, initial, trailing)
    if chosen and chosen.isdigit() and 200 <= int(chosen) <= 299:
        status = int(chosen)
    if route.returns_http_body:
        out = Response(response.data, status=status, content_type=response.content_type or "application/octet-stream")
        disposition = service_choice(CONTENT_DISPOSITION_KEY, initial, trailing)
        if disposition:
            out.headers["Content-Disposition"] = disposition
    else:
        body = json.dumps(route.render_response(response), ensure_ascii=False, separators=(",", ":"))
        out = Response(body.encode(), status=status, content_type=JSON_CONTENT_TYPE)
    for name, value in response_headers(initial or ()):
        out.headers.add(name, value)
    return out


def _upstream_error(error: grpc.RpcError) -> Response:
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


def _error_response(error: GatewayError) -> Response:
    out = Response(status_json(error.to_status()), status=error.http_status, content_type=JSON_CONTENT_TYPE)
    for name, value in error.headers.items():
        out.headers[name] = value
    return out


def _json(document: object, status: int = 200) -> Response:
    return Response(json.dumps(document, ensure_ascii=False).encode(), status=status, content_type=JSON_CONTENT_TYPE)


def create_app_from_env() -> Flask:
    """The gateway as configured by the environment (what gunicorn serves in each worker)."""
    return create_app(GatewaySettings.from_env())
