"""Around every request, outside Flask: its request id, its metrics and its access line.

Done as WSGI middleware rather than Flask hooks: it reads the environ directly, once, where
hooks would pay Flask's per-hook dispatch and its context-local lookups on every request.
The request id is the client's ``X-Request-Id`` when it is a sane one, else a new one; it is
bound for the logs, sent to the service, and answered as ``X-Request-Id``. The route label
of the metrics is the route template the proxy matched (``ROUTE_KEY``), the gateway's own
path for its own endpoints, else ``unmatched``.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from gateway.metrics import record_request
from services.chassis.telemetry import bind_request_id, reset_request_id

access_log = logging.getLogger("gateway.access")

REQUEST_ID_KEY = "tongban.request_id"
ROUTE_KEY = "tongban.route"
OWN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/docs"})
# A method label is the client's choice: anything else is counted as OTHER, so series stay bounded.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RequestScope:
    def __init__(self, app: WsgiApp):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else os.urandom(16).hex()
        environ[REQUEST_ID_KEY] = request_id
        answered: list[str] = []

        def respond(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append(("X-Request-Id", request_id))
            answered.append(status)
            return start_response(status, headers, exc_info)

        token = bind_request_id(request_id)
        try:
            return self.app(environ, respond)
        finally:
            if answered:  # while the request id is still bound: the access line carries it
                self._observe(environ, int(answered[-1][:3]), time.perf_counter() - started)
            reset_request_id(token)

    @staticmethod
    def _observe(environ: dict[str, Any], status: int, seconds: float) -> None:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return  # scrapes are not traffic
        route = environ.get(ROUTE_KEY) or (path if path in OWN_PATHS else "unmatched")
        method = environ.get("REQUEST_METHOD", "")
        record_request(route, method if method in METHODS else "OTHER", status, seconds)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info("%s %s %d %.1fms", method, path, status, seconds * 1000, extra={"fields": {
                "httpRoute": route, "status": status, "durationMs": round(seconds * 1000, 2)}})
