"""Fixtures every test package may use: real PostgreSQL and RabbitMQ, isolated per run."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from services.chassis import testing


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[Callable[[str], str]]:
    """``postgres_database("identity")`` makes a fresh, empty database and returns its URL."""
    created: list[str] = []

    def make(label: str) -> str:
        url = testing.create_postgres_database(f"{label}_{len(created)}")
        created.append(url)
        return url

    yield make
    for url in created:
        testing.drop_postgres_database(url)


@pytest.fixture(scope="session")
def rabbit_vhost() -> Iterator[Callable[[str], str]]:
    """``rabbit_vhost("relay")`` makes a fresh vhost and returns its AMQP URL."""
    created: list[str] = []

    def make(label: str) -> str:
        url = testing.create_rabbit_vhost(f"{label}_{len(created)}")
        created.append(url)
        return url

    yield make
    for url in created:
        testing.delete_rabbit_vhost(url)
