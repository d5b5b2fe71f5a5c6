"""Faults under load, on servers of the test's own: PostgreSQL restarted while announcements are written, and
RabbitMQ restarted in the middle of a 10,000-recipient SMS broadcast.

The machine's shared PostgreSQL and RabbitMQ serve every other test running beside these,
so each test starts a cluster or a node of its own (services/chassis/testing/private_servers.py).
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import grpc
import pytest
from sqlalchemy import func, select

from protos.notify.v1 import notify_pb2
from services.chassis.testing import wait_until
from services.chassis.testing.identity import StandInAccount
from services.chassis.testing.private_servers import PrivatePostgres, PrivateRabbit
from services.notify import domain
from services.notify.models import Announcement, Delivery
from services.notify.tests.conftest import NotifyHarness, notify_environ
from services.notify.tests.helpers import sms_lines

pytestmark = pytest.mark.timeout(600)

WRITERS = 4
RECIPIENTS = 10_000


def _admin(notify: NotifyHarness) -> str:
    return notify.minter.mint("admin0001", roles=("PLATFORM_ADMIN",), kind="ADMIN")


def _announcement(n: int) -> notify_pb2.CreateAnnouncementRequest:
    return notify_pb2.CreateAnnouncementRequest(title=f"停电通知 {n}", body="机房检修。",
                                                audience=notify_pb2.Audience(kind=notify_pb2.ALL),
                                                channels=[notify_pb2.IN_SITE])


def test_postgresql_restarted_under_load_loses_no_accepted_write_and_the_service_recovers_by_itself(
        tmp_path, smtp, rabbit_vhost):
    database = PrivatePostgres().start()
    notify = None
    try:
        notify = NotifyHarness(database.url("notify"), rabbit_vhost("faults"), notify_environ(tmp_path, smtp.port))
        token = _admin(notify)
        accepted: list[str] = []
        refused: Counter[grpc.StatusCode] = Counter()
        after_restart: list[grpc.StatusCode] = []
        restarted = threading.Event()
        stop = threading.Event()
        serial = iter(range(10**9))
        lock = threading.Lock()

        def write() -> None:
            while not stop.is_set():
                with lock:
                    n = next(serial)
                back = restarted.is_set()
                try:
                    created = notify.call("CreateAnnouncement", _announcement(n), token)
                except grpc.RpcError as error:
                    with lock:
                        refused[error.code()] += 1
                        if back:
                            after_restart.append(error.code())
                    time.sleep(0.05)
                else:
                    with lock:
                        accepted.append(created.id)

        writers = [threading.Thread(target=write, daemon=True) for _ in range(WRITERS)]
        for thread in writers:
            thread.start()
        wait_until(lambda: len(accepted) >= 50, timeout=60, what="writes before the restart")
        database.restart(down_for=2.0)
        restarted.set()
        before = len(accepted)
        wait_until(lambda: len(accepted) >= before + 50, timeout=60, what="writes after the restart")
        stop.set()
        for thread in writers:
            thread.join(timeout=30)

        # While it was down the service said so (503), never an internal error (500).
        assert set(refused) <= {grpc.StatusCode.UNAVAILABLE}, dict(refused)
        assert not after_restart, f"refused after PostgreSQL was back: {Counter(after_restart)}"
        with notify.context.unit_of_work(read_only=True) as uow:
            stored = set(uow.session.execute(select(Announcement.id)).scalars())
        assert set(accepted) <= stored, f"{len(set(accepted) - stored)} accepted announcements were lost"
    finally:
        if notify is not None:
            notify.close()
        database.close()


def _sms_statuses(notify: NotifyHarness) -> Counter[str]:
    with notify.context.unit_of_work(read_only=True) as uow:
        rows = uow.session.execute(select(Delivery.status, func.count()).where(Delivery.channel == "SMS")
                                   .group_by(Delivery.status)).all()
    return Counter({status: count for status, count in rows})


def test_rabbitmq_restarted_during_a_10000_recipient_broadcast_delivers_each_sms_exactly_once(
        tmp_path, smtp, postgres_database):
    broker = PrivateRabbit().start()
    notify = None
    try:
        notify = NotifyHarness(postgres_database("notify_faults"), broker.amqp_url,
                               {**notify_environ(tmp_path, smtp.port), "NOTIFY_FANOUT_PAGE_SIZE": "500"})
        phones = [f"137{i:08d}" for i in range(RECIPIENTS)]
        notify.identity.accounts = [StandInAccount(f"b{i:06d}", phone=phone) for i, phone in enumerate(phones)]
        notify.start_workers()
        notify.call("CreateAnnouncement", notify_pb2.CreateAnnouncementRequest(
            title="系统升级", body="平台将于周六凌晨升级。", audience=notify_pb2.Audience(kind=notify_pb2.ALL),
            channels=[notify_pb2.SMS]), _admin(notify))
        sms_path = notify.environ["NOTIFY_SMS_LOG_PATH"]
        wait_until(lambda: len(sms_lines(sms_path)) >= 1000, timeout=120, what="the broadcast under way")
        broker.stop()
        sent_before = len(sms_lines(sms_path))
        time.sleep(2.0)
        broker.start()
        assert sent_before <= RECIPIENTS - 1000, f"{sent_before} sent before the broker stopped: too few were left"

        def settled() -> Counter[str] | None:
            counts = _sms_statuses(notify)
            done = sum(n for status, n in counts.items() if status in domain.DELIVERY.final | {domain.SENT})
            return counts if done == RECIPIENTS else None

        counts = wait_until(settled, timeout=300, interval=0.5, what="every delivery of the broadcast to settle")
        assert counts == Counter({domain.SENT: RECIPIENTS}), counts
        sent_to = Counter(line["to"] for line in sms_lines(sms_path))
        assert set(sent_to) == set(phones)
        assert all(n == 1 for n in sent_to.values()), [to for to, n in sent_to.items() if n > 1][:10]
    finally:
        if notify is not None:
            notify.close()
        broker.close()
