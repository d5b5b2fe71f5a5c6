"""Scheduled work, idempotent: replay deliveries stuck in CREATED, retry what the delay queues missed,
time out deliveries stuck in SENDING, and fan out announcements whose publish time has come.

Without a broker the same loop is how retries happen: due temporary failures are sent here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from services.notify.handlers import announcements, deliveries
from services.notify.handlers.common import DeliveryTask
from services.notify.runtime import NotifyRuntime

log = logging.getLogger(__name__)


def send_inline(runtime: NotifyRuntime, tasks: Sequence[DeliveryTask]) -> dict[str, int]:
    """Send in this process; a temporary failure waits for its retry time and this loop's next pass."""
    counts: dict[str, int] = {}
    for task in tasks:
        outcome = deliveries.send_delivery(runtime, task)
        counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
        if outcome.kind == deliveries.PARK_OUTCOME:
            log.warning("delivery %s failed for good: %s", task.delivery_id, outcome.reason)
    return counts


def run_maintenance_once(runtime: NotifyRuntime, publisher=None) -> dict[str, int]:
    """One pass; ``publisher`` (a broker TaskPublisher) is None when the broker is not used."""
    settings = runtime.settings
    report = {"timed_out": deliveries.time_out_sending(runtime, settings.sending_timeout_seconds)}

    def dispatch(tasks: list[DeliveryTask]) -> None:
        if not tasks:
            return
        if publisher is None or not publisher.publish(tasks):
            send_inline(runtime, tasks)

    stuck = deliveries.stuck_in_created(runtime, settings.created_replay_seconds)
    # With a broker the delay queues bring retries back; only the ones they lost are overdue here.
    overdue_by = settings.created_replay_seconds if publisher is not None else 0.0
    due = deliveries.retries_due(runtime, overdue_by)
    report["replayed"] = len(stuck)
    report["retried"] = len(due)
    dispatch(stuck + due)
    claimed = announcements.claim_due_announcements(runtime)
    for announcement_id in claimed:
        announcements.fan_out(runtime, announcement_id, dispatch)
    report["announcements"] = len(claimed)
    return report


def maintenance_loop(runtime: NotifyRuntime, stop: threading.Event, publisher=None) -> None:
    while not stop.is_set():
        try:
            report = run_maintenance_once(runtime, publisher)
            if any(report.values()):
                log.info("maintenance: %s", report)
        except Exception:
            log.exception("maintenance pass failed; trying again next interval")
        stop.wait(runtime.settings.maintenance_interval_seconds)
