"""Processes the benchmarks measure against: the echo gRPC service, and bare Flask apps under gunicorn.

``python -m bench.upstreams echo PORT JWKS_FILE`` serves the gateway's echo service
(and a JWKS-only identity) behind the chassis interceptors, trusting the keys in JWKS_FILE.
``python -m bench.upstreams bare-flask`` serves one Flask route with the gateway's
gunicorn settings (GATEWAY_* variables): HTTP handling alone.
``python -m bench.upstreams flask-grpc ECHO_ADDRESS`` serves the same route, answered by
the echo service's ``GetThing`` over a channel made as the gateway makes its own: a
hand-written REST-to-gRPC route with none of the gateway's work (no route table,
transcoding, verification, limits, metrics or header forwarding), the floor the
gateway's own cost is measured from.
"""

from __future__ import annotations

import functools
import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask, jsonify, request

from gateway.__main__ import GatewayApplication


def bare_flask_app() -> Flask:
    app = Flask("bare")

    @app.get("/v1/echo/things/<thing_id>")
    def thing(thing_id: str):
        return jsonify({"id": thing_id, "name": f"things/{thing_id}", "shelf": "", "title": f"thing {thing_id}",
                        "labels": ["a", "b"]})

    return app


def flask_grpc_app(echo_address: str) -> Flask:
    from protos.testing.v1 import echo_pb2, echo_pb2_grpc
    from services.chassis.grpc_client import ChannelFactory

    app = Flask("flask-grpc")
    # Made on first use, in the worker after gunicorn's fork, as the gateway's channels are.
    stubs: list[echo_pb2_grpc.EchoServiceStub] = []

    @app.get("/v1/echo/things/<thing_id>")
    def thing(thing_id: str):
        if not stubs:
            channels = ChannelFactory.static({"testing": echo_address}, interceptors=())
            stubs.append(channels.stub("testing", echo_pb2_grpc.EchoServiceStub))
        answer = stubs[0].GetThing(echo_pb2.GetThingRequest(id=thing_id), timeout=10,
                                   metadata=(("authorization", request.headers.get("Authorization", "")),))
        return jsonify({"id": answer.id, "name": answer.name, "shelf": answer.shelf, "title": answer.title,
                        "labels": list(answer.labels)})

    return app


class BareFlaskApplication(GatewayApplication):
    def __init__(self, make_app: Callable[[], Flask]):
        self.make_app = make_app
        super().__init__()

    def load(self):
        return self.make_app()


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
        BareFlaskApplication(bare_flask_app).run()
    elif sys.argv[1] == "flask-grpc":
        BareFlaskApplication(functools.partial(flask_grpc_app, sys.argv[2])).run()
    else:
        sys.exit(f"unknown upstream {sys.argv[1]!r}")
