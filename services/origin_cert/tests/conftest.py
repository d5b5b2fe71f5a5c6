"""A real origin_cert server on a fresh PostgreSQL database with its reference data, shared by the service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.chassis.testing.service import ServiceHarness
from services.origin_cert.definition import DEFINITION
from services.origin_cert.seed import seed_reference
from services.origin_cert.tests.support import OriginHarness


@pytest.fixture(scope="session")
def origin(postgres_database, tmp_path_factory) -> Iterator[OriginHarness]:
    signing = tmp_path_factory.mktemp("origin_signing")
    service = ServiceHarness(DEFINITION, postgres_database("origin_cert"),
                             environ={"ORIGIN_CERT_SIGNING_DIR": str(signing)})
    seed_reference(service.context)
    harness = OriginHarness(service)
    yield harness
    harness.close()
