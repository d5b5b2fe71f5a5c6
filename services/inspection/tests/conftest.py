"""A real inspection server on a fresh PostgreSQL database, with the demo reference data, for the service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.inspection.seed import seed_reference
from services.inspection.tests.support import InspectionHarness


@pytest.fixture(scope="session")
def inspection(postgres_database) -> Iterator[InspectionHarness]:
    harness = InspectionHarness(postgres_database("inspection"))
    seed_reference(harness.context)
    yield harness
    harness.close()
