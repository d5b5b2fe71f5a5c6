"""Fixtures: a real echo gRPC server (with a JWKS-only identity) and gateways in front of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from gateway.app import create_app
from gateway.config import GatewaySettings
from gateway.tests.echo_server import FakeIdentity, start_echo_server
from protos.identity.v1 import directory_pb2
from protos.testing.v1 import echo_pb2
from services.chassis.grpc_client import ChannelFactory
from services.chassis.testing import TokenMinter

ECHO_MODULES = [echo_pb2, directory_pb2]


class KeyRing:
    """The signing keys identity publishes; a test adds one to rotate."""

    def __init__(self) -> None:
        self.minters = [TokenMinter(kid="key-1")]

    @property
    def current(self) -> TokenMinter:
        return self.minters[-1]

    def rotate(self, kid: str) -> TokenMinter:
        self.minters.append(TokenMinter(kid=kid))
        return self.current

    def jwks(self) -> dict:
        return {"keys": [key for minter in self.minters for key in minter.jwks()["keys"]]}


@pytest.fixture(scope="module")
def keys() -> KeyRing:
    return KeyRing()


@pytest.fixture(scope="module")
def identity(keys: KeyRing) -> FakeIdentity:
    return FakeIdentity(keys.jwks)


@pytest.fixture(scope="module")
def echo_address(keys: KeyRing, identity: FakeIdentity) -> Iterator[str]:
    from services.chassis.auth import TokenVerifier

    server = start_echo_server(verifier=TokenVerifier(keys.jwks, refetch_interval=0.0), identity=identity)
    yield f"127.0.0.1:{server.port}"
    server.stop(0)


def settings(**overrides) -> GatewaySettings:
    values = {"rate_limit_per_second": 0.0, "jwks_refetch_seconds": 0.0, **overrides}
    return GatewaySettings(**values)


@pytest.fixture
def make_client(echo_address: str) -> Iterator[Callable[..., object]]:
    """``make_client(**settings)`` -> a Flask test client of a gateway routing to the echo server."""
    factories: list[ChannelFactory] = []

    def make(addresses: dict[str, str] | None = None, **overrides):
        channels = ChannelFactory.static(addresses or {"testing": echo_address, "identity": echo_address})
        factories.append(channels)
        return create_app(settings(**overrides), ECHO_MODULES, channels).test_client()

    yield make
    for channels in factories:
        channels.close()


@pytest.fixture
def client(make_client):
    return make_client()


def dead_address() -> str:
    """An address nothing listens on (a port the OS just handed out and took back)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"
