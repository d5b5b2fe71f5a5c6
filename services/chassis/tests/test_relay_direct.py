"""Direct delivery while no broker answers, and the way back to the broker."""

from __future__ import annotations

import logging

import pytest

from services.chassis.amqp import Backoff
from services.chassis.messages import (
    EVENTS_EXCHANGE,
    NOTIFY_EXCHANGE,
    InboundMessage,
    domain_event,
    notification_request,
    phone_recipient,
)
from services.chassis.relay import Relay
from services.chassis.telemetry import bind_request_id, reset_request_id
from services.chassis.tests.messaging_support import (
    FakeNotify,
    TcpProxy,
    bind_test_queue,
    clear_tables,
    drain,
    make_context,
    outbox_rows,
    reset_broker,
    serving_notify,
    write,
)
from services.chassis.tests.messaging_support import database_url as make_database_url
from services.chassis.tests.probe import free_port, wait_until
from services.chassis.topology import NOTIFY_QUEUE


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def database_url(request, postgres_database, tmp_path_factory):
    return make_database_url(request.param, postgres_database, tmp_path_factory.mktemp("direct"), "direct")


@pytest.fixture(scope="module")
def vhost(rabbit_vhost):
    return rabbit_vhost("direct")


@pytest.fixture
def amqp_url(vhost):
    return reset_broker(vhost, ["test.events"])


@pytest.fixture
def notify():
    fake = FakeNotify()
    with serving_notify(fake) as address:
        fake.address = address
        yield fake


@pytest.fixture
def proxy():
    # Not started: its port refuses connections until the test starts it.
    proxy = TcpProxy(("127.0.0.1", 5672), port=free_port())
    yield proxy
    proxy.stop()


def connected(relay: Relay) -> bool:
    relay.relay_once()
    return relay.publisher.is_open


def a_notification(code: str = "123456"):
    return notification_request(system="inspection", category="CODE", template="login_code",
                                recipients=[phone_recipient("13800000000")], channels=["SMS"],
                                params={"code": code}, high_priority=True)


def quick_relay(context, amqp_url, **kwargs) -> Relay:
    return Relay(context, amqp_url=amqp_url, reconnect_backoff=Backoff(0.01, 0.05), **kwargs)


def test_notifications_go_to_notify_over_grpc_while_no_broker_answers_then_back_to_the_broker(
        database_url, amqp_url, notify, proxy):
    context = clear_tables(make_context(database_url, amqp_url, notify_addr=notify.address))
    bind_test_queue(amqp_url, "test.events", EVENTS_EXCHANGE, "test.#")
    request, event = a_notification(), domain_event("test.waiting", {"n": 1})
    token = bind_request_id("req-7")
    try:
        write(context, request, event)
    finally:
        reset_request_id(token)
    relay = quick_relay(context, proxy.url_for(amqp_url))
    try:
        assert relay.relay_once() == 1
        [received] = notify.requests
        assert received.message_id == request.message_id
        assert received.params["code"] == "123456"
        assert received.priority == 2  # HIGH
        assert notify.metadata[0]["x-message-id"] == request.message_id
        assert notify.metadata[0]["x-request-id"] == "req-7"
        rows = {row["message_id"]: row for row in outbox_rows(context)}
        assert rows[request.message_id]["sent_at"] is not None
        # No direct route for events: it waits, untouched, for the broker.
        assert rows[event.message_id]["sent_at"] is None and rows[event.message_id]["attempts"] == 0

        proxy.start()
        wait_until(lambda: relay.relay_once() == 1, timeout=30)
        later = a_notification("654321")
        write(context, later)
        assert relay.relay_once() == 1
    finally:
        relay.close()

    assert len(notify.requests) == 1
    [(event_properties, _)] = drain(amqp_url, "test.events")
    assert event_properties.message_id == event.message_id
    assert [p.message_id for p, _ in drain(amqp_url, "notify.requests.high")] == [later.message_id]
    assert drain(amqp_url, NOTIFY_QUEUE) == []


def test_a_failed_direct_delivery_keeps_the_row_for_a_retry(database_url, amqp_url, notify, proxy):
    context = clear_tables(make_context(database_url, amqp_url, notify_addr=notify.address))
    request = a_notification()
    write(context, request)
    notify.failing = True
    relay = quick_relay(context, proxy.url_for(amqp_url))
    try:
        assert relay.relay_once() == 0
        [row] = outbox_rows(context)
        assert row["sent_at"] is None and row["attempts"] == 1
        assert "UNAVAILABLE" in row["last_error"]

        notify.failing = False
        wait_until(lambda: relay.relay_once() == 1, timeout=30)
    finally:
        relay.close()
    assert [r.message_id for r in notify.requests] == [request.message_id]


def test_a_service_routes_its_own_exchanges_and_may_drop_the_default(database_url, amqp_url, proxy):
    context = clear_tables(make_context(database_url, amqp_url))
    delivered: list[InboundMessage] = []
    event, request = domain_event("test.local", {"n": 1}), a_notification()
    write(context, event, request)
    relay = quick_relay(context, proxy.url_for(amqp_url),
                        direct_deliveries={EVENTS_EXCHANGE: delivered.append, NOTIFY_EXCHANGE: None})
    try:
        assert relay.relay_once() == 1
    finally:
        relay.close()
    [message] = delivered
    assert (message.message_id, message.exchange, message.routing_key) == (event.message_id, EVENTS_EXCHANGE,
                                                                           "test.local")
    assert message.payload == {"n": 1}
    rows = {row["message_id"]: row for row in outbox_rows(context)}
    assert rows[request.message_id]["sent_at"] is None


def test_an_outage_is_logged_once_and_so_is_the_recovery(tmp_path, amqp_url, notify, proxy, caplog):
    context = make_context(f"sqlite:///{tmp_path / 'log.db'}", amqp_url, notify_addr=notify.address)
    relay = quick_relay(context, proxy.url_for(amqp_url))
    caplog.set_level(logging.INFO, logger="services.chassis.relay")
    try:
        for _ in range(5):
            write(context, a_notification())
            relay.relay_once()
        proxy.start()
        wait_until(lambda: connected(relay), timeout=30)
    finally:
        relay.close()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    recoveries = [r for r in caplog.records if "answers again" in r.getMessage()]
    assert len(errors) == 1 and "does not answer" in errors[0].getMessage()
    assert len(recoveries) == 1
    assert len(notify.requests) == 5


def test_a_lost_connection_switches_to_direct_delivery(tmp_path, amqp_url, notify, proxy):
    context = make_context(f"sqlite:///{tmp_path / 'lost.db'}", amqp_url, notify_addr=notify.address)
    proxy.start()
    relay = quick_relay(context, proxy.url_for(amqp_url))
    first = a_notification("111111")
    try:
        write(context, first)
        assert relay.relay_once() == 1
        assert relay.publisher.is_open
        proxy.stop()
        write(context, a_notification("222222"))
        # The first try may still use the cut connection and fail; the row is kept and goes directly next.
        wait_until(lambda: relay.relay_once() == 1, timeout=30)
    finally:
        relay.close()
    assert [r.params["code"] for r in notify.requests] == ["222222"]
    assert [p.message_id for p, _ in drain(amqp_url, "notify.requests.high")] == [first.message_id]
