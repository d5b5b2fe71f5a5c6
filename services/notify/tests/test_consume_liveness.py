"""The real ``consume`` process beats from every loop it runs, and the liveness probe finds it stuck."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from deploy import probe
from services.chassis.config import REPO_ROOT
from services.chassis.testing import stop_process, wait_until
from services.notify import broker

# Above the upkeep loop's interval here (0.5 s), as 60 s is above its 10 s in production.
STALE_SECONDS = "3"


def test_every_loop_of_consume_beats_and_a_stopped_process_is_not_alive(notify, tmp_path, monkeypatch):
    heartbeats = tmp_path / "heartbeat"
    monkeypatch.setenv("TONGBAN_HEARTBEAT_DIR", str(heartbeats))
    monkeypatch.setenv("TONGBAN_HEARTBEAT_STALE_SECONDS", STALE_SECONDS)
    assert probe.main(["alive"]) == 1, "alive before any loop had beaten"
    env = {**os.environ, **notify.environ, "NOTIFY_MAINTENANCE_INTERVAL_SECONDS": "0.5", "LOG_LEVEL": "WARNING"}
    with open(tmp_path / "consume.log", "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "services.notify", "consume"], cwd=REPO_ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    expected = {f"notify-{lane}-{index}" for index, lane in enumerate(broker.LANES)} | {"notify-relay",
                                                                                         "notify-upkeep"}
    try:
        wait_until(lambda: heartbeats.is_dir() and {p.name for p in heartbeats.iterdir()} == expected, timeout=60,
                   what="a beat from each lane, the relay and the upkeep loop")
        wait_until(lambda: probe.main(["alive"]) == 0, timeout=30, what="the probe to find it alive")
        # Stopped as a stuck process would be: connections open, no loop going round.
        process.send_signal(signal.SIGSTOP)
        wait_until(lambda: probe.main(["alive"]) == 1, timeout=30, what="the probe to find it stuck")
        process.send_signal(signal.SIGCONT)
        wait_until(lambda: probe.main(["alive"]) == 0, timeout=30, what="the probe to find it alive again")
    finally:
        process.send_signal(signal.SIGCONT)
        stop_process(process)
