"""``python -m gateway``: the gateway under gunicorn, configured by gateway/gunicorn_conf.py.

Gunicorn's master handles the signals: SIGTERM stops gracefully (workers finish their
requests within ``graceful_timeout``), SIGINT/SIGQUIT stop at once.
"""

from __future__ import annotations

import sys

from gunicorn.app.base import BaseApplication

from gateway.config import GatewaySettings
from services.chassis.config import ConfigError
from services.chassis.telemetry import configure_logging

_SETTING_NAMES = ("bind", "workers", "threads", "worker_class", "preload_app", "timeout", "graceful_timeout",
                  "keepalive", "accesslog", "errorlog", "loglevel", "proc_name", "logconfig_dict", "post_fork")


class GatewayApplication(BaseApplication):
    def load_config(self) -> None:
        from gateway import gunicorn_conf

        for name in _SETTING_NAMES:
            self.cfg.set(name, getattr(gunicorn_conf, name))

    def load(self):
        from gateway.app import create_app_from_env

        return create_app_from_env()


def main() -> int:
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
