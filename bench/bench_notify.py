"""Notify: verification-code latency during a 10,000-recipient SMS broadcast, and broadcast throughput
beside raw pika publish-and-consume of the same message size, measured in the same run.

Runs on the local PostgreSQL and RabbitMQ (a fresh database and vhost), a stand-in identity over
gRPC and the SMS ``log`` provider. ``BENCH_NOTIFY_RECIPIENTS`` shrinks the broadcast for a quick look.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path

import pika
from sqlalchemy import func, select

from bench.report import Figure, percentile, print_figure, print_header
from services.chassis import testing
from services.chassis.auth import Caller, acting_as
from services.chassis.cli import migrate
from services.chassis.context import build_context
from services.chassis.messages import notification_request, phone_recipient
from services.chassis.testing.identity import IdentityStandIn, StandInAccount
from services.notify import broker, domain, seed
from services.notify.context import NotifyContext
from services.notify.definition import DEFINITION
from services.notify.handlers import announcements
from services.notify.models import Delivery, Notification

RECIPIENTS = int(os.environ.get("BENCH_NOTIFY_RECIPIENTS", "10000"))
BROADCAST_CAP_SECONDS = 60.0


def _identity(count: int) -> IdentityStandIn:
    return IdentityStandIn(accounts=[StandInAccount(f"a{i:06d}", phone=f"136{i:08d}") for i in range(count)]).start()


def _publish(channel, messages) -> None:
    for message in messages:
        channel.basic_publish(message.exchange, message.routing_key, json.dumps(message.payload).encode(),
                              pika.BasicProperties(delivery_mode=2, message_id=message.message_id))


def _sent_at(context: NotifyContext, message_id: str):
    with context.unit_of_work(read_only=True) as uow:
        return uow.session.execute(select(Delivery.sent_at).join(Notification).where(
            Notification.message_id == message_id, Delivery.status == domain.SENT)).scalar_one_or_none()


def _sent_count(context: NotifyContext, notification_id: str) -> int:
    with context.unit_of_work(read_only=True) as uow:
        return uow.session.execute(select(func.count()).select_from(Delivery).where(
            Delivery.notification_id == notification_id, Delivery.status == domain.SENT)).scalar_one()


def raw_pika_throughput(amqp_url: str, size: int, count: int = 5000) -> float:
    """Persistent publish (one confirm per batch) and manual-ack consume of ``count`` messages of ``size`` bytes."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    queue = channel.queue_declare("bench.raw", durable=True).method.queue
    body = b"x" * size
    started = time.perf_counter()
    for _ in range(count):
        channel.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2))
    channel.basic_qos(prefetch_count=50)
    for received, (method, _properties, _body) in enumerate(channel.consume(queue), start=1):
        channel.basic_ack(method.delivery_tag)
        if received == count:
            break
    elapsed = time.perf_counter() - started
    channel.cancel()
    connection.close()
    return count / elapsed


def main() -> None:
    print_header(f"notify: verification codes during a {RECIPIENTS:,}-recipient SMS broadcast")
    database_url = testing.create_postgres_database("bench_notify")
    amqp_url = testing.create_rabbit_vhost("bench_notify")
    identity = _identity(RECIPIENTS)
    stop = threading.Event()
    with tempfile.TemporaryDirectory() as tmp:
        environ = {"TONGBAN_ENV": "test", "NOTIFY_DATABASE_URL": database_url, "AMQP_URL": amqp_url,
                   "IDENTITY_ADDR": identity.address, "NOTIFY_SMS_LOG_PATH": str(Path(tmp) / "sms.jsonl"),
                   "NOTIFY_SMS_RATE_PER_SECOND": "100000", "NOTIFY_FANOUT_PAGE_SIZE": "1000",
                   "NOTIFY_PREFETCH": "200"}
        context: NotifyContext = build_context(DEFINITION, environ=environ)
        try:
            migrate(DEFINITION, context)
            seed.seed_templates(context)
            workers = broker.start_workers(context, stop)
            workers.wait_ready(30)
            codes = pika.BlockingConnection(pika.URLParameters(amqp_url))
            code_channel = codes.channel()
            started = time.perf_counter()
            # The announcement's first fan-out page leaves through notify's outbox and relay, as in production.
            with acting_as(Caller(account_id="admin", roles=frozenset({"PLATFORM_ADMIN"}), kind="ADMIN")):
                created = announcements.create_announcement(context, announcements.NewAnnouncement(
                    system="", title="压测公告", body="平台公告正文。", audience=domain.AudienceSpec("ALL"),
                    channels=("SMS",), publish_at=None, expires_at=None))
            latencies = []
            deadline = started + BROADCAST_CAP_SECONDS
            while time.perf_counter() < deadline:
                code = notification_request(system="identity", category="verification_code",
                                            template="identity.verification_code.login",
                                            recipients=[phone_recipient("13800009999")], channels=["SMS"],
                                            params={"code": "123456", "minutes": "5"}, high_priority=True,
                                            mandatory=True)
                sent_from = time.perf_counter()
                _publish(code_channel, [code])
                while _sent_at(context, code.message_id) is None and time.perf_counter() < sent_from + 30:
                    time.sleep(0.005)
                latencies.append((time.perf_counter() - sent_from) * 1000)
                if _sent_count(context, created.id) >= RECIPIENTS:
                    break
                time.sleep(0.2)
            elapsed = time.perf_counter() - started
            delivered = _sent_count(context, created.id)
            codes.close()
            workers.join(timeout=10)
            # What one delivery costs on the wire, so raw pika is measured per delivery too.
            size = len(json.dumps({"deliveryId": "0" * 32, "attempt": 0}))
            raw = [raw_pika_throughput(amqp_url, size) for _ in range(3)]
        finally:
            stop.set()
            identity.stop()
            context.engine.dispose()
            testing.drop_postgres_database(database_url)
            testing.delete_rabbit_vhost(amqp_url)
    print(f"broadcast: {delivered:,} of {RECIPIENTS:,} SMS sent in {elapsed:.1f}s "
          f"(capped at {BROADCAST_CAP_SECONDS:.0f}s); {len(latencies)} codes sent meanwhile")
    print_figure(Figure("code SMS request->SENT record p50", [percentile(latencies, 0.5)], "ms"))
    print_figure(Figure("code SMS request->SENT record p95", [percentile(latencies, 0.95)], "ms"))
    print_figure(Figure("broadcast deliveries/s", [delivered / elapsed], "deliveries/s"),
                 Figure(f"raw pika publish+consume ({size} B, persistent)", raw, "msg/s"))


if __name__ == "__main__":
    main()
