"""The documents test service over real gRPC on a fresh PostgreSQL database, signing with a dev CA in tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from services.chassis.documents.tests.service import DEFINITION, METADATA
from services.chassis.testing.service import ServiceHarness


@pytest.fixture
def start_documents(postgres_database, tmp_path) -> Iterator[Callable[..., ServiceHarness]]:
    """``start_documents(**environ)`` -> the documents test service, its tables created; closed after the test."""
    started: list[ServiceHarness] = []

    def start(**environ: str) -> ServiceHarness:
        url = postgres_database("documents")
        harness = ServiceHarness(DEFINITION, url, environ={"ORIGIN_CERT_SIGNING_DIR": str(tmp_path / "signing"),
                                                          **environ}, migrate=False)
        METADATA.create_all(harness.context.engine)
        started.append(harness)
        return harness

    yield start
    for harness in started:
        harness.close()


@pytest.fixture
def documents(start_documents) -> ServiceHarness:
    return start_documents()
