"""``consume`` runs the code lane in a process of its own, which lives and dies with it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from services.chassis.config import REPO_ROOT
from services.chassis.messages import notification_request, phone_recipient
from services.chassis.testing import free_port, stop_process, wait_until
from services.notify import commands, events
from services.notify.tests.helpers import declare, publish, sms_lines


def _start(environ: dict, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, **environ, "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "services.notify", "consume"], cwd=REPO_ROOT, env=env,
                            stdout=open(log_path, "w"), stderr=subprocess.STDOUT)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def _code_lane(consume: subprocess.Popen) -> int | None:
    """The pid of the child consume spawned for the code lane (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{consume.pid}/task/{consume.pid}/children").read_text().split()
    for pid in map(int, children):
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except FileNotFoundError:
            continue
    return None


def _code(phone: str):
    return notification_request(system="identity", category="verification_code",
                                template="identity.verification_code.login", recipients=[phone_recipient(phone)],
                                channels=["SMS"], params={"code": "123456", "minutes": "5"}, high_priority=True,
                                mandatory=True)


def test_the_code_lane_process_sends_codes_and_consume_stops_when_it_dies(notify, tmp_path):
    declare(notify.amqp_url, notify.context)
    process = _start(notify.environ, tmp_path / "consume.log")
    try:
        lane = wait_until(lambda: _code_lane(process), timeout=60, what="the code lane's process")
        publish(notify.amqp_url, _code("13800007777"))
        sms_path = notify.environ["NOTIFY_SMS_LOG_PATH"]
        wait_until(lambda: [line for line in sms_lines(sms_path) if line["to"] == "13800007777"], timeout=60,
                   what="the code's SMS")
        os.kill(lane, signal.SIGKILL)
        # Non-zero, so whatever supervises consume starts both again rather than run without codes.
        assert process.wait(timeout=30) == 1
    finally:
        stop_process(process)


def test_the_code_lane_process_stops_when_consume_is_killed(notify, tmp_path):
    process = _start(notify.environ, tmp_path / "consume.log")
    try:
        lane = wait_until(lambda: _code_lane(process), timeout=60, what="the code lane's process")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        wait_until(lambda: not _running(lane), timeout=30, what="the orphaned code lane to stop")
    finally:
        stop_process(process)


def test_consume_stops_within_its_bound_when_the_code_lane_does_not_and_takes_it_along(notify, tmp_path):
    process = _start(notify.environ, tmp_path / "consume.log")
    lane = None
    try:
        lane = wait_until(lambda: _code_lane(process), timeout=60, what="the code lane's process")
        os.kill(lane, signal.SIGSTOP)  # a code lane that cannot answer its SIGTERM
        process.send_signal(signal.SIGTERM)
        # Stopped on request (0), within its bound and the supervisor's grace, rather than waiting for the lane.
        assert process.wait(timeout=commands.STOP_SECONDS + 15) == 0
        wait_until(lambda: not _running(lane), timeout=10, what="the stopped code lane to be killed")
    finally:
        if lane is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(lane, signal.SIGKILL)
        stop_process(process)


def _processed(metrics_url: str) -> dict[str, float]:
    """The scrape's count of messages processed, by queue."""
    text = requests.get(metrics_url, timeout=10).text
    return {sample.labels["queue"]: sample.value for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "messaging_consumer_messages_total" and sample.labels.get("outcome") == "processed"}


def test_a_scrape_of_consume_answers_for_the_code_lane_process_too(notify, tmp_path):
    declare(notify.amqp_url, notify.context)
    port = free_port()
    process = _start({**notify.environ, "NOTIFY_METRICS_PORT": str(port)}, tmp_path / "consume.log")
    try:
        wait_until(lambda: _code_lane(process), timeout=60, what="the code lane's process")
        publish(notify.amqp_url, _code("13800006666"))
        wait_until(lambda: [line for line in sms_lines(notify.environ["NOTIFY_SMS_LOG_PATH"])
                            if line["to"] == "13800006666"], timeout=60, what="the code's SMS")
        # The code's request and its delivery were consumed in the code lane's process, not in consume's.
        counted = wait_until(lambda: (lambda seen: seen if seen.get(events.DELIVERIES_HIGH) else None)(
            _processed(f"http://127.0.0.1:{port}/metrics")), timeout=30, what="the code lane's counts in the scrape")
        assert counted[events.REQUESTS_HIGH] >= 1 and counted[events.DELIVERIES_HIGH] >= 1
    finally:
        stop_process(process)
