"""Notify under test: real PostgreSQL, real RabbitMQ, real gRPC identity stand-in, real SMTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from protos.identity.v1 import identity_pb2, identity_pb2_grpc
from services.chassis import migrations
from services.chassis.config import ServiceSettings
from services.chassis.grpc_client import ChannelFactory
from services.chassis.runtime import ServiceContext
from services.chassis.server import ServiceBinding, start_server
from services.notify import broker, seed
from services.notify.definition import DEFINITION
from services.notify.models import MESSAGE_TABLES
from services.notify.runtime import NotifyRuntime, attach_runtime
from services.notify.settings import NotifySettings
from services.notify.tests.support import FakeIdentity, RefusingSmtpHandler, free_port


@pytest.fixture
def identity() -> Iterator[FakeIdentity]:
    fake = FakeIdentity()
    binding = ServiceBinding.of(identity_pb2, "IdentityService",
                                identity_pb2_grpc.add_IdentityServiceServicer_to_server, fake)
    running = start_server([binding], host="127.0.0.1", port=0, workers=4)
    fake.address = f"127.0.0.1:{running.port}"
    yield fake
    running.stop(0)


@pytest.fixture
def smtp() -> Iterator[RefusingSmtpHandler]:
    from aiosmtpd.controller import Controller

    handler = RefusingSmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@dataclass
class NotifyHarness:
    runtime: NotifyRuntime
    database_url: str
    amqp_url: str
    environ: dict
    stop: threading.Event = field(default_factory=threading.Event)
    workers: broker.Workers | None = None

    def start_workers(self) -> None:
        """The consumers and notify's relay, as ``python -m services.notify consume`` runs them."""
        self.workers = broker.start_workers(self.runtime, self.stop)
        assert self.workers.wait_ready(30), "notify consumers did not connect to RabbitMQ"

    def close(self) -> None:
        self.stop.set()
        if self.workers is not None:
            self.workers.join(timeout=10)


def build_environ(database_url: str, amqp_url: str, identity_address: str, tmp_path, smtp_port: int) -> dict:
    return {
        "TONGBAN_ENV": "test",
        "NOTIFY_DATABASE_URL": database_url,
        "AMQP_URL": amqp_url,
        "IDENTITY_ADDR": identity_address,
        "NOTIFY_SMS_LOG_PATH": str(tmp_path / "sms.jsonl"),
        "NOTIFY_SMTP_HOST": "127.0.0.1",
        "NOTIFY_SMTP_PORT": str(smtp_port),
        "NOTIFY_SMTP_TIMEOUT_SECONDS": "5",
        "NOTIFY_RETRY_BASE_SECONDS": "0.2",
        "NOTIFY_MAX_ATTEMPTS": "3",
        "NOTIFY_SMS_RATE_PER_SECOND": "1000",
        "NOTIFY_EMAIL_RATE_PER_SECOND": "1000",
        "NOTIFY_CREATED_REPLAY_SECONDS": "1",
        "NOTIFY_SENDING_TIMEOUT_SECONDS": "5",
        "NOTIFY_MAINTENANCE_INTERVAL_SECONDS": "0.5",
        "NOTIFY_FANOUT_PAGE_SIZE": "7",
        "NOTIFY_RECEIPT_TOKEN": "receipt-secret",
    }


@pytest.fixture
def notify(postgres_database, rabbit_vhost, identity, smtp, tmp_path) -> Iterator[NotifyHarness]:
    database_url = postgres_database("notify")
    amqp_url = rabbit_vhost("notify")
    environ = build_environ(database_url, amqp_url, identity.address, tmp_path, smtp.port)
    settings = ServiceSettings.from_env("notify", environ)
    context = ServiceContext(settings=settings, tables=MESSAGE_TABLES,
                             channels=ChannelFactory.static({"identity": identity.address}))
    migrations.upgrade(DEFINITION.metadata, DEFINITION.versions_dir, database_url)
    runtime = attach_runtime(context, NotifyRuntime(context, NotifySettings.from_env(environ)))
    seed.seed_templates(runtime)
    harness = NotifyHarness(runtime, database_url, amqp_url, environ)
    yield harness
    harness.close()
    context.engine.dispose()
