"""A real rare_earth server on a fresh PostgreSQL database, shared by the service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.chassis.testing.service import ServiceHarness
from services.rare_earth.definition import DEFINITION
from services.rare_earth.seed import seed_dictionary
from services.rare_earth.tests.support import FlakyIdentity, RareEarthHarness


@pytest.fixture(scope="session")
def rare_earth(postgres_database) -> Iterator[RareEarthHarness]:
    identity = FlakyIdentity().start()
    harness = RareEarthHarness(ServiceHarness(DEFINITION, postgres_database("rare_earth"), identity=identity),
                               identity)
    seed_dictionary(harness.context)
    yield harness
    harness.close()
