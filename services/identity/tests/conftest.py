"""A real identity server on a fresh PostgreSQL database for the whole test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from services.chassis.config import ServiceSettings
from services.chassis.runtime import build_context, migrate, serve
from services.identity.definition import DEFINITION
from services.identity.tests.support import IdentityClient

# Cheap argon2 costs keep the suite fast; production defaults are tested in test_secrets.
TEST_ENVIRONMENT = {
    "IDENTITY_SECRET_KEY": "identity-test-secret-key-0123456789",
    "IDENTITY_PASSWORD_TIME_COST": "1",
    "IDENTITY_PASSWORD_MEMORY_KIB": "1024",
}


@pytest.fixture(scope="session")
def identity_environment() -> Iterator[dict]:
    saved = {key: os.environ.get(key) for key in TEST_ENVIRONMENT}
    os.environ.update(TEST_ENVIRONMENT)
    yield TEST_ENVIRONMENT
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def identity(postgres_database, identity_environment) -> Iterator[IdentityClient]:
    url = postgres_database("identity")
    settings = ServiceSettings.from_env("identity", {"IDENTITY_DATABASE_URL": url, "TONGBAN_ENV": "test"})
    context = build_context(DEFINITION, settings)
    migrate(DEFINITION, context)
    running = serve(DEFINITION, context, port=0)
    client = IdentityClient(f"127.0.0.1:{running.port}", context)
    yield client
    client.channel.close()
    running.stop(0)
    context.engine.dispose()
