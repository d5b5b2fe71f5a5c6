"""Liveness for the loops that serve no port: outbox relays, consumer lanes, notify's upkeep.

Each loop beats as it goes round, by touching a file of its own in ``TONGBAN_HEARTBEAT_DIR``
(at most once a second, so a busy loop pays a clock read). ``python -m deploy.probe alive``
fails when any of those files has gone stale, so Kubernetes restarts a process one of whose
threads is stuck, though its connection to RabbitMQ (the readiness probe) still stands.
Without the variable (``make run``, tests) a beat does nothing.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

HEARTBEAT_DIR_VARIABLE = "TONGBAN_HEARTBEAT_DIR"
MIN_INTERVAL_SECONDS = 1.0


class Heartbeat:
    """One loop's beat; ``name`` is unique within the process (a lane, a relay)."""

    def __init__(self, name: str, directory: str | os.PathLike[str] | None = None):
        where = directory if directory is not None else os.environ.get(HEARTBEAT_DIR_VARIABLE)
        self.path = Path(where) / re.sub(r"[^\w.-]", "_", name) if where else None
        self._last = float("-inf")

    def beat(self) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if now - self._last < MIN_INTERVAL_SECONDS:
            return
        self._last = now
        try:
            self.path.touch()
        except FileNotFoundError:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch()
