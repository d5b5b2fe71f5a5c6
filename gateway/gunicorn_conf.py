"""Gunicorn settings for the gateway, from the same environment variables as the app.

- No preload: each worker imports the app and makes its gRPC channels after the fork
  (gRPC channels and OpenTelemetry's export thread do not survive a fork).
- Worker class: gthread when GATEWAY_THREADS > 1 (the default, 8), sync when it is 1.
  Measured on the 2-core machines here (2 workers, 16 clients, echo upstream): both
  classes move about the same number of fast calls a second, with or without keep-alive.
  They differ on slow upstream calls: a sync worker is held for the whole call, so two
  slow calls stop the gateway, while a gthread worker keeps serving on its other threads.
  Keep-alive connections stay on the worker that accepted them, so ``keepalive`` is short
  to let load spread over workers again.
- Each instance has a run folder of its own (``GATEWAY_RUN_DIR``, else a new one under the
  temporary directory): gunicorn's control socket (``gunicornc -s <dir>/gunicorn.ctl``) and
  the workers' metrics sockets live there, so two gateways on one host never delete each
  other's.
- Usable directly: ``gunicorn -c gateway/gunicorn_conf.py`` (the app is named below).
"""

from __future__ import annotations

import contextlib
import os
import tempfile

from gunicorn.glogging import Logger

from gateway.config import GatewaySettings
from services.chassis.telemetry import configure_tracing

_settings = GatewaySettings.from_env()
# Read in the master before it forks: the workers inherit it.
run_dir = _settings.run_dir or tempfile.mkdtemp(prefix=f"tongban-gateway-{os.getpid()}-")
_made_run_dir = _settings.run_dir is None

wsgi_app = "gateway.app:create_app_from_env()"
bind = [f"{_settings.host}:{_settings.port}"]
workers = _settings.workers
threads = _settings.threads
worker_class = "gthread" if _settings.threads > 1 else "sync"
preload_app = False
# A worker that is silent for longer than the longest upstream call plus slack is stuck.
timeout = int(_settings.deadline_seconds) + 20
graceful_timeout = int(_settings.deadline_seconds) + 5
keepalive = 2
# The longest request line gunicorn takes (its maximum): list filters travel in the query string.
limit_request_line = 8190
control_socket = os.path.join(run_dir, "gunicorn.ctl")
# The app logs each request itself, as JSON with the request id; gunicorn's own access log stays off.
accesslog = None
errorlog = "-"
loglevel = _settings.log_level.lower()
proc_name = "tongban-gateway"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "services.chassis.telemetry.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        "error_console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
    },
    "root": {"level": _settings.log_level, "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": _settings.log_level, "handlers": ["error_console"], "propagate": False,
                           "qualname": "gunicorn.error"},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False, "qualname": "gunicorn.access"},
    },
}


class GatewayLogger(Logger):
    """Gunicorn's logger, JSON as configured, without an access line: with a logging configuration
    gunicorn would format one per request only to drop it."""

    def access(self, resp, req, environ, request_time) -> None:
        return


logger_class = GatewayLogger


def post_fork(server, worker) -> None:
    """Per worker: tracing (a BatchSpanProcessor's thread made before the fork would be dead in the child),
    and its metrics, readable by whichever worker a scrape reaches."""
    from gateway import metrics

    configure_tracing("gateway")
    metrics.serve_worker(run_dir)


def worker_exit(server, worker) -> None:
    from gateway import metrics

    metrics.stop_worker()


def on_exit(server) -> None:
    """The run folder goes with the instance, when it was made for it (the control socket is gunicorn's to remove)."""
    if _made_run_dir:
        with contextlib.suppress(OSError):
            for leftover in os.listdir(run_dir):
                os.unlink(os.path.join(run_dir, leftover))
            os.rmdir(run_dir)
