"""`make run`: migrate, seed demo data and start the whole platform as one supervised process set.

SQLite files under var/ by default; PostgreSQL for a service when its
``<SERVICE>_DATABASE_URL`` says so. RabbitMQ at ``AMQP_URL`` when it answers; when it
does not, the stack still runs and the outbox relays hand notifications straight to
notify over gRPC. Ctrl-C stops everything.

``--prepared`` starts the processes on databases something else has migrated and seeded (a
cluster's seed Job, a restored backup) and runs no setup step of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import honcho.manager
import pika
from honcho.manager import Manager

from deploy.local.stack import StackConfig
from services.chassis.config import REPO_ROOT, env_prefix
from services.chassis.registry import DEFAULT_PORTS, SERVICES

# Longer than a server's default GRPC_GRACE_SECONDS (10 s) and its own stop.
STOP_WAIT_SECONDS = 20


def config_from_environment(environ: Mapping[str, str] | None = None) -> StackConfig:
    """The stack's settings; every default can be overridden by the variable the processes read."""
    env = os.environ if environ is None else environ
    config = StackConfig(
        var_dir=Path(env.get("TONGBAN_VAR_DIR", str(REPO_ROOT / "var"))).resolve(),
        gateway_port=int(env.get("GATEWAY_PORT", "8080")),
        smtp_port=int(env.get("NOTIFY_SMTP_PORT", "8025")),
        service_ports={s: int(env.get(f"{env_prefix(s)}_PORT", DEFAULT_PORTS[s])) for s in SERVICES},
        database_urls={s: env[f"{env_prefix(s)}_DATABASE_URL"]
                       for s in SERVICES if env.get(f"{env_prefix(s)}_DATABASE_URL")},
        amqp_url=env.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"),
    )
    config.admin = {
        "login": env.get("TONGBAN_ADMIN_LOGIN", config.admin["login"]),
        "password": env.get("TONGBAN_ADMIN_PASSWORD", config.admin["password"]),
        "phone": env.get("TONGBAN_ADMIN_PHONE", config.admin["phone"]),
    }
    return config


def broker_answers(amqp_url: str) -> bool:
    parameters = pika.URLParameters(amqp_url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = 2
    try:
        pika.BlockingConnection(parameters).close()
    except Exception:
        return False
    return True


def run_step(argv: tuple[str, ...], env: dict[str, str]) -> str:
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"setup step failed: {' '.join(argv[1:])}")
    return result.stdout


def prepare(config: StackConfig, env: dict[str, str]) -> str:
    """Apply every service's migrations (in parallel) and the seed steps (in order); returns their output."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda argv: run_step(argv, env), config.migrations()))
    return "".join(run_step(argv, env) for argv in config.seed_steps())


def everything_serving(gateway_url: str) -> bool:
    """The gateway is ready and every service behind it answers SERVING for each of its gRPC services."""
    try:
        with urllib.request.urlopen(f"{gateway_url}/readyz", timeout=5) as response:
            body = json.load(response)
    except (OSError, ValueError):
        return False
    statuses = [status for services in body.get("upstreams", {}).values() for status in services.values()]
    return body.get("status") == "SERVING" and bool(statuses) and all(s == "SERVING" for s in statuses)


def announce_when_ready(config: StackConfig, seed_output: str, broker_up: bool) -> None:
    # "up" is printed once a first call of any printed route would be answered, not merely routed.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not everything_serving(config.gateway_url):
        time.sleep(0.5)
    lines = [
        "",
        "=" * 72,
        f"Tongban is up: {config.gateway_url}   (API docs: {config.gateway_url}/docs)",
        f"Platform admin: {config.admin['login']} / {config.admin['password']}  phone {config.admin['phone']}",
        f"SMS codes: {config.sms_log}    mail: {config.mail_dir}",
    ]
    if seed_output.strip():
        lines += ["Demo logins:", *("  " + line for line in seed_output.strip().splitlines())]
    if not broker_up:
        lines.append("RabbitMQ is NOT reachable: notifications go straight to notify over gRPC.")
    lines += ["Ctrl-C stops everything.", "=" * 72, ""]
    print("\n".join(lines), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local.run", description=__doc__.splitlines()[0])
    parser.add_argument("--prepared", action="store_true",
                        help="the databases are migrated and seeded already: run no setup step")
    arguments = parser.parse_args(argv)
    config = config_from_environment()
    env = config.environment()
    broker_up = broker_answers(config.amqp_url)
    if not broker_up:
        print("\n" + "!" * 72 + f"\n!! RabbitMQ does not answer at {config.amqp_url}.\n"
              "!! The stack runs without it: the outbox relays deliver notification requests\n"
              "!! straight to notify over gRPC, and other events wait in the outboxes until a\n"
              "!! broker answers. Start RabbitMQ and they flow again, nothing lost.\n" + "!" * 72 + "\n",
              flush=True)
    config.var_dir.mkdir(parents=True, exist_ok=True)
    config.mail_dir.mkdir(parents=True, exist_ok=True)
    seed_output = ""
    if not arguments.prepared:
        print("Preparing databases and demo data ...", flush=True)
        seed_output = prepare(config, env)

    # honcho kills what has not stopped 5 s after its SIGTERM; here every server may take its gRPC
    # grace for calls in flight, and a score of processes finishing together on two cores take longer
    # than 5 s to exit. Wait for them as Kubernetes would (terminationGracePeriodSeconds).
    honcho.manager.KILL_WAIT = STOP_WAIT_SECONDS
    manager = Manager()
    for process in config.processes():
        # exec: the process replaces honcho's shell, so it gets the SIGTERM and stops gracefully.
        manager.add_process(process.name, "exec " + shlex.join(process.argv), env=env)
    threading.Thread(target=announce_when_ready, args=(config, seed_output, broker_up), daemon=True).start()
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
