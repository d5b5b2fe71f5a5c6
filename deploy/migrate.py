"""``python -m deploy.migrate <service>``: the service's migrations, one runner at a time.

Alembic takes no lock of its own: two processes upgrading one PostgreSQL database at once
both read the same revision and both apply what follows (the second fails on a table that
now exists, or runs a data migration twice). Every server pod runs this as an init
container, so several replicas starting together queue on a PostgreSQL advisory lock (the
chassis' ``single_run``, named ``<service>.migrate``) and those after the first find the
schema at head and do nothing. It runs ``python -m services.<service> migrate`` while it holds
the lock; on SQLite, or without a database URL (the service then names what is missing),
it runs it directly.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence

from services.chassis.db import make_engine, single_run
from services.chassis.registry import spec


def migrate_command(service: str) -> list[str]:
    return [sys.executable, "-m", f"services.{service}", "migrate"]


def run_locked(database_url: str, lock: str, command: Sequence[str], *, timeout: float = 600.0,
               poll: float = 1.0) -> int:
    """Run ``command`` while holding the advisory lock ``lock``; its exit status, or 1 after ``timeout``."""
    engine = make_engine(database_url)
    deadline = time.monotonic() + timeout
    said_waiting = False
    try:
        while True:
            with single_run(engine, lock) as mine:
                if mine:
                    return subprocess.call(list(command))
            if time.monotonic() >= deadline:
                print(f"{lock}: another run still holds the lock after {timeout:.0f} s; giving up", file=sys.stderr)
                return 1
            if not said_waiting:
                print(f"{lock}: another run holds the lock; waiting", file=sys.stderr)
                said_waiting = True
            time.sleep(poll)
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.migrate", description=__doc__.splitlines()[0])
    parser.add_argument("service", help="a registry name, such as identity or rare_earth")
    parser.add_argument("--timeout", type=float, default=600.0, help="longest wait for the lock, in seconds")
    args = parser.parse_args(argv)
    try:
        service = spec(args.service)
    except LookupError as error:
        print(f"deploy.migrate: {error.args[0]}", file=sys.stderr)
        return 2
    command = migrate_command(service.name)
    url = os.environ.get(f"{service.env_prefix}_DATABASE_URL")
    if not url:
        return subprocess.call(command)
    return run_locked(url, f"{service.name}.migrate", command, timeout=args.timeout)


if __name__ == "__main__":
    sys.exit(main())
