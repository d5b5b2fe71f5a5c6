"""The probes of the outbox relays and notify's consumers, which serve no port.

``python -m deploy.probe amqp`` (readiness): exit 0 while this container holds an open
connection to RabbitMQ. It reads the container's own sockets (``/proc/net/tcp`` and
``tcp6``: the pod's network namespace) for an ESTABLISHED connection to the port of
``AMQP_URL``. That says the process is connected, not that it makes progress.

``python -m deploy.probe alive`` (liveness): exit 0 while every loop of the process has
beaten within ``TONGBAN_HEARTBEAT_STALE_SECONDS`` (60 by default): each loop touches a file
of its own in ``TONGBAN_HEARTBEAT_DIR`` as it goes round (services/chassis/heartbeat.py),
so a stuck thread is found though its connection stands. No file yet is not alive either.

Standard library only, so each probe starts fast.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

ESTABLISHED = "01"
SOCKET_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
DEFAULT_AMQP_URL = "amqp://guest:guest@localhost:5672/%2F"
DEFAULT_STALE_SECONDS = 60.0
USAGE = "usage: python -m deploy.probe amqp|alive"


def amqp_port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (5671 if parts.scheme == "amqps" else 5672)


def established_remote_ports(tables: Iterable[Path] = SOCKET_TABLES) -> set[int]:
    """The remote ports of this network namespace's established TCP connections."""
    ports: set[int] = set()
    for table in tables:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == ESTABLISHED:
                ports.add(int(fields[2].rsplit(":", 1)[1], 16))
    return ports


def stale_loops(directory: Path, stale_after: float, now: float | None = None) -> list[str] | None:
    """The loops whose last beat is older than ``stale_after`` seconds; None when none has beaten yet."""
    try:
        beats = {path.name: path.stat().st_mtime for path in directory.iterdir() if path.is_file()}
    except OSError:
        return None
    if not beats:
        return None
    moment = time.time() if now is None else now
    return sorted(name for name, at in beats.items() if moment - at > stale_after)


def _connected(tables: Iterable[Path]) -> int:
    port = amqp_port(os.environ.get("AMQP_URL") or DEFAULT_AMQP_URL)
    if port in established_remote_ports(tables):
        return 0
    print(f"no connection to RabbitMQ (port {port})", file=sys.stderr)
    return 1


def _alive() -> int:
    directory = os.environ.get("TONGBAN_HEARTBEAT_DIR")
    if not directory:
        print("TONGBAN_HEARTBEAT_DIR is not set: nothing beats", file=sys.stderr)
        return 1
    stale_after = float(os.environ.get("TONGBAN_HEARTBEAT_STALE_SECONDS") or DEFAULT_STALE_SECONDS)
    stale = stale_loops(Path(directory), stale_after)
    if stale is None:
        print(f"no loop has beaten in {directory} yet", file=sys.stderr)
        return 1
    if stale:
        print(f"stuck for over {stale_after:.0f} s: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None, tables: Iterable[Path] = SOCKET_TABLES) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["amqp"]:
        return _connected(tables)
    if args == ["alive"]:
        return _alive()
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
