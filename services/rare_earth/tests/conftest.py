"""A real rare_earth server on a fresh PostgreSQL database, shared by the service tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from services.chassis.config import ServiceSettings
from services.chassis.runtime import build_context, migrate, serve
from services.chassis.testing import TokenMinter
from services.rare_earth import grpc_api
from services.rare_earth.definition import DEFINITION
from services.rare_earth.seed import seed_dictionary
from services.rare_earth.tests.support import MutableDirectory, RareEarthHarness


@pytest.fixture(scope="session")
def rare_earth(postgres_database) -> Iterator[RareEarthHarness]:
    url = postgres_database("rare_earth")
    settings = ServiceSettings.from_env("rare_earth", {"RARE_EARTH_DATABASE_URL": url, "TONGBAN_ENV": "test"})
    minter = TokenMinter()
    directory = MutableDirectory({})
    definition = dataclasses.replace(
        DEFINITION,
        bindings=lambda context: grpc_api.bindings(context, directory),
        token_verifier=lambda _context: minter.verifier(),
    )
    context = build_context(definition, settings)
    migrate(definition, context)
    seed_dictionary(context)
    running = serve(definition, context, port=0)
    harness = RareEarthHarness(f"127.0.0.1:{running.port}", context, minter, directory)
    yield harness
    harness.channel.close()
    running.stop(0)
    context.engine.dispose()
