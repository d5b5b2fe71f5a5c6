"""The real gateway process for tests: gunicorn with gateway/gunicorn_conf.py, in front of the echo server."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from services.chassis.testing import free_port, stop_process

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_DEADLINE = 60.0


class GatewayProcess:
    def __init__(self, upstream: str, identity: str, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(self.port),
                   "GATEWAY_WORKERS": "2", "GATEWAY_THREADS": "4", "LOG_LEVEL": "WARNING", **env}
        # A file, not a pipe: a full pipe would block the gateway's logging.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway.tests.serve_echo_gateway", upstream, identity],
            cwd=REPO_ROOT, env=environ, stdout=subprocess.DEVNULL, stderr=self.log,
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_DEADLINE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"gateway exited: {self.log.read().decode(errors='replace')}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            # A worker still starting on a busy machine may accept and not answer yet: ask again.
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("gateway did not start in time")

    def stop(self) -> int:
        code = stop_process(self.process)
        self.log.close()
        return code
