"""A real identity server for the whole test session, on a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.identity.tests.support import IdentityHarness


@pytest.fixture(scope="session")
def identity(postgres_database) -> Iterator[IdentityHarness]:
    harness = IdentityHarness(postgres_database("identity"))
    yield harness
    harness.close()
