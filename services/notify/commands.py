"""The service's own subcommands: ``consume``, ``jobs`` and ``seed-templates``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from collections.abc import Mapping, Sequence

from services.chassis.amqp import stop_event_on_signals
from services.chassis.context import Command, DirectDelivery
from services.notify import broker, jobs, seed
from services.notify.context import NotifyContext

log = logging.getLogger(__name__)

CODE_SWITCH_INTERVAL_SECONDS = 0.0005


def consume(context: NotifyContext, argv: Sequence[str]) -> int:
    """Run the consumers (requests, high-priority requests, deliveries, announcements), notify's relay
    and the maintenance loop, until SIGTERM or SIGINT."""
    stop = stop_event_on_signals()
    # The codes' thread waits for the interpreter lock after each of its database round trips while a
    # broadcast's threads compute; handing the lock over every 0.5 ms instead of every 5 ms keeps a
    # code's latency near its idle figure during a broadcast, for a little of the broadcast's speed.
    sys.setswitchinterval(CODE_SWITCH_INTERVAL_SECONDS)
    workers = broker.start_workers(context, stop)
    maintenance = threading.Thread(target=jobs.maintenance_loop, args=(context, stop),
                                   name="notify-maintenance", daemon=True)
    maintenance.start()
    log.info("notify consumers running")
    stop.wait()
    log.info("stopping the notify consumers")
    workers.join(timeout=10)
    maintenance.join(timeout=10)
    return 0


def run_jobs(context: NotifyContext, argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.notify jobs")
    parser.add_argument("--once", action="store_true", help="one pass, then exit (a CronJob)")
    parser.add_argument("--no-broker", action="store_true", help="send here instead of publishing tasks")
    args = parser.parse_args(list(argv))
    if args.once:
        print(json.dumps(jobs.run_maintenance_once(context, use_broker=not args.no_broker)))
        return 0
    jobs.maintenance_loop(context, stop_event_on_signals(), use_broker=not args.no_broker)
    return 0


def seed_templates(context: NotifyContext, argv: Sequence[str]) -> int:
    written = seed.seed_templates(context)
    print(f"templates added: {written}")
    return 0


def direct_deliveries(context: NotifyContext) -> Mapping[str, DirectDelivery | None]:
    """Without a broker the relay hands notify's own messages (tasks, fan-out pages) straight to it."""
    return broker.direct_routes(context)


COMMANDS: dict[str, tuple[str, Command]] = {
    "consume": ("run the RabbitMQ consumers, notify's outbox relay and the maintenance loop", consume),
    "jobs": ("replay stuck deliveries, time out sending ones, publish due announcements", run_jobs),
    "seed-templates": ("add the standard templates that are missing", seed_templates),
}
