"""The real ``consume`` process, SIGKILLed mid-batch and restarted: nothing lost, nothing sent twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter

from sqlalchemy import select

from services.chassis.config import REPO_ROOT
from services.chassis.messages import notification_request, phone_recipient
from services.chassis.testing import stop_process, wait_until
from services.notify import domain
from services.notify.models import Delivery
from services.notify.tests.helpers import declare, publish, sms_lines

BATCH = 60


def _start(environ: dict, log_path) -> subprocess.Popen:
    # The sending timeout outlasts any stall of a live send on a loaded machine, so only the killed
    # process's claims time out.
    env = {**os.environ, **environ, "NOTIFY_SMS_RATE_PER_SECOND": "25", "NOTIFY_SENDING_TIMEOUT_SECONDS": "15",
           "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "services.notify", "consume"], cwd=REPO_ROOT, env=env,
                            stdout=open(log_path, "w"), stderr=subprocess.STDOUT)


def _statuses(context) -> Counter:
    with context.unit_of_work(read_only=True) as uow:
        return Counter(uow.session.execute(select(Delivery.status)).scalars())


def _ids_in(context, status: str) -> set[str]:
    with context.unit_of_work(read_only=True) as uow:
        return set(uow.session.execute(select(Delivery.id).where(Delivery.status == status)).scalars())


def test_a_consumer_killed_mid_batch_and_restarted_loses_nothing_and_duplicates_nothing(notify, tmp_path):
    requests = [notification_request(system="identity", category="verification_code",
                                     template="identity.verification_code.login",
                                     recipients=[phone_recipient(f"137{i:08d}")], channels=["SMS"],
                                     params={"code": f"{i:06d}", "minutes": "5"}, mandatory=True)
                for i in range(BATCH)]
    declare(notify.amqp_url, notify.context)
    publish(notify.amqp_url, *requests)
    sms_path = notify.environ["NOTIFY_SMS_LOG_PATH"]
    process = _start(notify.environ, tmp_path / "consume-1.log")
    try:
        wait_until(lambda: len(sms_lines(sms_path)) >= 10, timeout=60, what="the first SMS of the batch")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        sent_before_restart = len(sms_lines(sms_path))
        assert sent_before_restart < BATCH, "the batch finished before the kill; nothing was tested"
        # What the dead process had claimed and not recorded: its outcome is unknown.
        unknown = _ids_in(notify.context, domain.SENDING)
        process = _start(notify.environ, tmp_path / "consume-2.log")

        def settled():
            counts = _statuses(notify.context)
            done = sum(n for status, n in counts.items() if status in domain.DELIVERY.final | {domain.SENT})
            return done == BATCH and counts

        counts = wait_until(settled, timeout=120, interval=0.2, what="every delivery to settle")
    finally:
        stop_process(process)
    assert sum(counts.values()) == BATCH
    texts = Counter(line["to"] for line in sms_lines(sms_path))
    assert all(n == 1 for n in texts.values()), f"sent twice: {[to for to, n in texts.items() if n > 1]}"
    # A delivery claimed by the killed process has an outcome nobody knows: it times out to
    # TECHNICAL_FAILURE rather than being sent twice, and every other one is sent.
    assert _ids_in(notify.context, domain.TECHNICAL_FAILURE) == unknown
    assert counts[domain.SENT] == BATCH - len(unknown)
    assert len(texts) >= counts[domain.SENT]
