"""Spans, when they are exported: one per request named by its route template, OpenTelemetry's gRPC span inside."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_spans_are_named_by_route_template_with_a_grpc_client_span_inside(make_client):
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    client = make_client(tracing=True)
    response = client.get("/v1/echo/shelves/s1/things/t9", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200
    assert client.get("/v1/echo/things/missing").status_code == 404
    spans = exporter.get_finished_spans()
    exporter.shutdown()
    server = [s for s in spans if s.kind == trace.SpanKind.SERVER and s.name.startswith("GET /v1/echo/")]
    assert [s.name for s in server] == ["GET /v1/echo/shelves/{shelf}/things/{id}", "GET /v1/echo/things/{id}"]
    assert server[0].attributes["http.route"] == "/v1/echo/shelves/{shelf}/things/{id}"
    assert server[1].attributes["http.response.status_code"] == 404
    assert format(server[0].context.trace_id, "032x") == TRACEPARENT.split("-")[1]
    calls = [s for s in spans
             if s.kind == trace.SpanKind.CLIENT and s.name == "/tongban.testing.v1.EchoService/GetThing"]
    assert calls and calls[0].parent.span_id == server[0].context.span_id
