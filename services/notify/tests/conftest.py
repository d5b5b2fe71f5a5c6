"""Notify under test: real PostgreSQL, real RabbitMQ, identity stood in over real gRPC, real SMTP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping

import pytest

from services.chassis.testing import free_port
from services.chassis.testing.service import ServiceHarness
from services.notify import broker, seed
from services.notify.context import NotifyContext
from services.notify.definition import DEFINITION
from services.notify.tests.support import RefusingSmtpHandler


@pytest.fixture
def smtp() -> Iterator[RefusingSmtpHandler]:
    from aiosmtpd.controller import Controller

    handler = RefusingSmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


class NotifyHarness(ServiceHarness):
    """Notify served over gRPC on a fresh database and vhost, its templates seeded; workers on demand."""

    context: NotifyContext

    def __init__(self, database_url: str, amqp_url: str, environ: Mapping[str, str]):
        super().__init__(DEFINITION, database_url, environ={"AMQP_URL": amqp_url, **environ})
        self.amqp_url = amqp_url
        self.stop = threading.Event()
        self.workers: broker.Workers | None = None
        seed.seed_templates(self.context)

    def start_workers(self) -> None:
        """The consumers and notify's relay, as ``python -m services.notify consume`` runs them."""
        self.workers = broker.start_workers(self.context, self.stop)
        assert self.workers.wait_ready(30), "notify consumers did not connect to RabbitMQ"

    def close(self) -> None:
        self.stop.set()
        if self.workers is not None:
            self.workers.join(timeout=10)
        super().close()


def notify_environ(tmp_path, smtp_port: int) -> dict[str, str]:
    return {
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
def notify_with(request, postgres_database, rabbit_vhost, smtp, tmp_path) -> Callable[..., NotifyHarness]:
    """``notify_with(NOTIFY_SMS_PROVIDER="http", ...)``: notify with some settings of the test's own."""

    def make(**environ: str) -> NotifyHarness:
        harness = NotifyHarness(postgres_database("notify"), rabbit_vhost("notify"),
                                {**notify_environ(tmp_path, smtp.port), **environ})
        request.addfinalizer(harness.close)
        return harness

    return make


@pytest.fixture
def notify(notify_with) -> NotifyHarness:
    return notify_with()
