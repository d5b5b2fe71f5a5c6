"""Acceptance: events written while the broker cannot be used all arrive, each exactly once.

Events are written continuously, one transaction each, while the broker first drops
every connection and then refuses the vhost to the platform's user for a while. The
relay and the consumer reconnect by themselves; afterwards the consumer's effects must
be exactly the events written: none lost, none twice.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from urllib.parse import unquote

import pytest

from services.chassis.amqp import Backoff
from services.chassis.consumer import Subscription
from services.chassis.messages import EVENTS_EXCHANGE, domain_event
from services.chassis.relay import run_relay
from services.chassis.tests.messaging_support import (
    consuming,
    effect_ids,
    make_context,
    queue_depth,
    record_effect,
    unsent_count,
    write,
)
from services.chassis.tests.probe import wait_until

QUEUE = "test.outage"


def rabbitmqctl(*args: str) -> None:
    executable = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([executable, "-q", *args], check=True, capture_output=True, timeout=60)


class Writer:
    """Writes one event per transaction until stopped, remembering each message id and when it was written."""

    def __init__(self, context) -> None:
        self.context = context
        self.written: list[tuple[float, str]] = []
        self.stop = threading.Event()
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                event = domain_event("test.outage.tick", {"n": n})
                write(self.context, event)
                self.written.append((time.monotonic(), event.message_id))
                n += 1
                self.stop.wait(0.01)
        except BaseException as exc:  # reported by the test
            self.failure = exc

    def written_between(self, start: float, end: float) -> int:
        return sum(1 for at, _ in self.written if start <= at <= end)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


@pytest.mark.timeout(300)
def test_every_event_written_during_a_broker_outage_arrives_exactly_once(postgres_database, rabbit_vhost):
    amqp_url = rabbit_vhost("outage")
    vhost = unquote(amqp_url.rsplit("/", 1)[1])
    context = make_context(postgres_database("outage"), amqp_url)
    subscription = Subscription(QUEUE, EVENTS_EXCHANGE, ["test.outage.#"], record_effect, prefetch=50)
    relay_stop = threading.Event()
    relay = threading.Thread(target=run_relay, args=(context,),
                             kwargs={"stop_event": relay_stop, "reconnect_backoff": Backoff(0.1, 1.0)}, daemon=True)

    with consuming(context, "outage", [subscription]):
        relay.start()
        try:
            with Writer(context) as writer:
                wait_until(lambda: len(effect_ids(context)) >= 20, timeout=60)

                # Every connection dropped at once: unconfirmed publishes and unacked deliveries.
                rabbitmqctl("close_all_connections", "-p", vhost, "outage test: connections dropped")
                time.sleep(1.0)

                # The vhost refused to the platform's user: no publishing, no consuming, for a while.
                refused_at = time.monotonic()
                rabbitmqctl("clear_permissions", "-p", vhost, "guest")
                rabbitmqctl("close_all_connections", "-p", vhost, "outage test: access revoked")
                time.sleep(3.0)
                restored_at = time.monotonic()
                rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
                time.sleep(1.0)
            assert writer.failure is None
            written = [message_id for _, message_id in writer.written]
            assert writer.written_between(refused_at, restored_at) > 0

            wait_until(lambda: len(effect_ids(context)) >= len(written), timeout=120)
            wait_until(lambda: unsent_count(context) == 0, timeout=60)
        finally:
            relay_stop.set()
            relay.join(timeout=30)
        assert not relay.is_alive()

    processed = effect_ids(context)
    assert len(processed) == len(written), "an event was processed more than once"
    assert set(processed) == set(written), "an event was lost"
    assert queue_depth(amqp_url, QUEUE) == 0
    assert queue_depth(amqp_url, f"{QUEUE}.parking") == 0
