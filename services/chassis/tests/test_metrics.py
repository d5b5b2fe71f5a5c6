"""Metrics a Prometheus scrape reads: per-method calls and errors of a served service, the relay, the consumer."""

from __future__ import annotations

import json
import threading
import uuid

import grpc
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from services.chassis import consumer, metrics
from services.chassis.cli import serve
from services.chassis.context import ServiceDefinition
from services.chassis.errors import NotFound
from services.chassis.messages import EVENTS_EXCHANGE, domain_event
from services.chassis.relay import Relay, run_relay
from services.chassis.testing import free_port, wait_until
from services.chassis.tests import probe
from services.chassis.tests.messaging_support import (
    Base,
    clear_tables,
    consuming,
    make_context,
    publish_raw,
    record_effect,
    reset_broker,
    unsent_count,
    write,
)

QUEUE = "test.metrics"


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a scrape in the text format, by name and labels."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(scrape: dict, name: str, **labels: str) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


def local_scrape() -> dict:
    return samples(metrics.metrics_text().decode())


@pytest.fixture
def context(tmp_path, rabbit_vhost):
    context = clear_tables(make_context(f"sqlite:///{tmp_path / 'metrics.db'}",
                                        reset_broker(rabbit_vhost("metrics"), [QUEUE])))
    metrics.configure_metrics("inspection")
    yield context
    context.engine.dispose()


def test_a_served_service_answers_scrapes_on_its_metrics_port_with_calls_and_errors_per_method(context, monkeypatch):
    method = f"Look{uuid.uuid4().hex[:8]}"

    def look(payload: bytes, _context) -> bytes:
        if payload == b"missing":
            raise NotFound("没有")
        return payload

    definition = ServiceDefinition(name="inspection", metadata=Base.metadata,
                                   bindings=lambda _context: [probe.binding({method: look})])
    port = free_port()
    monkeypatch.setenv("INSPECTION_METRICS_PORT", str(port))
    running = serve(definition, context, port=0)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            for _ in range(3):
                probe.unary(channel, method, b"here")
            with pytest.raises(grpc.RpcError):
                probe.unary(channel, method, b"missing")
        scrape = samples(requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text)
    finally:
        running.stop(0)
    full = f"/{probe.SERVICE}/{method}"
    assert value(scrape, "rpc_server_duration_seconds_count", rpc_method=full, rpc_grpc_status_code="OK") == 3
    assert value(scrape, "rpc_server_duration_seconds_count", rpc_method=full, rpc_grpc_status_code="NOT_FOUND") == 1
    assert value(scrape, "rpc_server_errors_total", rpc_method=full, rpc_grpc_status_code="NOT_FOUND") == 1
    assert value(scrape, "rpc_server_errors_total", rpc_method=full, rpc_grpc_status_code="OK") == 0
    # The server's metrics port closes with it.
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_the_relay_reports_what_waits_in_the_outbox_and_how_long_delivery_took(context):
    # No broker answers and no direct route takes these: they wait, and the gauges say so.
    stalled = Relay(context, amqp_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F", direct_deliveries={})
    stop = threading.Event()
    thread = threading.Thread(target=stalled.run, args=(stop,), daemon=True)
    write(context, *[domain_event("test.metrics", {"n": n}) for n in range(3)])
    thread.start()
    try:
        scrape = wait_until(lambda: (s := local_scrape()) and value(s, "outbox_depth", service="inspection") == 3
                            and s, timeout=20, what="an outbox depth of 3")
        assert value(scrape, "outbox_oldest_age_seconds", service="inspection") > 0
    finally:
        stop.set()
        thread.join(timeout=30)
    labels = {"service": "inspection", "exchange": EVENTS_EXCHANGE, "route": "broker"}
    published = value(local_scrape(), "outbox_published_total", **labels)
    lagged = value(local_scrape(), "outbox_relay_lag_seconds_count", **labels)
    stop = threading.Event()
    thread = threading.Thread(target=run_relay, args=(context,), kwargs={"stop_event": stop}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: unsent_count(context) == 0, timeout=30)
        scrape = wait_until(lambda: (s := local_scrape()) and value(s, "outbox_depth", service="inspection") == 0
                            and s, timeout=20, what="an empty outbox")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert value(scrape, "outbox_published_total", **labels) == published + 3
    assert value(scrape, "outbox_relay_lag_seconds_count", **labels) == lagged + 3
    # Once the relay stops it no longer reports the outbox.
    assert ("outbox_depth", frozenset({"service": "inspection"}.items())) not in local_scrape()


def test_the_consumer_counts_messages_by_outcome_and_reports_its_parking_lot(context, monkeypatch):
    monkeypatch.setattr(consumer, "PARKING_CHECK_SECONDS", 0.2)
    amqp_url = context.settings.amqp_url

    def handler(uow, message):
        if message.payload.get("explode"):
            raise RuntimeError("broken")
        record_effect(uow, message)

    labels = {"consumer": "metered", "queue": QUEUE}
    before = local_scrape()
    with consuming(context, "metered", [consumer.Subscription(QUEUE, EVENTS_EXCHANGE, ["test.#"], handler)]):
        for message_id, payload in [("ok-1", {}), ("ok-1", {}), ("bad", {"explode": True})]:
            publish_raw(amqp_url, EVENTS_EXCHANGE, "test.metrics", json.dumps(payload).encode(), message_id=message_id)
        scrape = wait_until(
            lambda: (s := local_scrape()) and value(s, "messaging_parking_depth", consumer="metered",
                                                     queue=f"{QUEUE}.parking") == 1 and s,
            timeout=30, what="one parked message")
    for outcome, count in [("processed", 1), ("duplicate", 1), ("parked", 1)]:
        counted = value(scrape, "messaging_consumer_messages_total", outcome=outcome, **labels)
        assert counted - value(before, "messaging_consumer_messages_total", outcome=outcome, **labels) == count
