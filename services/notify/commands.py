"""The service's own subcommands: ``consume``, ``jobs`` and ``seed-templates``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from services.chassis.amqp import stop_event_on_signals
from services.chassis.context import Command, DirectDelivery, build_context
from services.chassis.metrics import answer_for_siblings, configure_metrics, metrics_text
from services.chassis.metrics_siblings import ProcessSocket
from services.chassis.telemetry import configure_logging
from services.notify import broker, jobs, seed
from services.notify.context import NotifyContext

log = logging.getLogger(__name__)

# How often the code lane's process looks whether the consume process that started it is still there.
PARENT_CHECK_SECONDS = 0.5
# How long consume takes to stop, in all: within make run's 20 s and Kubernetes' 30 s grace, so it is never
# killed with the code lane's process left behind; what has not stopped by then is killed.
STOP_SECONDS = 15.0


def consume(context: NotifyContext, argv: Sequence[str]) -> int:
    """Run the consumers (requests, high-priority requests, deliveries, announcements), notify's relay
    and the maintenance loop, until SIGTERM or SIGINT.

    The code lane runs in a process of its own, started here, and the broadcast's lanes here at
    ``NOTIFY_BULK_NICE``: on a broadcast the code then waits neither for this interpreter's lock
    nor, when the cores are busy, behind the broadcast's work for a core. This process ends when
    that one does (non-zero), so whatever supervises it restarts both, and its metrics port answers
    for both (the code lane serves its text to it over a Unix socket in a run folder of their own).
    """
    stop = stop_event_on_signals()
    codes = broker.CodesFirst()
    # Where the code lane serves its metrics to this process, which answers the scrapes for both.
    run_dir = Path(tempfile.mkdtemp(prefix=f"tongban-notify-consume-{os.getpid()}-"))
    siblings = answer_for_siblings(run_dir)
    code_lane = broker.SPAWN.Process(target=code_lane_process, args=(codes, os.getpid(), str(run_dir)),
                                     name="notify-codes", daemon=True)
    code_lane.start()
    os.nice(context.config.bulk_nice)
    workers = broker.start_workers(context, stop, lanes=set(broker.LANES) - {broker.CODE_LANE}, codes=codes)
    maintenance = threading.Thread(target=jobs.maintenance_loop, args=(context, stop),
                                   name="notify-maintenance", daemon=True)
    maintenance.start()
    log.info("notify consumers running")
    lost_code_lane = False
    while not stop.wait(PARENT_CHECK_SECONDS):
        if not code_lane.is_alive():
            log.error("the code lane's process exited with %s; stopping", code_lane.exitcode)
            lost_code_lane = True
            break
    log.info("stopping the notify consumers")
    deadline = time.monotonic() + STOP_SECONDS
    if code_lane.is_alive():
        code_lane.terminate()  # SIGTERM: it stops as this process does, meanwhile
    workers.join(timeout=_left(deadline))
    maintenance.join(timeout=_left(deadline))
    code_lane.join(timeout=_left(deadline))
    if code_lane.is_alive():
        # Left alive, multiprocessing would wait for it at exit without end.
        log.warning("the code lane's process did not stop within %.0f s; killing it", STOP_SECONDS)
        code_lane.kill()
        code_lane.join(timeout=5)
    siblings.close()
    shutil.rmtree(run_dir, ignore_errors=True)
    return 1 if lost_code_lane else 0


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def code_lane_process(codes: broker.CodesFirst, parent: int, run_dir: str) -> None:
    """The code lane, in the process ``consume`` spawned: its own context, read from the same environment, and its
    metrics served to ``consume`` through ``run_dir``."""
    from services.notify.definition import DEFINITION  # which names this module's commands

    context = build_context(DEFINITION)
    configure_logging(DEFINITION.name, context.settings.log_level)
    configure_metrics(DEFINITION.name)
    metrics_socket = ProcessSocket(Path(run_dir), metrics_text)
    stop = stop_event_on_signals()
    workers = broker.start_workers(context, stop, relay=False, lanes={broker.CODE_LANE}, codes=codes)
    # SIGKILL gives consume no chance to stop this process: it goes when it finds itself orphaned.
    while not stop.wait(PARENT_CHECK_SECONDS):
        if os.getppid() != parent:
            break
    workers.join(timeout=10)
    metrics_socket.close()
    context.engine.dispose()


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
