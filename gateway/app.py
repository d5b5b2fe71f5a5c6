"""The gateway's Flask app: REST/JSON in, gRPC out, by the routes in the protos' annotations.

``create_app`` is the only way in; it builds the route table once from the descriptors and
makes no connection: channels open on first use, after gunicorn has forked the worker.
Besides the routes it serves ``/healthz``, ``/readyz``, ``/openapi.json``, ``/docs`` and
``/metrics``, and answers CORS preflights for every route.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from flask import Flask, Request, Response, request
from google.rpc import code_pb2
from prometheus_client import CONTENT_TYPE_LATEST
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from gateway import metrics, openapi
from gateway.config import GatewaySettings
from gateway.direct import DirectRoutes, ErrorAnswer
from gateway.docs_page import DOCS_HTML
from gateway.errors import JSON_CONTENT_TYPE, GatewayError, status_json
from gateway.middleware import RequestScope
from gateway.proxy import ALL_METHODS, Proxy, raw_path_of, unmatched
from gateway.ratelimit import make_limiter
from gateway.transcoder import RouteTable, services_of_modules
from gateway.upstream import IdentityKeys, Upstreams, default_modules
from services.chassis.auth import TokenVerifier
from services.chassis.clients.identity import IdentityClient
from services.chassis.grpc_client import ChannelFactory
from services.chassis.metrics import configure_metrics
from services.chassis.revocations import RevocationList
from services.chassis.telemetry import tracing_exported

log = logging.getLogger("gateway")

EXPOSED_HEADERS = ("X-Request-Id", "Retry-After")
_SERVER_PLACEHOLDER = "tongban-gateway-server-url"


def create_app(settings: GatewaySettings, upstream_modules: Sequence[ModuleType] | None = None,
               channels: ChannelFactory | None = None) -> Flask:
    """The gateway for ``upstream_modules`` (default: every service's ``_pb2`` modules)."""
    modules = list(default_modules() if upstream_modules is None else upstream_modules)
    services = services_of_modules(modules)
    table = RouteTable.from_services(services)
    traced = tracing_exported() if settings.tracing is None else settings.tracing
    channels = channels or gateway_channels(settings)
    upstreams = Upstreams(channels, services, traced=traced)
    identity = IdentityClient(channels)
    keys = IdentityKeys(identity.jwks)
    revocations = RevocationList(identity.revocations, interval=settings.revocation_poll_seconds)
    verifier = TokenVerifier(keys, refetch_interval=settings.jwks_refetch_seconds, revocations=revocations)
    limiter = make_limiter(settings.rate_limit_per_second, settings.rate_limit_burst, settings.redis_url)
    proxy = Proxy(table, upstreams, verifier, limiter, settings, traced=traced)
    configure_metrics("gateway")

    app = Flask("gateway", root_path=str(Path(__file__).resolve().parent))
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.url_map.merge_slashes = False
    app.extensions["tongban_gateway"] = {"routes": table, "upstreams": upstreams, "settings": settings}
    answer_error = _error_answer(table, settings)
    app.wsgi_app = DirectRoutes(app, proxy, table, answer_error,  # type: ignore[method-assign]
                                cors=bool(settings.cors_origins))
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.wsgi_app = RequestScope(app.wsgi_app)  # type: ignore[method-assign]
    _add_error_handlers(app, answer_error)
    _add_own_endpoints(app, table, upstreams, keys, settings)
    app.add_url_rule("/", "transcode", proxy.view, defaults={"path": ""}, methods=ALL_METHODS)
    app.add_url_rule("/<path:path>", "transcode", proxy.view, methods=ALL_METHODS)
    if settings.cors_origins:
        from flask_cors import CORS

        CORS(app, origins=list(settings.cors_origins), supports_credentials=True,
             expose_headers=list(EXPOSED_HEADERS), max_age=600)
        # flask-cors looks at every response; only a browser's cross-origin request has an Origin to answer.
        cors_headers = app.after_request_funcs[None].pop()

        @app.after_request
        def cors_for_browsers(response: Response) -> Response:
            return cors_headers(response) if "Origin" in request.headers else response
    return app


def gateway_channels(settings: GatewaySettings) -> ChannelFactory:
    """Channels without the chassis' propagation interceptor: the gateway writes each call's metadata itself."""
    if settings.consul_http_addr:
        from services.chassis.discovery import ConsulResolver, consul_client

        return ChannelFactory(ConsulResolver(consul_client(settings.consul_http_addr)), interceptors=(),
                              reresolve_on_unavailable=True)
    return ChannelFactory.static(dict(settings.peers or {}), interceptors=())


def _error_answer(table: RouteTable, settings: GatewaySettings) -> ErrorAnswer:
    """How an error raised while answering a request is answered, in Flask's handlers and in DirectRoutes."""

    def answer(error: Exception, req: Request) -> Response:
        if isinstance(error, GatewayError):
            return error_response(error)
        if isinstance(error, MethodNotAllowed):
            # A method no route takes (TRACE, say): Flask refused it before the proxy could; answer the same way.
            return error_response(unmatched(table, req, raw_path_of(req)))
        if isinstance(error, RequestEntityTooLarge):
            limit = settings.max_body_bytes
            return error_response(GatewayError(code_pb2.INVALID_ARGUMENT, f"请求体超过上限（{limit} 字节）",
                                               reason="BODY_TOO_LARGE", http_status_override=413))
        if isinstance(error, HTTPException):
            return error_response(GatewayError(code_pb2.UNKNOWN, error.description or error.name,
                                               http_status_override=error.code or 500))
        log.exception("unhandled error in the gateway")
        return error_response(GatewayError(code_pb2.INTERNAL, "网关内部错误，请稍后重试"))

    return answer


def _add_error_handlers(app: Flask, answer: ErrorAnswer) -> None:
    @app.errorhandler(GatewayError)
    def gateway_error(error: GatewayError) -> Response:
        return answer(error, request)

    @app.errorhandler(HTTPException)
    def http_exception(error: HTTPException) -> Response:
        return answer(error, request)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        return answer(error, request)


def _add_own_endpoints(app: Flask, table: RouteTable, upstreams: Upstreams, keys: IdentityKeys,
                       settings: GatewaySettings) -> None:
    # Built once; the ``servers`` URL (the configured public one, else where this request came) goes in per request.
    openapi_cache: list[bytes] = []

    @app.get("/healthz")
    def healthz() -> Response:
        return _json({"status": "SERVING"})

    @app.get("/readyz")
    def readyz() -> Response:
        # Ready when the gateway itself is and it holds identity's keys; an upstream that is down
        # answers 503 on its own routes, it does not take the gateway out of service.
        ready = keys.ensure()
        return _json({"status": "SERVING" if ready else "NOT_SERVING", "identityKeys": keys.count,
                      "upstreams": upstreams.readiness()}, 200 if ready else 503)

    @app.get("/openapi.json")
    def openapi_json() -> Response:
        if not openapi_cache:
            document = openapi.build_document(table.routes, server=_SERVER_PLACEHOLDER)
            openapi_cache.append(json.dumps(document, ensure_ascii=False, indent=1).encode())
        server = json.dumps(settings.public_url or request.host_url.rstrip("/"), ensure_ascii=False)[1:-1]
        return Response(openapi_cache[0].replace(_SERVER_PLACEHOLDER.encode(), server.encode(), 1),
                        content_type=JSON_CONTENT_TYPE)

    @app.get("/docs")
    def docs() -> Response:
        return Response(DOCS_HTML, content_type="text/html; charset=utf-8")

    @app.get("/metrics")
    def metrics_page() -> Response:
        return Response(metrics.scrape(), content_type=CONTENT_TYPE_LATEST)


def error_response(error: GatewayError) -> Response:
    out = Response(status_json(error.to_status()), status=error.http_status, content_type=JSON_CONTENT_TYPE)
    for name, value in error.headers.items():
        out.headers[name] = value
    return out


def _json(document: object, status: int = 200) -> Response:
    return Response(json.dumps(document, ensure_ascii=False).encode(), status=status, content_type=JSON_CONTENT_TYPE)


def create_app_from_env() -> Flask:
    """The gateway as configured by the environment (what gunicorn serves in each worker)."""
    return create_app(GatewaySettings.from_env())
