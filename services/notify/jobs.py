"""Scheduled work, idempotent: replay deliveries stuck in CREATED, retry what the delay queues missed,
time out deliveries stuck in SENDING, and start the fan-out of announcements whose publish time has come.

With a broker the replayed tasks go through the outbox like any other; without one (``--no-broker``)
they are sent here, and this loop is also how retries happen.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import update

from services.chassis.db import utcnow
from services.chassis.heartbeat import Heartbeat
from services.notify import domain, events
from services.notify.context import NotifyContext
from services.notify.events import DeliveryTask
from services.notify.handlers import announcements, deliveries
from services.notify.models import Delivery

log = logging.getLogger(__name__)


def publish_tasks(context: NotifyContext, tasks: list[DeliveryTask]) -> None:
    """Ask again; the deliveries' clocks restart, so a long queue is not asked about on every pass."""
    with context.unit_of_work() as uow:
        uow.session.execute(update(Delivery).where(
            Delivery.id.in_([t.delivery_id for t in tasks]),
            Delivery.status.in_(domain.DELIVERY.sources_of(domain.SENDING))).values(updated_at=utcnow()))
        uow.publish(*events.task_messages(tasks))
        uow.commit()


def run_maintenance_once(context: NotifyContext, use_broker: bool = True) -> dict[str, int]:
    """One pass; each step is a use case of its own, so a failing step leaves the others' work done."""
    settings = context.config
    report = {"timed_out": deliveries.time_out_sending(context, settings.sending_timeout_seconds)}
    stuck = deliveries.stuck_in_created(context, settings.created_replay_seconds)
    # With a broker the delay queues bring retries back; only the ones they lost are overdue here.
    overdue_by = settings.created_replay_seconds if use_broker else 0.0
    due = deliveries.retries_due(context, overdue_by)
    report["replayed"] = len(stuck)
    report["retried"] = len(due)
    if stuck or due:
        if use_broker:
            publish_tasks(context, stuck + due)
        else:
            deliveries.send(context, stuck + due)
    report["announcements"] = len(announcements.claim_due_announcements(context))
    return report


def maintenance_loop(context: NotifyContext, stop: threading.Event, use_broker: bool = True) -> None:
    heartbeat = Heartbeat("notify-upkeep")
    while not stop.is_set():
        heartbeat.beat()
        try:
            report = run_maintenance_once(context, use_broker)
            if any(report.values()):
                log.info("maintenance: %s", report)
        except Exception:
            log.exception("maintenance pass failed; trying again next interval")
        stop.wait(context.config.maintenance_interval_seconds)
