"""A real origin_cert server on a fresh PostgreSQL database with its reference data, shared by the service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.origin_cert.tests.support import OriginHarness


@pytest.fixture(scope="session")
def origin(postgres_database, tmp_path_factory) -> Iterator[OriginHarness]:
    signing = tmp_path_factory.mktemp("origin_signing")
    harness = OriginHarness.started(postgres_database("origin_cert"), {"ORIGIN_CERT_SIGNING_DIR": str(signing)})
    yield harness
    harness.close()
