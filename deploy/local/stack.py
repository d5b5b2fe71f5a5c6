"""The local process set: which processes run, with which environment, after which setup steps.

One description serves `make run` (SQLite under var/, fixed ports) and the end-to-end
tests (PostgreSQL, a fresh vhost, free ports), so the tests start what developers run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from services.chassis.config import REPO_ROOT, env_prefix
from services.chassis.registry import DEFAULT_PORTS, REGISTRY, SERVICES

PYTHON = sys.executable

DEV_ADMIN = {"login": "admin", "password": "Admin2026", "phone": "13800000000"}

# Setup steps after migrations, in order: (service, subcommand).
SEED_STEPS = tuple((spec.name, command) for spec in REGISTRY for command in spec.seeds)

# Long-running workers besides each service's server and outbox relay: (service, subcommand).
WORKERS = tuple((spec.name, command) for spec in REGISTRY for command in spec.workers)

# Scheduled jobs: (service, one-shot command line, every N seconds); a CronJob each in Kubernetes.
SCHEDULE = tuple((spec.name, command, every) for spec in REGISTRY for command, every in spec.schedule)


@dataclass(frozen=True)
class Process:
    name: str
    argv: tuple[str, ...]


@dataclass
class StackConfig:
    var_dir: Path = REPO_ROOT / "var"
    host: str = "127.0.0.1"
    gateway_port: int = 8080
    smtp_port: int = 8025
    service_ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    # Service -> database URL; a service not named here gets its SQLite file under var_dir.
    database_urls: Mapping[str, str] = field(default_factory=dict)
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    admin: Mapping[str, str] = field(default_factory=lambda: dict(DEV_ADMIN))
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"

    @property
    def sms_log(self) -> Path:
        return self.var_dir / "sent" / "sms.jsonl"

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "sent" / "mail"

    def database_url(self, service: str) -> str:
        return self.database_urls.get(service) or f"sqlite:///{self.var_dir / f'{service}.db'}"

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env.update({
            "PYTHONUNBUFFERED": "1",
            "TONGBAN_ENV": "dev",
            "TONGBAN_VAR_DIR": str(self.var_dir),
            "AMQP_URL": self.amqp_url,
            "GATEWAY_HOST": self.host,
            "GATEWAY_PORT": str(self.gateway_port),
            # Where a certificate's QR code sends the reader: this stack's own gateway.
            "TONGBAN_PUBLIC_URL": self.gateway_url,
            "NOTIFY_SMS_PROVIDER": "log",
            "NOTIFY_SMS_LOG_PATH": str(self.sms_log),
            "NOTIFY_SMTP_HOST": self.host,
            "NOTIFY_SMTP_PORT": str(self.smtp_port),
            "TONGBAN_ADMIN_LOGIN": self.admin["login"],
            "TONGBAN_ADMIN_PASSWORD": self.admin["password"],
            "TONGBAN_ADMIN_PHONE": self.admin["phone"],
        })
        for service in SERVICES:
            prefix = env_prefix(service)
            port = self.service_ports[service]
            env[f"{prefix}_DATABASE_URL"] = self.database_url(service)
            env[f"{prefix}_PORT"] = str(port)
            env[f"{prefix}_GRPC_HOST"] = self.host
            env[f"{prefix}_ADDR"] = f"{self.host}:{port}"
        env.update(self.extra_env)
        return env

    def migrations(self) -> list[tuple[str, ...]]:
        return [(PYTHON, "-m", f"services.{service}", "migrate") for service in SERVICES]

    def seed_steps(self) -> list[tuple[str, ...]]:
        return [(PYTHON, "-m", f"services.{service}", command) for service, command in SEED_STEPS]

    def processes(self) -> list[Process]:
        processes = [Process("smtp-sink", (PYTHON, "-m", "deploy.local.smtp_sink", "--host", self.host,
                                           "--port", str(self.smtp_port), "--directory", str(self.mail_dir)))]
        for service in SERVICES:
            processes.append(Process(service, (PYTHON, "-m", f"services.{service}", "serve")))
            processes.append(Process(f"{service}-relay", (PYTHON, "-m", f"services.{service}", "relay")))
        for service, command in WORKERS:
            processes.append(Process(f"{service}-{command}", (PYTHON, "-m", f"services.{service}", command)))
        if SCHEDULE:
            processes.append(Process("scheduler", (PYTHON, "-m", "deploy.local.scheduler")))
        processes.append(Process("gateway", (PYTHON, "-m", "gateway")))
        return processes
