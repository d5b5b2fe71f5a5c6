"""Processes the benchmarks measure against: the echo gRPC service, and a bare Flask app under gunicorn.

``python -m bench.upstreams echo PORT JWKS_FILE`` serves the gateway's echo service
(and a JWKS-only identity) behind the chassis interceptors, trusting the keys in JWKS_FILE.
``python -m bench.upstreams bare-flask`` serves one Flask route with the gateway's
gunicorn settings (GATEWAY_* variables), the floor for the gateway's own cost.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

from flask import Flask, jsonify

from gateway.__main__ import GatewayApplication


def bare_flask_app() -> Flask:
    app = Flask("bare")

    @app.get("/v1/echo/things/<thing_id>")
    def thing(thing_id: str):
        return jsonify({"id": thing_id, "name": f"things/{thing_id}", "shelf": "", "title": f"thing {thing_id}",
                        "labels": ["a", "b"]})

    return app


class BareFlaskApplication(GatewayApplication):
    def load(self):
        return bare_flask_app()


def serve_echo(port: int, jwks_file: Path) -> None:
    from gateway.tests.echo_server import FakeIdentity, start_echo_server
    from services.chassis.auth import TokenVerifier

    def jwks() -> dict:
        return json.loads(jwks_file.read_text())

    running = start_echo_server(port, verifier=TokenVerifier(jwks), identity=FakeIdentity(jwks))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"echo serving on {running.port}", flush=True)
    stop.wait()
    running.stop(1)


if __name__ == "__main__":
    if sys.argv[1] == "echo":
        serve_echo(int(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1] == "bare-flask":
        BareFlaskApplication().run()
    else:
        sys.exit(f"unknown upstream {sys.argv[1]!r}")
