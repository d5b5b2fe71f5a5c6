"""One authenticated REST call through the gateway, beside its two floors, measured in the same run.

- gateway: ``GET /v1/echo/things/{id}`` with a bearer token, through gunicorn, the
  transcoder, JWT verification at the gateway and again at the service, to the echo gRPC
  service behind the chassis interceptors;
- direct gRPC: the same ``GetThing`` call with the same token, straight to the service;
- bare Flask: one Flask route answering the same JSON under the same gunicorn settings.

Each is driven by the same closed-loop generator (bench/load.py) for a few seconds,
three times; the ratios say what the gateway costs over each floor.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from bench.load import LoadResult, grpc_load, http_load
from bench.report import Figure, print_figure, print_header
from services.chassis.testing import TokenMinter, free_port, stop_process

RUNS = 3
SECONDS = 4.0
GUNICORN_ENV = {"GATEWAY_WORKERS": "2", "GATEWAY_THREADS": "8", "GATEWAY_RATE_LIMIT_PER_SECOND": "0",
                "LOG_LEVEL": "WARNING"}



@contextmanager
def _process(argv: list[str], env: dict[str, str], ready_url: str | None = None) -> Iterator[None]:
    process = subprocess.Popen(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while ready_url and time.monotonic() < deadline:
            try:
                if requests.get(ready_url, timeout=1).status_code < 500:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield
    finally:
        stop_process(process)


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _direct_call(address: str, token: str):
    """Runs in each load worker: one channel per process, like the gateway's."""
    from protos.testing.v1 import echo_pb2, echo_pb2_grpc
    from services.chassis.grpc_client import ChannelFactory

    stub = ChannelFactory.static({"testing": address}).stub("testing", echo_pb2_grpc.EchoServiceStub)
    request = echo_pb2.GetThingRequest(id="42")
    metadata = (("authorization", f"Bearer {token}"),)
    return functools.partial(stub.GetThing, request, metadata=metadata, timeout=10)


def _figures(name: str, results: list[LoadResult]) -> tuple[Figure, Figure, Figure]:
    errors = sum(r.errors for r in results)
    label = f"{name}{f' ({errors} errors)' if errors else ''}"
    return (Figure(f"{label} throughput", [r.requests_per_second for r in results], "req/s"),
            Figure(f"{name} p50", [r.p50_ms for r in results], "ms"),
            Figure(f"{name} p99", [r.p99_ms for r in results], "ms"))


def main() -> None:
    minter = TokenMinter()
    token = minter.mint("bench-account", org="bench-org", scopes=("rare_earth",), ttl_seconds=3600)
    headers = {"Authorization": f"Bearer {token}"}
    with tempfile.TemporaryDirectory() as scratch:
        jwks_file = Path(scratch) / "jwks.json"
        jwks_file.write_text(json.dumps(minter.jwks()))
        echo_port, gateway_port, flask_port = free_port(), free_port(), free_port()
        echo_address = f"127.0.0.1:{echo_port}"
        python = sys.executable
        with _process([python, "-m", "bench.upstreams", "echo", str(echo_port), str(jwks_file)], {}):
            _wait_for_port(echo_port)
            gateway_env = {**GUNICORN_ENV, "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(gateway_port)}
            flask_env = {**GUNICORN_ENV, "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(flask_port)}
            with _process([python, "-m", "gateway.tests.serve_echo_gateway", echo_address], gateway_env,
                          f"http://127.0.0.1:{gateway_port}/healthz"), \
                 _process([python, "-m", "bench.upstreams", "bare-flask"], flask_env,
                          f"http://127.0.0.1:{flask_port}/v1/echo/things/1"):
                gateway_url = f"http://127.0.0.1:{gateway_port}/v1/echo/things/42"
                check = requests.get(gateway_url, headers=headers, timeout=10)
                if check.status_code != 200:
                    raise RuntimeError(f"gateway answered {check.status_code}: {check.text}")
                gateway, direct, bare = [], [], []
                for _ in range(RUNS):  # interleaved, so drift on the shared machine hits all three alike
                    gateway.append(http_load(gateway_url, headers=headers, seconds=SECONDS))
                    direct.append(grpc_load(functools.partial(_direct_call, echo_address, token), seconds=SECONDS))
                    bare.append(http_load(f"http://127.0.0.1:{flask_port}/v1/echo/things/42", seconds=SECONDS))

    print_header("authenticated REST call through the gateway (2 load processes x 4 threads, keep-alive)")
    gateway_figures, direct_figures, bare_figures = (_figures("gateway", gateway), _figures("direct gRPC", direct),
                                                     _figures("bare Flask", bare))
    for mine, floor in zip(gateway_figures, direct_figures, strict=True):
        print_figure(mine, floor, higher_is_better=mine.unit == "req/s")
    for mine, floor in zip(gateway_figures, bare_figures, strict=True):
        print_figure(mine, floor, higher_is_better=mine.unit == "req/s")


if __name__ == "__main__":
    main()
