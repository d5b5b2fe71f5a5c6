"""An outbox relay SIGKILLed mid-batch, after the broker confirmed a batch and before the rows were marked sent.

The restarted relay publishes that batch again; the idempotent consumer drops the copies, so
every event's effect happens exactly once.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter

from services.chassis.config import REPO_ROOT
from services.chassis.consumer import Subscription
from services.chassis.messages import domain_event
from services.chassis.testing import stop_process, wait_until
from services.chassis.tests.messaging_support import (
    consuming,
    effect_ids,
    make_context,
    record_effect,
    reset_broker,
    unsent_count,
    write,
)
from services.chassis.topology import EVENTS_EXCHANGE

EVENTS = 2000
QUEUE = "test.relay.killed"

# The relay process: killed by itself the third time it is about to mark a confirmed batch as sent.
RELAY_KILLED_MID_BATCH = textwrap.dedent("""
    import os, signal, sys
    from sqlalchemy import event
    from services.chassis.relay import run_relay
    from services.chassis.tests.messaging_support import make_context

    context = make_context(sys.argv[1], sys.argv[2])
    marked = 0

    @event.listens_for(context.engine, "before_cursor_execute")
    def die_before_marking_the_third_batch(conn, cursor, statement, parameters, executemany, _context):
        global marked
        if statement.lstrip().upper().startswith("UPDATE") and "sent_at" in statement:
            marked += 1
            if marked == 3:
                os.kill(os.getpid(), signal.SIGKILL)

    sys.exit(run_relay(context))
""")

RELAY = textwrap.dedent("""
    import sys
    from services.chassis.relay import run_relay
    from services.chassis.tests.messaging_support import make_context

    sys.exit(run_relay(make_context(sys.argv[1], sys.argv[2])))
""")


def test_a_relay_killed_between_the_confirm_and_the_mark_republishes_and_no_effect_happens_twice(
        postgres_database, rabbit_vhost):
    database = postgres_database("relay_killed")
    amqp_url = reset_broker(rabbit_vhost("relay_killed"), [QUEUE])
    context = make_context(database, amqp_url)
    write(context, *(domain_event("test.relay.killed", {"n": n}) for n in range(EVENTS)))
    with consuming(context, "things", [Subscription(QUEUE, EVENTS_EXCHANGE, ["test.#"], record_effect,
                                                    prefetch=50)]):
        killed = subprocess.run([sys.executable, "-c", RELAY_KILLED_MID_BATCH, database, amqp_url], cwd=REPO_ROOT,
                                capture_output=True, timeout=120)
        assert killed.returncode == -9, killed.stderr.decode()[-2000:]
        left = unsent_count(context)
        assert 0 < left < EVENTS, f"{left} unsent after the kill: it was not mid-way"
        relay = subprocess.Popen([sys.executable, "-c", RELAY, database, amqp_url], cwd=REPO_ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: unsent_count(context) == 0, timeout=120, what="the restarted relay to empty the outbox")
            wait_until(lambda: len(set(effect_ids(context))) == EVENTS, timeout=120, what="every event's effect")
        finally:
            stop_process(relay)
    effects = Counter(effect_ids(context))
    assert len(effects) == EVENTS
    assert all(n == 1 for n in effects.values()), [m for m, n in effects.items() if n > 1][:5]
    context.engine.dispose()
