"""The gateway's settings, from environment variables, checked once at start."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from services.chassis.config import Env, revocation_poll_seconds, service_address
from services.chassis.registry import SERVICES

# In dev a front end served from this machine may call the gateway from any port (Vite, webpack, a file server).
DEV_CORS_ORIGINS = (r"^https?://localhost(:\d+)?$", r"^https?://127\.0\.0\.1(:\d+)?$")


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
    # How often identity is asked for revoked tokens (TONGBAN_REVOCATION_POLL_SECONDS, as every service).
    revocation_poll_seconds: float = 2.0
    # How many proxies in front of the gateway to trust for X-Forwarded-For (0: none).
    trusted_proxies: int = 0
    environment: str = "dev"
    log_level: str = "INFO"
    peers: Mapping[str, str] | None = None
    consul_http_addr: str | None = None
    # Origins a browser may call from: exact origins, or regular expressions (dev's localhost on any port).
    cors_origins: tuple[str, ...] = DEV_CORS_ORIGINS
    # Shared rate-limit counters for every worker and pod; None keeps them per worker process.
    redis_url: str | None = None
    # The address clients reach the gateway at, for the OpenAPI document's ``servers``; None: as the request came.
    public_url: str | None = None
    # Spans per request and per upstream call; None: when OTEL_EXPORTER_OTLP_ENDPOINT is set (spans go somewhere).
    tracing: bool | None = None
    # This instance's own folder: gunicorn's control socket and the workers' metrics sockets (None: a new one in /tmp).
    run_dir: str | None = None

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
            revocation_poll_seconds=revocation_poll_seconds(env),
            trusted_proxies=env.int("GATEWAY_TRUSTED_PROXIES", 0, minimum=0, maximum=10),
            environment=env.environment(),
            log_level=env.str("LOG_LEVEL", "INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")),
            peers={name: service_address(env, name) for name in SERVICES},
            consul_http_addr=env.optional("CONSUL_HTTP_ADDR"),
            cors_origins=_cors_origins(env),
            redis_url=env.url("REDIS_URL", "", schemes=("redis", "rediss", "unix")) or None,
            public_url=env.url("TONGBAN_PUBLIC_URL", "", schemes=("http", "https")).rstrip("/") or None,
            run_dir=env.optional("GATEWAY_RUN_DIR"),
        )
        env.check()
        return settings


def _cors_origins(env: Env) -> tuple[str, ...]:
    """``GATEWAY_CORS_ORIGINS`` (comma-separated origins); unset: dev's localhost, nothing elsewhere."""
    configured = tuple(o.strip().rstrip("/") for o in env.str("GATEWAY_CORS_ORIGINS", "").split(",") if o.strip())
    for origin in configured:
        if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
            env.problems.append(f"GATEWAY_CORS_ORIGINS: {origin!r} is not an origin like https://portal.example.cn")
    if "*" in configured:
        env.problems.append("GATEWAY_CORS_ORIGINS: '*' cannot be used with credentials; list the origins")
    if configured:
        return configured
    return DEV_CORS_ORIGINS if env.str("TONGBAN_ENV", "dev") != "prod" else ()
