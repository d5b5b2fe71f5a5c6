"""``python -m gateway``: the gateway under gunicorn, configured by gateway/gunicorn_conf.py.

Gunicorn's master handles the signals: SIGTERM stops gracefully (workers finish their
requests within ``graceful_timeout``), SIGINT/SIGQUIT stop at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gunicorn.app.base import BaseApplication

from gateway.config import GatewaySettings
from services.chassis.config import ConfigError
from services.chassis.telemetry import configure_logging

_SETTING_NAMES = ("bind", "workers", "threads", "worker_class", "preload_app", "timeout", "graceful_timeout",
                  "keepalive", "limit_request_line", "accesslog", "errorlog", "loglevel", "proc_name",
                  "logconfig_dict", "logger_class", "control_socket", "post_fork", "worker_exit", "on_exit")

_VARIABLES = """\
environment (README.md lists them all):
  GATEWAY_HOST, GATEWAY_PORT          where it listens (0.0.0.0, 8080)
  GATEWAY_WORKERS, GATEWAY_THREADS    gunicorn worker processes and threads per worker (2, 8)
  GATEWAY_DEADLINE_SECONDS            the longest an upstream call may take (10)
  GATEWAY_MAX_BODY_BYTES              larger requests get 413 (16 MiB)
  GATEWAY_RATE_LIMIT_PER_SECOND, GATEWAY_RATE_LIMIT_BURST
                                      per client; shared by every worker and pod with REDIS_URL
  GATEWAY_CORS_ORIGINS                origins browsers may call from (dev: localhost on any port)
  GATEWAY_RUN_DIR                     this instance's control and metrics sockets (a new folder in /tmp)
  TONGBAN_PUBLIC_URL                  the address in the OpenAPI document's servers
  <SERVICE>_ADDR, CONSUL_HTTP_ADDR    where the services are
"""


class GatewayApplication(BaseApplication):
    def load_config(self) -> None:
        from gateway import gunicorn_conf

        for name in _SETTING_NAMES:
            self.cfg.set(name, getattr(gunicorn_conf, name))

    def load(self):
        from gateway.app import create_app_from_env

        return create_app_from_env()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_VARIABLES,
        description="The Tongban API gateway: REST/JSON to the services' gRPC, under gunicorn. "
                    "Serves /healthz, /readyz, /openapi.json, /docs and /metrics besides the routes.")
    parser.parse_args(argv)
    try:
        settings = GatewaySettings.from_env()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging("gateway", settings.log_level)
    GatewayApplication().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
