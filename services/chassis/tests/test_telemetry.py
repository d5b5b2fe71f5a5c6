import io
import json
import logging
import re

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import MetaData, select

from services.chassis import telemetry
from services.chassis.db import make_engine, make_session_factory
from services.chassis.grpc_client import ChannelFactory
from services.chassis.messages import domain_event
from services.chassis.outbox import define_message_tables
from services.chassis.telemetry import (
    bind_request_id,
    current_request_id,
    extract_context,
    outgoing_headers,
    reset_request_id,
    server_interceptors,
    span_exporter_from_env,
)
from services.chassis.tests import probe
from services.chassis.uow import UnitOfWork

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING = {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}


@pytest.fixture(scope="module")
def tracer():
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    return provider.get_tracer("tongban.tests")


def trace_id_of_current_span() -> str:
    return format(trace.get_current_span().get_span_context().trace_id, "032x")


@pytest.fixture
def json_log():
    """Root logging as a service sets it up, captured; restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    telemetry.configure_logging("inspection")
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)
    yield buffer
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def test_a_trace_from_http_reaches_grpc_the_outbox_and_the_consumer(tracer, tmp_path, json_log):
    metadata_tables = define_message_tables(MetaData())
    engine = make_engine(f"sqlite:///{tmp_path / 'trace.db'}")
    metadata_tables.outbox.metadata.create_all(engine)
    seen = {}

    def handler(_request, _context):
        seen["trace_id"] = trace_id_of_current_span()
        seen["request_id"] = current_request_id()
        logging.getLogger("services.inspection").info("申请已受理")
        with UnitOfWork(make_session_factory(engine), metadata_tables, header_source=outgoing_headers) as uow:
            uow.publish(domain_event("inspection.application.submitted", {"applicationId": "a1"}))
            uow.commit()
        return b"ok"

    with probe.serving([probe.binding({"Submit": handler})], server_interceptors()) as running:
        factory = ChannelFactory.static({"inspection": f"127.0.0.1:{running.port}"})
        token = bind_request_id("req-from-gateway")
        try:
            with tracer.start_as_current_span("POST /v1/inspection/applications", context=extract_context(INCOMING)):
                assert probe.unary(factory.channel("inspection"), "Submit") == b"ok"
        finally:
            reset_request_id(token)
            factory.close()

    assert seen == {"trace_id": TRACE_ID, "request_id": "req-from-gateway"}
    with engine.connect() as connection:
        headers = json.loads(connection.execute(select(metadata_tables.outbox.c.headers)).scalar_one())
    engine.dispose()
    assert TRACE_ID in headers["traceparent"]
    assert headers["x-request-id"] == "req-from-gateway"

    # The consumer continues the trace from the AMQP message's headers.
    with tracer.start_as_current_span("consume inspection.application.submitted",
                                      context=extract_context(headers)):
        assert trace_id_of_current_span() == TRACE_ID

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    [logged] = [line for line in lines if line["message"] == "申请已受理"]
    assert logged["service"] == "inspection"
    assert logged["requestId"] == "req-from-gateway"
    assert logged["traceId"] == TRACE_ID
    assert logged["level"] == "INFO"


def test_outgoing_headers_are_empty_outside_any_trace_or_request():
    assert outgoing_headers() == {}


def test_a_log_line_outside_a_request_has_no_request_or_trace_id(json_log):
    logging.getLogger("services.inspection").warning("定时任务开始")
    entry = json.loads(json_log.getvalue().splitlines()[-1])
    assert entry["message"] == "定时任务开始"
    assert "requestId" not in entry
    assert "traceId" not in entry


def test_an_otlp_endpoint_enables_the_otlp_exporter():
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    assert span_exporter_from_env({}) is None
    exporter = span_exporter_from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317"})
    try:
        assert isinstance(exporter, OTLPSpanExporter)
    finally:
        exporter.shutdown()


def test_engines_are_traced_only_when_spans_are_exported(monkeypatch, tmp_path):
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    instrumented = []
    monkeypatch.setattr(SQLAlchemyInstrumentor, "instrument", lambda self, **kw: instrumented.append(kw))
    monkeypatch.setattr(SQLAlchemyInstrumentor, "is_instrumented_by_opentelemetry", False, raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    quiet = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    assert instrumented == []
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
    traced = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    assert instrumented == [{"engine": traced}]
    quiet.dispose()
    traced.dispose()


def test_every_call_leaves_one_access_log_line_with_its_status_duration_and_request_id(json_log):
    from services.chassis.errors import NotFound
    from services.chassis.interceptors import ErrorInterceptor

    def missing(_request, _context):
        raise NotFound("没有这条记录")

    bindings = [probe.binding({"Found": lambda _r, _c: b"ok", "Missing": missing})]
    with probe.serving(bindings, [*server_interceptors(), ErrorInterceptor()]) as running:
        factory = ChannelFactory.static({"inspection": f"127.0.0.1:{running.port}"})
        try:
            channel = factory.channel("inspection")
            assert probe.unary(channel, "Found", metadata=[("x-request-id", "req-access-1")]) == b"ok"
            with pytest.raises(grpc.RpcError):
                probe.unary(channel, "Missing")
        finally:
            factory.close()

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    access = {line["grpcMethod"].rsplit("/", 1)[1]: line for line in lines if line["logger"] == "tongban.access"}
    assert access["Found"]["grpcCode"] == "OK" and access["Found"]["requestId"] == "req-access-1"
    assert access["Missing"]["grpcCode"] == "NOT_FOUND"
    assert all(line["durationMs"] >= 0 for line in access.values())


def test_log_times_are_rfc3339_in_utc_with_milliseconds(json_log):
    logging.getLogger("tongban.tests").warning("a line")
    stamp = json.loads(json_log.getvalue().splitlines()[-1])["time"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", stamp), stamp
