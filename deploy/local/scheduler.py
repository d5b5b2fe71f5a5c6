"""Runs the scheduled jobs of the local stack; in Kubernetes each is a CronJob instead.

Jobs are idempotent commands, so a missed or doubled run does no harm.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time

from deploy.local.stack import PYTHON, SCHEDULE


def main() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    next_run = {(service, command): time.monotonic() + every for service, command, every in SCHEDULE}
    while not stop.is_set():
        for service, command, every in SCHEDULE:
            if time.monotonic() >= next_run[(service, command)] and not stop.is_set():
                run_job([PYTHON, "-m", f"services.{service}", *command], stop)
                next_run[(service, command)] = time.monotonic() + every
        stop.wait(1.0)


def run_job(argv: list[str], stop: threading.Event) -> None:
    """Run one job to its end, or stop it with the scheduler: a job never outlives the stack."""
    job = subprocess.Popen(argv)
    while job.poll() is None:
        if stop.wait(0.5):
            job.terminate()
            try:
                job.wait(timeout=20)
            except subprocess.TimeoutExpired:
                job.kill()
            return


if __name__ == "__main__":
    main()
