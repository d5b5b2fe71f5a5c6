"""``python -m deploy.probe amqp``: exit 0 while this container holds an open connection to RabbitMQ.

The readiness probe of the outbox relays and notify's consumers, which serve no port. It
reads the container's own sockets (``/proc/net/tcp`` and ``tcp6``: the pod's network
namespace) for an ESTABLISHED connection to the port of ``AMQP_URL``. It tells whether the
process is connected to the broker, not whether it is making progress: a stuck loop that
keeps its connection stays ready. That needs a heartbeat from the process itself.
Standard library only, so each probe starts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

ESTABLISHED = "01"
SOCKET_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
DEFAULT_AMQP_URL = "amqp://guest:guest@localhost:5672/%2F"


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


def main(argv: Sequence[str] | None = None, tables: Iterable[Path] = SOCKET_TABLES) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args != ["amqp"]:
        print("usage: python -m deploy.probe amqp", file=sys.stderr)
        return 2
    port = amqp_port(os.environ.get("AMQP_URL") or DEFAULT_AMQP_URL)
    if port in established_remote_ports(tables):
        return 0
    print(f"no connection to RabbitMQ (port {port})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
