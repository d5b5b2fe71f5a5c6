"""The service's own subcommands: ``consume``, ``jobs`` and ``seed-templates``."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from collections.abc import Sequence

from services.chassis.runtime import ServiceContext
from services.notify import broker, jobs, seed
from services.notify.runtime import runtime_for

log = logging.getLogger(__name__)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def request_stop(signum, _frame):
        log.info("signal %s received: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop


def consume(context: ServiceContext, argv: Sequence[str]) -> int:
    """Run the consumers (requests, high-priority requests, deliveries, announcements), notify's relay
    and the maintenance loop."""
    runtime = runtime_for(context)
    stop = _stop_on_signals()
    workers = broker.start_workers(runtime, stop)
    maintenance = threading.Thread(target=jobs.maintenance_loop, args=(runtime, stop),
                                   name="notify-maintenance", daemon=True)
    maintenance.start()
    log.info("notify consumers running")
    stop.wait()
    workers.join(timeout=10)
    maintenance.join(timeout=10)
    return 0


def run_jobs(context: ServiceContext, argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.notify jobs")
    parser.add_argument("--once", action="store_true", help="one pass, then exit (a CronJob)")
    parser.add_argument("--no-broker", action="store_true", help="send here instead of publishing tasks")
    args = parser.parse_args(list(argv))
    runtime = runtime_for(context)
    if args.once:
        print(json.dumps(jobs.run_maintenance_once(runtime, use_broker=not args.no_broker)))
        return 0
    jobs.maintenance_loop(runtime, _stop_on_signals(), use_broker=not args.no_broker)
    return 0


def seed_templates(context: ServiceContext, argv: Sequence[str]) -> int:
    written = seed.seed_templates(runtime_for(context))
    print(f"templates added: {written}")
    return 0


def direct_deliveries(context: ServiceContext):
    """Without a broker the relay hands notify's own messages (tasks, fan-out pages) straight to it."""
    return broker.direct_routes(runtime_for(context))


COMMANDS = {
    "consume": ("run the RabbitMQ consumers, notify's outbox relay and the maintenance loop", consume),
    "jobs": ("replay stuck deliveries, time out sending ones, publish due announcements", run_jobs),
    "seed-templates": ("add the standard templates that are missing", seed_templates),
}
