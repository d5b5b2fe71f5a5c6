"""A real inspection server on a fresh PostgreSQL database, shared by the service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.chassis.testing.identity import IdentityStandIn
from services.chassis.testing.service import ServiceHarness
from services.inspection.definition import DEFINITION
from services.inspection.seed import seed_reference
from services.inspection.tests.support import InspectionHarness


@pytest.fixture(scope="session")
def inspection(postgres_database) -> Iterator[InspectionHarness]:
    identity = IdentityStandIn().start()
    harness = InspectionHarness(ServiceHarness(DEFINITION, postgres_database("inspection"), identity=identity),
                                identity)
    seed_reference(harness.context)
    yield harness
    harness.close()
