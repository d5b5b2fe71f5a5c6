"""Real PostgreSQL databases and RabbitMQ vhosts for tests, one fresh set per test run.

Names carry the process id, so parallel test runs on one machine never share state.
``TEST_POSTGRES_URL`` and ``TEST_AMQP_URL`` point elsewhere when needed.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from urllib.parse import quote

import psycopg
from psycopg import sql

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_BASE = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")


_handed_out: set[int] = set()
_handed_out_lock = threading.Lock()


# Ports below Linux's ephemeral range (32768-60999), where no outgoing connection takes one, and
# above every server of these machines (PostgreSQL, RabbitMQ, Redis, ...). Each test process has
# a block of its own (a pytest-xdist worker's by its number, or TONGBAN_TEST_PORT_BLOCK), so
# stacks started side by side never pick the same port.
PORT_BLOCK_START = 20000
PORT_BLOCK_SIZE = 1500


def _port_block() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "").removeprefix("gw")
    chosen = os.environ.get("TONGBAN_TEST_PORT_BLOCK") or worker
    index = int(chosen) % 8 if chosen.isdigit() else 0
    start = PORT_BLOCK_START + index * PORT_BLOCK_SIZE
    return range(start, start + PORT_BLOCK_SIZE)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, and that no earlier call in this process gave.

    Taken from this process's block rather than from the OS: a port the OS hands out is an
    ephemeral one, which another process's outgoing connection may take before the server
    given it binds.
    """
    with _handed_out_lock:
        block = _port_block()
        for _attempt in range(len(block)):
            port = random.choice(block)
            if port in _handed_out:
                continue
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _handed_out.add(port)
            return port
        raise OSError(f"no free port left in {block.start}-{block.stop - 1}")


def wait_until(condition: Callable[[], object], timeout: float = 30.0, interval: float = 0.05,
               what: str = "the condition") -> object:
    """Poll ``condition`` until it returns something truthy, and return that; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value {result!r}")
        time.sleep(interval)


def stop_process(process: subprocess.Popen, signum: int = signal.SIGTERM, timeout: float = 30.0) -> int:
    """Stop a process the way its supervisor would (SIGTERM), and kill it if it has not exited in time."""
    if process.poll() is None:
        process.send_signal(signum)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def unique_name(label: str) -> str:
    return f"tb_{label}_{os.getpid()}".lower()


def create_postgres_database(label: str) -> str:
    """Create an empty database and return its SQLAlchemy URL."""
    name = unique_name(label)
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _rabbitmqctl(*args: str) -> None:
    executable = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([executable, "-q", *args], check=True, capture_output=True, timeout=60)


def create_rabbit_vhost(label: str) -> str:
    """Create an empty vhost the guest user may use, and return its AMQP URL."""
    vhost = unique_name(label)
    with contextlib.suppress(subprocess.CalledProcessError):
        _rabbitmqctl("delete_vhost", vhost)
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    return f"{AMQP_BASE}/{quote(vhost, safe='')}"


def delete_rabbit_vhost(url: str) -> None:
    from urllib.parse import unquote

    _rabbitmqctl("delete_vhost", unquote(url.rsplit("/", 1)[1]))


class TokenMinter:
    """Signs access tokens the way identity does, with a throwaway Ed25519 key, for service tests.

    ``verifier()`` gives a TokenVerifier that trusts it, so a service can be tested over
    real gRPC without running identity.
    """

    def __init__(self, kid: str = "test-key") -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self.kid = kid
        self._key = Ed25519PrivateKey.generate()

    def jwks(self) -> dict:
        import json

        import jwt

        public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]}

    def verifier(self):
        from services.chassis.auth import TokenVerifier

        return TokenVerifier(self.jwks)

    def mint(self, sub: str, *, org: str | None = None, roles: tuple[str, ...] = (),
             scopes: tuple[str, ...] = (), kind: str = "LEGAL_PERSON", agency: str | None = None,
             ttl_seconds: int = 900, sid: str | None = None, iat_ms: int | None = None) -> str:
        import time
        import uuid

        import jwt

        from services.chassis.auth import AUDIENCE, ISSUER

        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "org": org, "roles": list(roles),
                  "scopes": list(scopes), "kind": kind, "agency": agency, "jti": uuid.uuid4().hex,
                  "iat": now, "exp": now + ttl_seconds}
        # A session (sid) and a signing time in milliseconds, as identity's tokens carry, for revocation tests.
        if sid is not None:
            claims["sid"] = sid
        if iat_ms is not None:
            claims["iat_ms"] = iat_ms
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})
