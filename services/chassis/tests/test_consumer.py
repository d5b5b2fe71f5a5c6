"""The idempotent consumer on real RabbitMQ, against PostgreSQL and SQLite."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import textwrap
import threading
import uuid

import pytest
from opentelemetry import trace
from sqlalchemy import func, select, text

from services.chassis.config import REPO_ROOT
from services.chassis.consumer import Subscription, process_message
from services.chassis.messages import EVENTS_EXCHANGE, InboundMessage, domain_event
from services.chassis.relay import Relay
from services.chassis.telemetry import current_request_id
from services.chassis.tests.messaging_support import (
    Effect,
    TcpProxy,
    clear_tables,
    consuming,
    drain,
    effect_ids,
    make_context,
    outbox_rows,
    publish_raw,
    queue_depth,
    record_effect,
    reset_broker,
    write,
)
from services.chassis.tests.messaging_support import database_url as make_database_url
from services.chassis.tests.probe import free_port, wait_until
from services.chassis.uow import UnitOfWork

QUEUE = "test.consumer"
PARKING = "test.consumer.parking"


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def database_url(request, postgres_database, tmp_path_factory):
    return make_database_url(request.param, postgres_database, tmp_path_factory.mktemp("consumer"), "consumer")


@pytest.fixture(scope="module")
def vhost(rabbit_vhost):
    return rabbit_vhost("consumer")


@pytest.fixture
def amqp_url(vhost):
    return reset_broker(vhost, [QUEUE])


@pytest.fixture
def context(database_url, amqp_url):
    context = clear_tables(make_context(database_url, amqp_url))
    yield context
    context.engine.dispose()


def subscription(handler=record_effect) -> Subscription:
    return Subscription(QUEUE, EVENTS_EXCHANGE, ["test.#"], handler, prefetch=10)


def event_body(**payload) -> bytes:
    return json.dumps(payload).encode()


def inbox_ids(context) -> list[str]:
    inbox = context.tables.inbox
    with context.session_factory() as session:
        return list(session.scalars(select(inbox.c.message_id).order_by(inbox.c.message_id)))


def test_a_relayed_event_is_handled_and_acked_after_the_commit(context, amqp_url):
    event = domain_event("test.thing.created", {"id": "a1"})
    with consuming(context, "things", [subscription()]):
        write(context, event)
        relay = Relay(context)
        try:
            assert relay.relay_once() == 1
        finally:
            relay.close()
        wait_until(lambda: effect_ids(context) == [event.message_id], timeout=30)
    # Stopping the consumer would have returned an unacked message to the queue.
    assert queue_depth(amqp_url, QUEUE) == 0
    assert queue_depth(amqp_url, PARKING) == 0
    assert inbox_ids(context) == [event.message_id]


def test_each_message_is_handled_inside_its_subscriptions_around_context(context, amqp_url):
    seen: list[str] = []

    @contextlib.contextmanager
    def around():
        seen.append("enter")
        yield
        seen.append("exit")

    def handler(uow, message):
        seen.append(f"handle {message.message_id}")
        record_effect(uow, message)

    marked = Subscription(QUEUE, EVENTS_EXCHANGE, ["test.#"], handler, prefetch=10, around=around)
    with consuming(context, "things", [marked]):
        publish_raw(amqp_url, EVENTS_EXCHANGE, "test.around", event_body(n=1), message_id="m-around")
        wait_until(lambda: effect_ids(context) == ["m-around"], timeout=30)
        wait_until(lambda: len(seen) == 3, timeout=30)
    assert seen == ["enter", "handle m-around", "exit"]


def test_a_duplicate_message_id_is_acked_and_dropped(context, amqp_url):
    with consuming(context, "things", [subscription()]):
        publish_raw(amqp_url, EVENTS_EXCHANGE, "test.dup", event_body(n=1), message_id="m-1")
        publish_raw(amqp_url, EVENTS_EXCHANGE, "test.dup", event_body(n=1), message_id="m-1")
        publish_raw(amqp_url, EVENTS_EXCHANGE, "test.dup", event_body(n=2), message_id="m-2")
        # One channel handles deliveries in order, so m-2's effect means both copies of m-1 were handled.
        wait_until(lambda: "m-2" in effect_ids(context), timeout=30)
    assert effect_ids(context) == ["m-1", "m-2"]
    assert queue_depth(amqp_url, QUEUE) == 0
    assert queue_depth(amqp_url, PARKING) == 0


def test_a_handler_crash_leaves_no_partial_state_and_parks_the_message(context, amqp_url):
    def handler(uow: UnitOfWork, message: InboundMessage) -> None:
        record_effect(uow, message)
        uow.publish(domain_event("test.follow_up", {"of": message.message_id}))
        uow.session.flush()
        if message.payload.get("explode"):
            raise RuntimeError("the handler broke half-way")

    with consuming(context, "things", [subscription(handler)]):
        publish_raw(amqp_url, EVENTS_EXCHANGE, "test.bad", event_body(explode=True), message_id="bad")
        publish_raw(amqp_url, EVENTS_EXCHANGE, "test.good", event_body(explode=False), message_id="good")
        wait_until(lambda: "good" in effect_ids(context), timeout=30)
        wait_until(lambda: queue_depth(amqp_url, PARKING) == 1, timeout=30)

    assert effect_ids(context) == ["good"]
    assert inbox_ids(context) == ["good"]
    assert [json.loads(row["payload"]) for row in outbox_rows(context)] == [{"of": "good"}]
    [(parked, body)] = drain(amqp_url, PARKING)
    assert parked.message_id == "bad"
    assert json.loads(body) == {"explode": True}
    assert queue_depth(amqp_url, QUEUE) == 0


def test_a_message_without_an_id_or_json_body_is_parked(context, amqp_url):
    with consuming(context, "things", [subscription()]):
        publish_raw(amqp_url, EVENTS_EXCHANGE, "test.x", event_body(n=1), message_id=None)
        publish_raw(amqp_url, EVENTS_EXCHANGE, "test.x", b"not json", message_id="not-json")
        publish_raw(amqp_url, EVENTS_EXCHANGE, "test.x", event_body(n=2), message_id="fine")
        wait_until(lambda: "fine" in effect_ids(context), timeout=30)
        wait_until(lambda: queue_depth(amqp_url, PARKING) == 2, timeout=30)
    assert effect_ids(context) == ["fine"]


def test_the_handler_continues_the_publishers_trace_and_request_id(context, amqp_url):
    seen = {}

    def handler(uow: UnitOfWork, message: InboundMessage) -> None:
        seen["trace_id"] = trace.get_current_span().get_span_context().trace_id
        seen["request_id"] = current_request_id()
        uow.publish(domain_event("test.onward", {}))

    trace_id = uuid.uuid4().int >> 64 << 64 | 1
    traceparent = f"00-{trace_id:032x}-{0xabc:016x}-01"
    with consuming(context, "things", [subscription(handler)]):
        publish_raw(amqp_url, EVENTS_EXCHANGE, "test.traced", event_body(), message_id="t-1",
                    headers={"traceparent": traceparent, "x-request-id": "req-99"})
        wait_until(lambda: seen, timeout=30)
    assert seen == {"trace_id": trace_id, "request_id": "req-99"}
    [onward] = outbox_rows(context)
    headers = json.loads(onward["headers"])
    assert headers["x-request-id"] == "req-99"
    assert headers["traceparent"].split("-")[1] == f"{trace_id:032x}"


def test_process_message_drops_a_message_id_its_consumer_has_seen(context):
    message = InboundMessage("m-1", "test.x", EVENTS_EXCHANGE, {"n": 1})
    assert process_message(context, "things", message, record_effect) is True
    assert process_message(context, "things", message, record_effect) is False
    # Another consumer keeps its own record of what it has seen.
    assert process_message(context, "others", message, record_effect) is True
    assert effect_ids(context) == ["m-1", "m-1"]


def test_a_failing_handler_rolls_back_and_the_message_can_be_processed_later(context):
    message = InboundMessage("m-1", "test.x", EVENTS_EXCHANGE, {"n": 1})

    def failing(uow: UnitOfWork, msg: InboundMessage) -> None:
        record_effect(uow, msg)
        uow.session.flush()
        raise ValueError("not yet")

    with pytest.raises(ValueError):
        process_message(context, "things", message, failing)
    assert effect_ids(context) == [] and inbox_ids(context) == []
    assert process_message(context, "things", message, record_effect) is True
    assert effect_ids(context) == ["m-1"]


def test_a_follow_up_runs_after_the_commit_in_a_unit_of_work_of_its_own(context):
    message = InboundMessage("m-1", "test.x", EVENTS_EXCHANGE, {"n": 1})
    seen_by_follow_up = []

    def handler(uow: UnitOfWork, msg: InboundMessage):
        record_effect(uow, msg)

        def follow_up() -> None:
            # The effect and the inbox row are committed, and no unit of work is open here any more.
            with context.unit_of_work(read_only=True):
                seen_by_follow_up.append((effect_ids(context), inbox_ids(context)))
        return follow_up

    assert process_message(context, "things", message, handler) is True
    assert seen_by_follow_up == [(["m-1"], ["m-1"])]


def test_a_failing_follow_up_is_logged_and_the_message_stays_processed(context, caplog):
    message = InboundMessage("m-1", "test.x", EVENTS_EXCHANGE, {"n": 1})

    def handler(uow: UnitOfWork, msg: InboundMessage):
        record_effect(uow, msg)

        def follow_up() -> None:
            raise ConnectionError("the SMS gateway is down")
        return follow_up

    assert process_message(context, "things", message, handler) is True
    assert effect_ids(context) == ["m-1"] and inbox_ids(context) == ["m-1"]
    assert "follow-up of committed message m-1 failed" in caplog.text
    assert process_message(context, "things", message, handler) is False


def test_two_consumers_racing_on_one_message_on_postgresql_process_it_once(postgres_database, amqp_url):
    database = postgres_database("race")
    context = make_context(database, amqp_url)
    message = InboundMessage("m-race", "test.x", EVENTS_EXCHANGE, {})
    first_inside, release_first = threading.Event(), threading.Event()
    results: dict[str, bool] = {}

    def slow(uow: UnitOfWork, msg: InboundMessage) -> None:
        record_effect(uow, msg)
        first_inside.set()
        assert release_first.wait(30)

    def run(name: str, handler) -> None:
        results[name] = process_message(context, "things", message, handler)

    first = threading.Thread(target=run, args=("first", slow))
    first.start()
    assert first_inside.wait(30)
    second = threading.Thread(target=run, args=("second", record_effect))
    second.start()

    def second_is_waiting_on_the_inbox_key() -> bool:
        with context.engine.connect() as connection:
            waiting = connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar()
        return waiting > 0

    wait_until(second_is_waiting_on_the_inbox_key, timeout=30)
    release_first.set()
    first.join(30)
    second.join(30)
    assert results == {"first": True, "second": False}
    assert effect_ids(context) == ["m-race"]


KILLED_CONSUMER = textwrap.dedent("""
    import os, signal, sys
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from services.chassis.consumer import Subscription, run_consumer
    from services.chassis.tests.messaging_support import make_context, record_effect

    context = make_context(sys.argv[1], sys.argv[2])

    @event.listens_for(Session, "after_commit")
    def die_before_the_ack(session):
        os.kill(os.getpid(), signal.SIGKILL)

    run_consumer(context, "things", [Subscription(sys.argv[3], "tongban.events", ["test.#"], record_effect)])
""")


def test_a_consumer_killed_before_its_ack_gets_the_message_again_and_processes_it_once(postgres_database,
                                                                                       amqp_url):
    database = postgres_database("killed")
    context = make_context(database, amqp_url)
    with consuming(context, "things", [subscription()]):
        pass  # declares the queue, so the message below waits in it
    publish_raw(amqp_url, EVENTS_EXCHANGE, "test.once", event_body(n=1), message_id="once")

    killed = subprocess.run([sys.executable, "-c", KILLED_CONSUMER, database, amqp_url, QUEUE], cwd=REPO_ROOT,
                            capture_output=True, timeout=90)
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    assert effect_ids(context) == ["once"]

    with consuming(context, "things", [subscription()]):
        publish_raw(amqp_url, EVENTS_EXCHANGE, "test.after", event_body(n=2), message_id="after")
        wait_until(lambda: "after" in effect_ids(context), timeout=30)
    assert effect_ids(context) == ["once", "after"]
    assert queue_depth(amqp_url, QUEUE) == 0
    with context.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Effect)) == 2


def test_the_consumer_reconnects_when_its_connection_is_cut(tmp_path, amqp_url):
    context = make_context(f"sqlite:///{tmp_path / 'cut.db'}", amqp_url)
    proxy = TcpProxy(("127.0.0.1", 5672), port=free_port()).start()
    try:
        with consuming(context, "things", [subscription()], amqp_url=proxy.url_for(amqp_url)):
            publish_raw(amqp_url, EVENTS_EXCHANGE, "test.before", event_body(), message_id="before")
            wait_until(lambda: effect_ids(context) == ["before"], timeout=30)
            proxy.stop()
            publish_raw(amqp_url, EVENTS_EXCHANGE, "test.during", event_body(), message_id="during")
            proxy.start()
            wait_until(lambda: effect_ids(context) == ["before", "during"], timeout=30)
    finally:
        proxy.stop()


SIGNALLED_CONSUMER = textwrap.dedent("""
    import sys
    from services.chassis.consumer import Subscription, run_consumer
    from services.chassis.tests.messaging_support import make_context, record_effect

    context = make_context(sys.argv[1], sys.argv[2])
    subscription = Subscription(sys.argv[3], "tongban.events", ["test.#"], record_effect)
    sys.exit(run_consumer(context, "things", [subscription], on_ready=lambda: print("ready", flush=True)))
""")


def test_the_consumer_stops_cleanly_on_sigterm(tmp_path, amqp_url):
    process = subprocess.Popen([sys.executable, "-c", SIGNALLED_CONSUMER, f"sqlite:///{tmp_path / 'sig.db'}",
                                amqp_url, QUEUE], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout.readline().strip() == b"ready"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, process.stderr.read().decode()[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
