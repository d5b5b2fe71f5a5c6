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
        now = time.monotonic()
        for service, command, every in SCHEDULE:
            if now >= next_run[(service, command)]:
                subprocess.run([PYTHON, "-m", f"services.{service}", command], check=False)
                next_run[(service, command)] = time.monotonic() + every
        stop.wait(1.0)


if __name__ == "__main__":
    main()
