"""Production never falls back to make run's senders: codes to a file, mail to the local sink."""

from __future__ import annotations

import pytest

from services.chassis.config import ConfigError
from services.notify.settings import NotifySettings

PRODUCTION = {"TONGBAN_ENV": "prod", "NOTIFY_SMS_HTTP_URL": "https://sms.example.invalid/send",
              "NOTIFY_SMTP_HOST": "smtp.example.invalid"}


def test_production_with_its_sms_gateway_and_mail_server_named_loads():
    settings = NotifySettings.from_env(PRODUCTION)
    assert (settings.sms_provider, settings.smtp_host) == ("http", "smtp.example.invalid")


def test_production_refuses_the_log_sms_provider():
    with pytest.raises(ConfigError, match="NOTIFY_SMS_PROVIDER=log"):
        NotifySettings.from_env({**PRODUCTION, "NOTIFY_SMS_PROVIDER": "log"})


def test_production_names_its_mail_server_rather_than_the_local_sink():
    environ = {k: v for k, v in PRODUCTION.items() if k != "NOTIFY_SMTP_HOST"}
    with pytest.raises(ConfigError, match="NOTIFY_SMTP_HOST"):
        NotifySettings.from_env(environ)
    with pytest.raises(ConfigError, match="mail sink"):
        NotifySettings.from_env({**environ, "NOTIFY_SMTP_HOST": "localhost"})


def test_development_defaults_to_the_log_provider_and_the_local_sink():
    settings = NotifySettings.from_env({"TONGBAN_ENV": "dev"})
    assert (settings.sms_provider, settings.smtp_host, settings.smtp_port) == ("log", "localhost", 8025)
