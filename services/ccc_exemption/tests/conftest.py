"""A real ccc_exemption server on a fresh PostgreSQL database with the demo reference data, shared by the tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.ccc_exemption.definition import DEFINITION
from services.ccc_exemption.seed import seed_reference
from services.ccc_exemption.tests.support import CccHarness
from services.chassis.testing.service import ServiceHarness


@pytest.fixture(scope="session")
def ccc(postgres_database, tmp_path_factory) -> Iterator[CccHarness]:
    signing = tmp_path_factory.mktemp("ccc_signing")
    service = ServiceHarness(DEFINITION, postgres_database("ccc_exemption"),
                             environ={"CCC_EXEMPTION_SIGNING_DIR": str(signing)})
    harness = CccHarness(service)
    seed_reference(harness.context)
    yield harness
    harness.close()
