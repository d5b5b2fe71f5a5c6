"""`make run`'s own entry point, as a developer starts it: SQLite under a var folder, and no broker.

With RabbitMQ out of reach the stack must still come up, say so, and deliver a
verification code straight to notify over gRPC; Ctrl-C must stop every process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import pytest
import requests

from services.chassis.config import env_prefix
from services.chassis.registry import SERVICES
from services.chassis.testing import free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]




def test_make_run_starts_on_sqlite_without_a_broker_and_stops_on_ctrl_c(tmp_path):
    gateway_port = free_port()
    env = {**os.environ, "TONGBAN_VAR_DIR": str(tmp_path), "GATEWAY_PORT": str(gateway_port),
           "NOTIFY_SMTP_PORT": str(free_port()), "AMQP_URL": f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"}
    for service in SERVICES:
        env.pop(f"{env_prefix(service)}_DATABASE_URL", None)
        env[f"{env_prefix(service)}_PORT"] = str(free_port())
    output = tmp_path / "make-run.log"
    with output.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "deploy.local.run"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: "Tongban is up" in output.read_text(errors="replace"), 150, 0.3, "the ready banner")
        text = output.read_text(errors="replace")
        assert "RabbitMQ does not answer" in text
        assert f"http://127.0.0.1:{gateway_port}" in text
        assert {f"{service}.db" for service in SERVICES} <= {path.name for path in tmp_path.glob("*.db")}

        url = f"http://127.0.0.1:{gateway_port}"
        assert requests.get(f"{url}/readyz", timeout=10).status_code == 200
        response = requests.post(f"{url}/v1/identity/verification-codes",
                                 json={"channel": "SMS", "target": "13700000009", "purpose": "REGISTER"}, timeout=10)
        assert response.status_code == 200, response.text
        sms_log = tmp_path / "sent" / "sms.jsonl"

        def code_sent():
            if not sms_log.exists():
                return None
            return [json.loads(line) for line in sms_log.read_text().splitlines()
                    if line.strip() and json.loads(line)["to"] == "13700000009"]

        sent = wait_until(code_sent, 30, 0.3, "the code to reach the SMS log over the direct gRPC path")
        assert len(sent) == 1
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    ports = [gateway_port, *(int(env[f"{env_prefix(service)}_PORT"]) for service in SERVICES)]
    still_listening = [port for port in ports if _listening(port)]
    assert still_listening == [], "processes outlived Ctrl-C"


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
