"""Structured logging, request ids and OpenTelemetry tracing, set up once per process.

Trace context travels HTTP -> gRPC metadata -> AMQP headers -> consumer as W3C
``traceparent``; the request id travels beside it as ``x-request-id``.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import grpc
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from services.chassis.handler_scope import metadata_value, wrap_handler_in_scope

REQUEST_ID_HEADER = "x-request-id"

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("tongban_request_id", default=None)
_service_name = "tongban"


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(request_id: str | None) -> contextvars.Token:
    return _request_id.set(request_id)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log collectors in Kubernetes parse without configuration."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            # RFC 3339 in UTC with milliseconds: ``2026-03-01T08:00:00.123+00:00``.
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": _service_name,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            entry["requestId"] = request_id
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            entry["traceId"] = format(span_context.trace_id, "032x")
            entry["spanId"] = format(span_context.span_id, "016x")
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    global _service_name
    _service_name = service
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("pika").setLevel(logging.WARNING)


OTLP_ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"


def tracing_exported(environ: Mapping[str, str] | None = None) -> bool:
    return bool((os.environ if environ is None else environ).get(OTLP_ENDPOINT_VARIABLE))


def span_exporter_from_env(environ: Mapping[str, str] | None = None) -> SpanExporter | None:
    """The OTLP/gRPC exporter when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, else None (spans stay local)."""
    environ = os.environ if environ is None else environ
    endpoint = environ.get(OTLP_ENDPOINT_VARIABLE)
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint)


def build_tracer_provider(service: str, environ: Mapping[str, str] | None = None) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": f"tongban-{service}"}))
    exporter = span_exporter_from_env(environ)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def configure_tracing(service: str) -> TracerProvider:
    """A tracer provider for this process; spans are exported only when an OTLP endpoint is set.

    Call it after a fork (gunicorn's ``post_fork``): a BatchSpanProcessor's thread does not survive one.
    """
    provider = build_tracer_provider(service)
    trace.set_tracer_provider(provider)
    return provider


def instrument_engine(engine: Any) -> None:
    """Trace the engine's SQL statements as child spans, when spans are exported at all."""
    if not tracing_exported():
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    instrumentor = SQLAlchemyInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(engine=engine)
        return
    from opentelemetry import metrics
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    # The instrumentor instruments once per process; later engines get their own tracer hook.
    usage = metrics.get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    EngineTracer(trace.get_tracer(__name__), engine, usage)


def outgoing_headers() -> dict[str, str]:
    """Headers that carry the current trace and request id onward (gRPC metadata, AMQP headers)."""
    headers: dict[str, str] = {}
    propagate.inject(headers)
    request_id = current_request_id()
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    return headers


def extract_context(headers: Mapping[str, str]):
    return propagate.extract(dict(headers))


class RequestIdInterceptor(grpc.ServerInterceptor):
    """Binds the caller's ``x-request-id`` (or a new one) for logs and onward messages."""

    def intercept_service(self, continuation, handler_call_details):
        incoming = metadata_value(handler_call_details.invocation_metadata, REQUEST_ID_HEADER)

        request_id = incoming or uuid.uuid4().hex

        @contextlib.contextmanager
        def with_request_id(_context):
            token = bind_request_id(request_id)
            try:
                yield
            finally:
                reset_request_id(token)

        return wrap_handler_in_scope(continuation(handler_call_details), handler_call_details, with_request_id)


access_log = logging.getLogger("tongban.access")


class AccessLogInterceptor(grpc.ServerInterceptor):
    """One structured line per call: method, final status, duration and caller, with the request id."""

    def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method

        @contextlib.contextmanager
        def logged(context):
            from services.chassis.auth import current_caller

            started = time.perf_counter()
            try:
                yield
            finally:
                code = context.code() or grpc.StatusCode.OK
                access_log.info("%s %s", method, code.name, extra={"fields": {
                    "grpcMethod": method, "grpcCode": code.name,
                    "durationMs": round((time.perf_counter() - started) * 1000, 2),
                    "accountId": current_caller().account_id}})

        return wrap_handler_in_scope(continuation(handler_call_details), handler_call_details, logged)


def server_interceptors() -> list[grpc.ServerInterceptor]:
    """Tracing, then the request id, then the access log (so its line carries both)."""
    from opentelemetry.instrumentation.grpc import server_interceptor

    return [server_interceptor(), RequestIdInterceptor(), AccessLogInterceptor()]
