"""The outbox relay on real RabbitMQ, against PostgreSQL and SQLite."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from services.chassis.amqp import Backoff
from services.chassis.config import REPO_ROOT
from services.chassis.messages import NOTIFY_EXCHANGE, OutboundMessage, domain_event
from services.chassis.relay import Relay, run_relay
from services.chassis.telemetry import bind_request_id, reset_request_id
from services.chassis.tests.messaging_support import (
    bind_test_queue,
    clear_tables,
    drain,
    make_context,
    outbox_rows,
    queue_depth,
    reset_broker,
    unsent_count,
    write,
)
from services.chassis.tests.messaging_support import database_url as make_database_url
from services.chassis.tests.probe import wait_until
from services.chassis.topology import EVENTS_UNROUTED_QUEUE, NOTIFY_QUEUE


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def database_url(request, postgres_database, tmp_path_factory):
    return make_database_url(request.param, postgres_database, tmp_path_factory.mktemp("relay"), "relay")


@pytest.fixture(scope="module")
def vhost(rabbit_vhost):
    return rabbit_vhost("relay")


@pytest.fixture
def amqp_url(vhost):
    return reset_broker(vhost, ["test.events", "test.full", "test.order", "test.loop", "test.shared"])


@pytest.fixture
def context(database_url, amqp_url):
    context = clear_tables(make_context(database_url, amqp_url))
    yield context
    context.engine.dispose()


def relay_all(relay: Relay, limit: int = 100) -> int:
    sent = 0
    for _ in range(limit):
        batch = relay.relay_batch()
        sent += batch.sent
        if batch.claimed == 0:
            return sent
    raise AssertionError("the outbox did not empty")


def test_relay_publishes_persistent_messages_and_marks_them_sent_after_the_ack(context, amqp_url):
    bind_test_queue(amqp_url, "test.events", "tongban.events", "test.#")
    parent = SpanContext(trace_id=0x1234, span_id=0x5678, is_remote=False, trace_flags=TraceFlags(1))
    token = bind_request_id("req-42")
    try:
        with trace.use_span(NonRecordingSpan(parent)):
            write(context, domain_event("test.thing.created", {"id": "a1", "名称": "稀土"}))
    finally:
        reset_request_id(token)
    relay = Relay(context)
    try:
        assert relay.relay_once() == 1
    finally:
        relay.close()

    [row] = outbox_rows(context)
    assert row["sent_at"] is not None and row["attempts"] == 0 and row["last_error"] is None
    [(properties, body)] = drain(amqp_url, "test.events")
    assert json.loads(body) == {"id": "a1", "名称": "稀土"}
    assert properties.delivery_mode == 2
    assert properties.message_id == row["message_id"]
    assert properties.content_type == "application/json"
    assert properties.headers["x-request-id"] == "req-42"
    assert properties.headers["traceparent"].startswith(f"00-{0x1234:032x}-{0x5678:016x}-")


def test_a_message_the_broker_nacks_stays_unsent_with_the_error(context, amqp_url):
    # A full queue that rejects publishes makes the broker nack the second message.
    bind_test_queue(amqp_url, "test.full", "tongban.events", "test.full",
                    arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    first, second = domain_event("test.full", {"n": 1}), domain_event("test.full", {"n": 2})
    write(context, first)
    write(context, second)
    relay = Relay(context)
    try:
        assert relay.relay_once() == 1
    finally:
        relay.close()

    rows = {row["message_id"]: row for row in outbox_rows(context)}
    assert rows[first.message_id]["sent_at"] is not None
    assert rows[second.message_id]["sent_at"] is None
    assert rows[second.message_id]["attempts"] == 1
    assert "nack" in rows[second.message_id]["last_error"]


def test_an_unroutable_message_stays_unsent_but_an_event_without_subscribers_is_kept(context, amqp_url):
    stray = OutboundMessage(NOTIFY_EXCHANGE, "notify.nowhere", {"x": 1})
    unheard = domain_event("test.nobody.listens", {"x": 2})
    write(context, stray, unheard)
    relay = Relay(context)
    try:
        assert relay.relay_once() == 1
    finally:
        relay.close()

    rows = {row["message_id"]: row for row in outbox_rows(context)}
    assert rows[stray.message_id]["sent_at"] is None
    assert rows[stray.message_id]["attempts"] == 1
    assert "NO_ROUTE" in rows[stray.message_id]["last_error"]
    assert rows[unheard.message_id]["sent_at"] is not None
    [(properties, _body)] = drain(amqp_url, EVENTS_UNROUTED_QUEUE)
    assert properties.message_id == unheard.message_id


def test_a_message_for_a_missing_exchange_waits_without_blocking_the_others(context, amqp_url):
    lost = OutboundMessage("tongban.nowhere", "x", {"x": 1})
    after = domain_event("test.after", {"x": 2})
    write(context, lost, after)
    relay = Relay(context)
    try:
        assert relay.relay_once() == 1
        assert relay.relay_once() == 0  # the failed row waits out its back-off; nothing else to do
    finally:
        relay.close()

    rows = {row["message_id"]: row for row in outbox_rows(context)}
    assert rows[lost.message_id]["sent_at"] is None
    assert "does not exist" in rows[lost.message_id]["last_error"]
    assert rows[after.message_id]["sent_at"] is not None


def test_rows_are_published_in_the_order_they_were_written_across_batches(context, amqp_url):
    bind_test_queue(amqp_url, "test.order", "tongban.events", "test.#")
    written = []
    for chunk in range(7):
        messages = [domain_event("test.order", {"n": chunk * 50 + i}) for i in range(50)]
        write(context, *messages)
        written += [m.message_id for m in messages]
    relay = Relay(context, batch_size=60)
    try:
        assert relay_all(relay) == len(written)
    finally:
        relay.close()

    assert [properties.message_id for properties, _ in drain(amqp_url, "test.order")] == written
    assert unsent_count(context) == 0


def test_notification_requests_reach_the_notify_queue(context, amqp_url):
    from services.chassis.messages import notification_request, phone_recipient

    request = notification_request(system="inspection", category="CODE", template="login_code",
                                   recipients=[phone_recipient("13800000000")], channels=["SMS"],
                                   params={"code": "123456"}, high_priority=False)
    write(context, request)
    relay = Relay(context)
    try:
        assert relay.relay_once() == 1
    finally:
        relay.close()
    [(properties, body)] = drain(amqp_url, NOTIFY_QUEUE)
    assert properties.message_id == request.message_id
    assert json.loads(body)["params"] == {"code": "123456"}


def test_run_relay_keeps_relaying_until_stopped(context, amqp_url):
    bind_test_queue(amqp_url, "test.loop", "tongban.events", "test.#")
    stop = threading.Event()
    thread = threading.Thread(target=run_relay, args=(context,), kwargs={"stop_event": stop}, daemon=True)
    thread.start()
    try:
        write(context, *[domain_event("test.loop", {"n": n}) for n in range(3)])
        wait_until(lambda: unsent_count(context) == 0, timeout=30)
        write(context, domain_event("test.loop", {"n": 3}))
        wait_until(lambda: unsent_count(context) == 0, timeout=30)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert queue_depth(amqp_url, "test.loop") == 4


def test_two_relays_on_postgresql_never_publish_the_same_row(postgres_database, amqp_url):
    context = make_context(postgres_database("two_relays"), amqp_url)
    bind_test_queue(amqp_url, "test.shared", "tongban.events", "test.#")
    for chunk in range(20):
        write(context, *[domain_event("test.shared", {"n": chunk * 100 + i}) for i in range(100)])
    relays = [Relay(context, batch_size=50, reconnect_backoff=Backoff(0.1, 0.5)) for _ in range(2)]
    sent = [0, 0]
    errors: list[BaseException] = []

    def drain_outbox(index: int) -> None:
        try:
            sent[index] = relay_all(relays[index], limit=1000)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            relays[index].close()

    threads = [threading.Thread(target=drain_outbox, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sum(sent) == 2000
    ids = [properties.message_id for properties, _ in drain(amqp_url, "test.shared")]
    assert len(ids) == 2000
    assert len(set(ids)) == 2000


def test_the_relay_command_relays_and_stops_cleanly_on_sigterm(tmp_path, amqp_url):
    database = f"sqlite:///{tmp_path / 'command.db'}"
    context = make_context(database, amqp_url)
    write(context, domain_event("test.command", {"n": 1}))
    script = ("import sys; from services.chassis.relay import run_relay; "
              "from services.chassis.tests.messaging_support import make_context; "
              "sys.exit(run_relay(make_context(sys.argv[1], sys.argv[2])))")
    process = subprocess.Popen([sys.executable, "-c", script, database, amqp_url], cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: unsent_count(context) == 0 or process.poll() is not None, timeout=60)
        assert unsent_count(context) == 0, process.stderr.read().decode()[-2000:] if process.poll() else ""
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
