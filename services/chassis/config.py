"""Typed configuration from environment variables, validated once at start.

Every problem is collected and reported together, each naming its variable, so an
operator fixes a deployment in one pass instead of one crash at a time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from services.chassis.registry import DEFAULT_PORTS, SERVICES

REPO_ROOT = Path(__file__).resolve().parents[2]


class ConfigError(Exception):
    """One or more environment variables are missing or malformed."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


# The default of a variable that must be set.
REQUIRED = object()


class Env:
    """Reads typed values from an environment, collecting every problem before failing."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ
        self.problems: list[str] = []

    def _raw(self, name: str, default: object) -> str | None:
        value = self.environ.get(name)
        if value is None or value == "":
            if default is REQUIRED:
                self.problems.append(f"{name} is required but not set")
            return None
        return value

    def environment(self) -> str:
        """``TONGBAN_ENV``: dev (the default), test or prod."""
        return self.str("TONGBAN_ENV", "dev", choices=("dev", "test", "prod"))

    def str(self, name: str, default: str | object = REQUIRED, choices: tuple[str, ...] = ()) -> str:
        value = self._raw(name, default)
        if value is None:
            return default if isinstance(default, str) else ""
        if choices and value not in choices:
            self.problems.append(f"{name}={value!r} is not one of {', '.join(choices)}")
        return value

    def optional(self, name: str) -> str | None:
        return self.environ.get(name) or None

    def int(self, name: str, default: int | object = REQUIRED, minimum: int | None = None,
            maximum: int | None = None) -> int:
        value = self._raw(name, default)
        if value is None:
            return default if isinstance(default, int) else 0
        try:
            number = int(value)
        except ValueError:
            self.problems.append(f"{name}={value!r} is not a whole number")
            return 0
        if minimum is not None and number < minimum:
            self.problems.append(f"{name}={number} is below the minimum {minimum}")
        if maximum is not None and number > maximum:
            self.problems.append(f"{name}={number} is above the maximum {maximum}")
        return number

    def float(self, name: str, default: float | object = REQUIRED, minimum: float | None = None) -> float:
        value = self._raw(name, default)
        if value is None:
            return default if isinstance(default, float | int) else 0.0
        try:
            number = float(value)
        except ValueError:
            self.problems.append(f"{name}={value!r} is not a number")
            return 0.0
        if minimum is not None and number < minimum:
            self.problems.append(f"{name}={number} is below the minimum {minimum}")
        return number

    def bool(self, name: str, default: bool | object = REQUIRED) -> bool:
        value = self._raw(name, default)
        if value is None:
            return bool(default) if isinstance(default, bool) else False
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        self.problems.append(f"{name}={value!r} is not a boolean (true/false)")
        return False

    def url(self, name: str, default: str | object = REQUIRED, schemes: tuple[str, ...] = ()) -> str:
        value = self.str(name, default)
        if value and schemes:
            scheme = urlsplit(value).scheme.split("+")[0]
            if scheme not in schemes:
                self.problems.append(f"{name}={value!r} must be a URL with scheme {' or '.join(schemes)}")
        return value

    def address(self, name: str, default: str | object = REQUIRED) -> str:
        value = self.str(name, default)
        if value:
            host, sep, port = value.rpartition(":")
            if not sep or not host or not port.isdigit():
                self.problems.append(f"{name}={value!r} must be host:port")
        return value

    def check(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)


def env_prefix(service: str) -> str:
    return service.upper()


def default_database_url(service: str) -> str:
    return f"sqlite:///{REPO_ROOT / 'var' / f'{service}.db'}"


# The broker of a developer's machine; production must name its own.
DEV_AMQP_URL = "amqp://guest:guest@localhost:5672/%2F"


def refuse_dev_broker(env: Env, name: str, url: str) -> None:
    """RabbitMQ's guest account only works from localhost: in production it means a forgotten default."""
    parts = urlsplit(url)
    if parts.username == "guest" or (parts.hostname or "") in ("localhost", "127.0.0.1", "::1"):
        env.problems.append(f"{name} must name the production broker and its own user, not guest@localhost")


def service_address(env: Env, service: str) -> str:
    """Where to reach a service's gRPC server: `<SERVICE>_ADDR`, localhost in dev."""
    return env.address(f"{env_prefix(service)}_ADDR", f"localhost:{DEFAULT_PORTS[service]}")


def revocation_poll_seconds(env: Env) -> float:
    """How often a token verifier asks identity for new revocations: the one setting every process reads.

    Under the 5 s within which a logout or a disabled account must stop its tokens everywhere.
    """
    return env.float("TONGBAN_REVOCATION_POLL_SECONDS", 2.0, minimum=0.05)


@dataclass(frozen=True)
class ServiceSettings:
    """The settings every service process has."""

    service: str
    environment: str
    database_url: str
    grpc_host: str
    grpc_port: int
    grpc_workers: int
    grace_seconds: float
    amqp_url: str
    consul_http_addr: str | None
    log_level: str
    peers: Mapping[str, str]
    # The address other processes reach this one at (registered in Consul); None: derived from the host.
    advertise_host: str | None = None
    revocation_poll_seconds: float = 2.0
    # How long audit rows are kept before the scheduled purge (AUDIT_RETENTION_DAYS, at least 180).
    audit_retention_days: int = 180

    @property
    def is_dev(self) -> bool:
        return self.environment == "dev"

    @classmethod
    def from_env(cls, service: str, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        env = Env(environ)
        prefix = env_prefix(service)
        settings = cls.read(service, env, prefix)
        env.check()
        return settings

    @classmethod
    def read(cls, service: str, env: Env, prefix: str) -> ServiceSettings:
        """Read without checking, so a service's own settings can add their problems first."""
        environment = env.environment()
        production = environment == "prod"
        database_default: str | object = default_database_url(service) if not production else REQUIRED
        amqp_url = env.url("AMQP_URL", REQUIRED if production else DEV_AMQP_URL, schemes=("amqp", "amqps"))
        if production:
            refuse_dev_broker(env, "AMQP_URL", amqp_url)
        return cls(
            service=service,
            environment=environment,
            database_url=env.url(f"{prefix}_DATABASE_URL", database_default, schemes=("sqlite", "postgresql")),
            grpc_host=env.str(f"{prefix}_GRPC_HOST", "0.0.0.0"),
            grpc_port=env.int(f"{prefix}_PORT", DEFAULT_PORTS[service], minimum=1, maximum=65535),
            grpc_workers=env.int(f"{prefix}_GRPC_WORKERS", 16, minimum=1, maximum=256),
            grace_seconds=env.float("GRPC_GRACE_SECONDS", 10.0, minimum=0.0),
            amqp_url=amqp_url,
            consul_http_addr=env.optional("CONSUL_HTTP_ADDR"),
            log_level=env.str("LOG_LEVEL", "INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")),
            peers={name: service_address(env, name) for name in SERVICES},
            advertise_host=env.optional(f"{prefix}_ADVERTISE_HOST") or env.optional("POD_IP"),
            revocation_poll_seconds=revocation_poll_seconds(env),
            audit_retention_days=env.int("AUDIT_RETENTION_DAYS", 180, minimum=180),
        )
