"""A stand-in Consul agent: the few HTTP endpoints the discovery adapter calls, recorded for assertions.

No Consul agent can run on these machines; this speaks just enough of its API
(register, deregister, health) to test the adapter, the runtime and the gateway against.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class StandInAgent:
    def __init__(self):
        self.requests: list[tuple[str, str, dict, object]] = []
        self.healthy: dict[str, list[dict]] = {}
        agent = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def _record(self, method):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                agent.requests.append((method, parts.path, parse_qs(parts.query, keep_blank_values=True), body))
                return parts

            def _answer(self, status, document):
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Consul-Index", "7")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self):
                parts = self._record("PUT")
                if parts.path == "/v1/agent/service/register" or parts.path.startswith(
                        "/v1/agent/service/deregister/"):
                    self._answer(200, None)
                else:
                    self._answer(404, None)

            def do_GET(self):
                parts = self._record("GET")
                prefix = "/v1/health/service/"
                if parts.path.startswith(prefix):
                    self._answer(200, agent.healthy.get(parts.path[len(prefix):], []))
                else:
                    self._answer(404, None)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()


def instance(address, port):
    return {"Node": {"Node": "n1", "Address": "10.9.9.9"},
            "Service": {"ID": f"x-{address}-{port}", "Service": "tongban-identity", "Address": address, "Port": port},
            "Checks": [{"Status": "passing"}]}
