"""One gateway instance as an operator runs it: its help, its own control socket, one scrape for all its workers."""

from __future__ import annotations

import glob
import os
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from gateway.tests.gateway_process import REPO_ROOT, GatewayProcess
from services.chassis.testing import free_port


def request_counts(text: str, route: str) -> float:
    """The requests a scrape counts for one route template, over every method and status."""
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "http_server_request_duration_seconds_count"
               and sample.labels.get("http_route") == route)


def test_help_prints_the_usage_and_serves_nothing():
    port = free_port()
    done = subprocess.run([sys.executable, "-m", "gateway", "--help"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "GATEWAY_PORT": str(port)})
    assert done.returncode == 0
    assert "usage: python -m gateway" in done.stdout and "GATEWAY_CORS_ORIGINS" in done.stdout
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_two_gateways_on_one_host_each_keep_their_own_control_socket(echo_address):
    first = GatewayProcess(echo_address, echo_address, GATEWAY_WORKERS="1")
    second = GatewayProcess(echo_address, echo_address, GATEWAY_WORKERS="1")
    try:
        [first_dir] = glob.glob(os.path.join(tempfile.gettempdir(), f"tongban-gateway-{first.process.pid}-*"))
        [second_dir] = glob.glob(os.path.join(tempfile.gettempdir(), f"tongban-gateway-{second.process.pid}-*"))
        assert first_dir != second_dir
        assert Path(first_dir, "gunicorn.ctl").exists() and Path(second_dir, "gunicorn.ctl").exists()
        assert first.stop() == 0
        assert not Path(first_dir).exists()
        assert Path(second_dir, "gunicorn.ctl").exists()
        assert requests.get(f"{second.url}/healthz", timeout=10).status_code == 200
    finally:
        first.stop()
        second.stop()


def test_metrics_answer_for_every_worker_of_the_instance(echo_address, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    gateway = GatewayProcess(echo_address, echo_address, GATEWAY_WORKERS="2", GATEWAY_RUN_DIR=str(run_dir),
                             GATEWAY_RATE_LIMIT_PER_SECOND="0")
    try:
        route = "/v1/echo/things/{id}"
        calls = 40
        for n in range(calls):
            # A connection each, so the calls spread over both workers.
            assert requests.get(f"{gateway.url}/v1/echo/things/{uuid.uuid4().hex[:6]}{n}", timeout=10).ok
        sockets = sorted(run_dir.glob("metrics-*.sock"))
        assert len(sockets) == 2
        per_worker = [request_counts(_read(path), route) for path in sockets]
        assert sum(per_worker) == calls
        for _ in range(4):  # whichever worker a scrape reaches answers for both
            scrape = requests.get(f"{gateway.url}/metrics", timeout=10)
            assert scrape.headers["Content-Type"].startswith("text/plain")
            assert request_counts(scrape.text, route) == calls
    finally:
        gateway.stop()


def _read(path: Path) -> str:
    with socket.socket(socket.AF_UNIX) as connection:
        connection.connect(str(path))
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()
