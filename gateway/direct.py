"""The transcoded routes answered straight from WSGI, in front of Flask.

Flask's dispatch of a call (its request and app contexts, URL map, signals, session and
response processing) cost the gateway about as much CPU as the bare Flask route's whole
handling in-process, for nothing the routes use. A request that matches a route of the
table is answered here by the proxy, with the same error answers as Flask's handlers give;
Flask keeps the rest: the gateway's own endpoints, CORS preflights and every other
OPTIONS, a browser's cross-origin request (flask-cors answers it), and paths no route
matches (404 or 405 with ``Allow``, as the view says).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Request, Response

from gateway.middleware import OWN_PATHS, WsgiApp
from gateway.proxy import Proxy, raw_path_of
from gateway.transcoder import RouteTable

ErrorAnswer = Callable[[Exception, Request], Response]
_FLASK_PATHS = OWN_PATHS | {"/metrics"}


class DirectRoutes:
    def __init__(self, app: Flask, proxy: Proxy, table: RouteTable, answer_error: ErrorAnswer, *, cors: bool):
        self._flask: WsgiApp = app.wsgi_app
        self._proxy = proxy
        self._table = table
        self._answer_error = answer_error
        self._cors = cors
        self._request_class = app.request_class
        # What Flask's request reads from the app's config while a request context is pushed; none is here.
        config = app.config
        self._limits = (config["MAX_CONTENT_LENGTH"], config["MAX_FORM_MEMORY_SIZE"], config["MAX_FORM_PARTS"],
                        config["TRUSTED_HOSTS"])

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if (environ.get("REQUEST_METHOD") == "OPTIONS" or (self._cors and "HTTP_ORIGIN" in environ)
                or environ.get("PATH_INFO") in _FLASK_PATHS):
            return self._flask(environ, start_response)
        req = self._request_class(environ)
        raw_path = raw_path_of(req)
        matched = self._table.match(req.method, raw_path)
        if matched is None:
            return self._flask(environ, start_response)
        req.max_content_length, req.max_form_memory_size, req.max_form_parts, req.trusted_hosts = self._limits
        try:
            answer = self._proxy.routed(req, raw_path, *matched)
        except Exception as error:  # as Flask's handlers answer it: GatewayError, HTTPException, the rest
            answer = self._answer_error(error, req)
        return answer(environ, start_response)
