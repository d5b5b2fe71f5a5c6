"""Notify's own settings, read from the environment with the chassis' typed reader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.chassis.config import REPO_ROOT, REQUIRED, Env


@dataclass(frozen=True)
class NotifySettings:
    sms_provider: str
    sms_log_path: str
    sms_http_url: str
    sms_http_token: str
    sms_signature: str
    smtp_host: str
    smtp_port: int
    smtp_timeout: float
    mail_from: str
    # Retries: attempt n waits retry_base_seconds * 2**(n-1) in a delay queue; after max_attempts, parked.
    retry_base_seconds: float
    max_attempts: int
    sms_rate_per_second: float
    email_rate_per_second: float
    # Maintenance: CREATED older than this is replayed; SENDING older than that has timed out.
    created_replay_seconds: float
    sending_timeout_seconds: float
    maintenance_interval_seconds: float
    fanout_page_size: int
    prefetch: int
    receipt_token: str
    # notify's own relay polls its outbox this often when idle: the delivery tasks of a code wait at most this.
    relay_poll_seconds: float = 0.05
    # consume's broadcast lanes run this much nicer than its code lane's process, so a code gets a busy core first.
    bulk_nice: int = 10

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NotifySettings:
        env = Env(environ)
        production = env.environment() == "prod"
        provider = env.str("NOTIFY_SMS_PROVIDER", "http" if production else "log", choices=("log", "http"))
        settings = cls(
            sms_provider=provider,
            sms_log_path=env.str("NOTIFY_SMS_LOG_PATH", str(REPO_ROOT / "var" / "sent" / "sms.jsonl")),
            sms_http_url=env.url("NOTIFY_SMS_HTTP_URL", "", schemes=("http", "https")),
            sms_http_token=env.str("NOTIFY_SMS_HTTP_TOKEN", ""),
            sms_signature=env.str("NOTIFY_SMS_SIGNATURE", "【通办】"),
            # localhost:8025 is make run's mail sink; production names its mail server.
            smtp_host=env.str("NOTIFY_SMTP_HOST", REQUIRED if production else "localhost"),
            smtp_port=env.int("NOTIFY_SMTP_PORT", 8025, minimum=1, maximum=65535),
            smtp_timeout=env.float("NOTIFY_SMTP_TIMEOUT_SECONDS", 10.0, minimum=0.1),
            mail_from=env.str("NOTIFY_MAIL_FROM", "noreply@tongban.local"),
            retry_base_seconds=env.float("NOTIFY_RETRY_BASE_SECONDS", 10.0, minimum=0.01),
            max_attempts=env.int("NOTIFY_MAX_ATTEMPTS", 5, minimum=1, maximum=20),
            sms_rate_per_second=env.float("NOTIFY_SMS_RATE_PER_SECOND", 200.0, minimum=0.1),
            email_rate_per_second=env.float("NOTIFY_EMAIL_RATE_PER_SECOND", 50.0, minimum=0.1),
            created_replay_seconds=env.float("NOTIFY_CREATED_REPLAY_SECONDS", 30.0, minimum=0.0),
            sending_timeout_seconds=env.float("NOTIFY_SENDING_TIMEOUT_SECONDS", 300.0, minimum=1.0),
            maintenance_interval_seconds=env.float("NOTIFY_MAINTENANCE_INTERVAL_SECONDS", 10.0, minimum=0.1),
            fanout_page_size=env.int("NOTIFY_FANOUT_PAGE_SIZE", 500, minimum=1, maximum=5000),
            prefetch=env.int("NOTIFY_PREFETCH", 50, minimum=1, maximum=1000),
            receipt_token=env.str("NOTIFY_RECEIPT_TOKEN", ""),
            relay_poll_seconds=env.float("NOTIFY_RELAY_POLL_SECONDS", 0.05, minimum=0.005),
            bulk_nice=env.int("NOTIFY_BULK_NICE", 10, minimum=0, maximum=19),
        )
        if production and settings.smtp_host in ("localhost", "127.0.0.1", "::1"):
            env.problems.append("NOTIFY_SMTP_HOST is this host, where make run's mail sink listens: "
                                "production names its mail server")
        if production and provider == "log":
            env.problems.append("NOTIFY_SMS_PROVIDER=log writes codes to a file, not to phones: "
                                "production sends through http")
        if provider == "http" and not settings.sms_http_url:
            env.problems.append("NOTIFY_SMS_HTTP_URL is required when NOTIFY_SMS_PROVIDER=http")
        env.check()
        return settings

    def retry_delays(self) -> list[float]:
        """The wait before each retry: exponential back-off, one delay queue per step."""
        return [self.retry_base_seconds * 2 ** step for step in range(self.max_attempts - 1)]
