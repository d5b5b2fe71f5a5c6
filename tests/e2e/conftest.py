"""The real platform for end-to-end tests: `make run`'s own entry point, on each profile a developer meets.

Every flow runs twice: on the embedded default exactly as `make run` starts it (a SQLite
file per service, and no broker) and on PostgreSQL with RabbitMQ, as in production.
Each profile starts once per test session, with fresh databases, a fresh vhost and free
ports; tests go through the gateway over HTTP.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from services.chassis.testing.stack import EMBEDDED, PRODUCTION_LIKE, Stack, stack_environment

# Fast retries and no rate limit, so tests see final states quickly and never trip the limiter.
E2E_ENV = {"NOTIFY_RETRY_BASE_SECONDS": "1", "GATEWAY_RATE_LIMIT_PER_SECOND": "1000",
           "GATEWAY_RATE_LIMIT_BURST": "2000"}


# TONGBAN_E2E_PROFILE runs one profile's flows only: make test runs each in a process of its own.
PROFILES = [profile for profile in (EMBEDDED, PRODUCTION_LIKE)
            if os.environ.get("TONGBAN_E2E_PROFILE", profile.name) == profile.name]


@pytest.fixture(scope="session", params=PROFILES, ids=str)
def stack(request, tmp_path_factory, postgres_database, rabbit_vhost) -> Iterator[Stack]:
    profile = request.param
    var_dir = tmp_path_factory.mktemp(profile.name)
    env = stack_environment(profile, var_dir, database_url=lambda service: postgres_database(f"e2e_{service}"),
                            amqp_url=rabbit_vhost("e2e") if profile.broker else None, extra=E2E_ENV)
    running = Stack(profile, var_dir, env).start()
    try:
        yield running
    finally:
        running.stop()
