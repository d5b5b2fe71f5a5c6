"""A PostgreSQL cluster and a RabbitMQ node of a test's own, to stop and start under load.

The machine's own servers are shared by every test running beside it, so a fault test that
restarts one starts its own: ``initdb`` and ``pg_ctl`` for PostgreSQL, ``rabbitmq-server`` with
a node name, data folder, config and ports of its own. As root (CI) each runs as its
server's own system user, since neither server runs as root.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from deploy.local.run import broker_answers
from services.chassis.testing import free_port

STOP_TIMEOUT = 60.0
START_TIMEOUT = 120.0


def _as(user: str, argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", user, "--", *argv]


def _folder_for(user: str, prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(folder, user, user)
    return folder


class PrivatePostgres:
    """``start()``, then ``url(name)`` for a database, ``restart(down_for)``, ``close()``."""

    def __init__(self) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not binaries:
            pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
        self.bin = Path(binaries[-1]).parent
        self.folder = _folder_for("postgres", "tb-pg-")
        self.data = self.folder / "data"
        self.port = free_port()

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(_as("postgres", [str(self.bin / "pg_ctl"), "-D", str(self.data), *args]), check=True,
                       capture_output=True, timeout=STOP_TIMEOUT, cwd=self.folder)

    def start(self) -> PrivatePostgres:
        if not self.data.exists():
            subprocess.run(_as("postgres", [str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                                            "postgres", "-E", "UTF8", "--no-sync"]),
                           check=True, capture_output=True, timeout=START_TIMEOUT, cwd=self.folder)
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("-o", options, "-l", str(self.folder / "server.log"), "-w", "start")
        return self

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def restart(self, down_for: float) -> None:
        """Stopped (every connection ends), down for ``down_for`` seconds, then up again on the same port."""
        self.stop()
        time.sleep(down_for)
        self.start()

    def url(self, database: str) -> str:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self._pg_ctl("-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRabbit:
    """``start()``, then ``amqp_url``, ``restart(down_for)``, ``close()``; guest may connect from localhost."""

    def __init__(self) -> None:
        server = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
        if not server.exists():
            pytest.skip("rabbitmq-server is not installed")
        self.server = server
        self.folder = _folder_for("rabbitmq", "tb-rmq-")
        self.port = free_port()
        self.node = f"tbtest{self.port}@localhost"
        (self.folder / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.folder / "enabled_plugins").write_text("[].\n")
        if os.geteuid() == 0:
            for path in self.folder.iterdir():
                shutil.chown(path, "rabbitmq", "rabbitmq")
        self.process: subprocess.Popen | None = None

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def _environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("RABBITMQ_")}
        # The system's cookie lives in the rabbitmq user's home; the node and its tools share it.
        env.update({"HOME": "/var/lib/rabbitmq" if os.geteuid() == 0 else env.get("HOME", str(self.folder)),
                    "RABBITMQ_NODENAME": self.node, "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq.conf"),
                    "RABBITMQ_DIST_PORT": str(free_port()), "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"),
                    "RABBITMQ_LOG_BASE": str(self.folder / "log"), "RABBITMQ_PID_FILE": str(self.folder / "pid"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins")})
        return env

    def start(self) -> PrivateRabbit:
        with open(self.folder / "server.out", "ab") as output:
            self.process = subprocess.Popen(_as("rabbitmq", [str(self.server)]), env=self._environment(),
                                            cwd=self.folder, stdout=output, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not broker_answers(self.amqp_url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.folder / "server.out").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"the private RabbitMQ node did not start:\n{log}")
            time.sleep(0.25)
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def restart(self, down_for: float) -> None:
        """Stopped (every connection ends; durable queues and persistent messages stay), then started again."""
        self.stop()
        time.sleep(down_for)
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
