"""The gateway's settings, from environment variables, checked once at start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.chassis.config import Env, service_address
from services.chassis.registry import SERVICES


@dataclass(frozen=True)
class GatewaySettings:
    host: str = "0.0.0.0"
    port: int = 8080
    workers: int = 2
    # gthread threads per worker; 1 means sync workers (see gunicorn_conf.py for the choice).
    threads: int = 8
    # The longest an upstream call may take; a client Grpc-Timeout can only shorten it.
    deadline_seconds: float = 10.0
    max_body_bytes: int = 16 * 1024 * 1024
    # Per client (token subject, else IP) and per worker process; 0 turns the limiter off.
    rate_limit_per_second: float = 50.0
    rate_limit_burst: int = 100
    # How often an unknown token `kid` may make the gateway fetch identity's JWKS again.
    jwks_refetch_seconds: float = 30.0
    # How many proxies in front of the gateway to trust for X-Forwarded-For (0: none).
    trusted_proxies: int = 0
    environment: str = "dev"
    log_level: str = "INFO"
    peers: Mapping[str, str] | None = None
    consul_http_addr: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GatewaySettings:
        env = Env(environ)
        settings = cls(
            host=env.str("GATEWAY_HOST", "0.0.0.0"),
            port=env.int("GATEWAY_PORT", 8080, minimum=1, maximum=65535),
            workers=env.int("GATEWAY_WORKERS", 2, minimum=1, maximum=64),
            threads=env.int("GATEWAY_THREADS", 8, minimum=1, maximum=256),
            deadline_seconds=env.float("GATEWAY_DEADLINE_SECONDS", 10.0, minimum=0.1),
            max_body_bytes=env.int("GATEWAY_MAX_BODY_BYTES", 16 * 1024 * 1024, minimum=1024),
            rate_limit_per_second=env.float("GATEWAY_RATE_LIMIT_PER_SECOND", 50.0, minimum=0.0),
            rate_limit_burst=env.int("GATEWAY_RATE_LIMIT_BURST", 100, minimum=1),
            jwks_refetch_seconds=env.float("GATEWAY_JWKS_REFETCH_SECONDS", 30.0, minimum=0.0),
            trusted_proxies=env.int("GATEWAY_TRUSTED_PROXIES", 0, minimum=0, maximum=10),
            environment=env.str("TONGBAN_ENV", "dev", choices=("dev", "test", "prod")),
            log_level=env.str("LOG_LEVEL", "INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")),
            peers={name: service_address(env, name) for name in SERVICES},
            consul_http_addr=env.optional("CONSUL_HTTP_ADDR"),
        )
        env.check()
        return settings
