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
from services.notify.handlers import announcements
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
    """Run the consumers (requests, high-priority requests, deliveries, retries, announcements) and maintenance."""
    runtime = runtime_for(context)
    stop = _stop_on_signals()
    workers = broker.start_workers(runtime, stop)
    publisher = broker.TaskPublisher(runtime)
    maintenance = threading.Thread(target=jobs.maintenance_loop, args=(runtime, stop, publisher),
                                   name="notify-maintenance", daemon=True)
    maintenance.start()
    log.info("notify consumers running")
    stop.wait()
    for thread in (*workers, maintenance):
        thread.join(timeout=10)
    publisher.close()
    return 0


def run_jobs(context: ServiceContext, argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.notify jobs")
    parser.add_argument("--once", action="store_true", help="one pass, then exit (a CronJob)")
    parser.add_argument("--no-broker", action="store_true", help="send here instead of publishing tasks")
    args = parser.parse_args(list(argv))
    runtime = runtime_for(context)
    publisher = None if args.no_broker else broker.TaskPublisher(runtime)
    try:
        if args.once:
            print(json.dumps(jobs.run_maintenance_once(runtime, publisher)))
            return 0
        jobs.maintenance_loop(runtime, _stop_on_signals(), publisher)
        return 0
    finally:
        if publisher is not None:
            publisher.close()


def seed_templates(context: ServiceContext, argv: Sequence[str]) -> int:
    written = seed.seed_templates(runtime_for(context))
    print(f"templates added: {written}")
    return 0


def direct_deliveries(context: ServiceContext):
    """Without a broker the relay hands notify's own fan-out messages straight to it."""
    runtime = runtime_for(context)

    def fan_out(message) -> None:
        payload = getattr(message, "payload", message)
        if isinstance(payload, str | bytes):
            payload = json.loads(payload)
        announcements.fan_out(runtime, str(payload["announcementId"]),
                              lambda tasks: runtime.executor.submit(jobs.send_inline, runtime, tasks))

    return {announcements.INTERNAL_EXCHANGE: fan_out}


COMMANDS = {
    "consume": ("run the RabbitMQ consumers and the maintenance loop", consume),
    "jobs": ("replay stuck deliveries, time out sending ones, publish due announcements", run_jobs),
    "seed-templates": ("add the standard templates that are missing", seed_templates),
}
