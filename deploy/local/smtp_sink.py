"""A development SMTP server that keeps every mail it receives as an .eml file.

``python -m deploy.local.smtp_sink --port 8025 --directory var/sent/mail``
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


class MaildirSink:
    """aiosmtpd handler: one ``<time>-<id>.eml`` file per message, written atomically."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, _server, _session: Session, envelope: Envelope) -> str:
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.directory / f".{name}.part"
        content = envelope.original_content or envelope.content
        partial.write_bytes(content if isinstance(content, bytes) else content.encode())
        partial.rename(self.directory / name)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--directory", type=Path, default=Path("var/sent/mail"))
    args = parser.parse_args()

    controller = Controller(MaildirSink(args.directory), hostname=args.host, port=args.port)
    controller.start()
    print(f"SMTP sink on {args.host}:{args.port}, mail kept in {args.directory}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
