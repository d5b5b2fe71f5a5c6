"""Runs the real gateway under gunicorn (gateway/gunicorn_conf.py) in front of an echo server.

``python -m gateway.tests.serve_echo_gateway <echo host:port> [<identity host:port>]``;
GATEWAY_* variables apply. Identity (for the JWKS) defaults to the echo address.
The tests start it as a subprocess to go through gunicorn over real HTTP.
"""

from __future__ import annotations

import sys

from gateway.__main__ import GatewayApplication
from services.chassis.telemetry import configure_logging


class EchoGatewayApplication(GatewayApplication):
    def __init__(self, upstream: str, identity: str):
        self.upstream = upstream
        self.identity = identity
        super().__init__()

    def load(self):
        from gateway.app import create_app
        from gateway.config import GatewaySettings
        from protos.identity.v1 import directory_pb2
        from protos.testing.v1 import echo_pb2
        from services.chassis.grpc_client import ChannelFactory

        # As the gateway makes its own (gateway.app.gateway_channels): it writes each call's metadata itself.
        channels = ChannelFactory.static({"testing": self.upstream, "identity": self.identity}, interceptors=())
        return create_app(GatewaySettings.from_env(), [echo_pb2, directory_pb2], channels)


if __name__ == "__main__":
    configure_logging("gateway")
    EchoGatewayApplication(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else sys.argv[1]).run()
