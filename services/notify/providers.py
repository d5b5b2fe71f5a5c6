"""Providers behind one interface: SMS (log file or an HTTP gateway) and e-mail over SMTP.

A provider either returns a reference for the accepted message or raises
:class:`TemporaryFailure` (try again later) or :class:`PermanentFailure` (never).
"""

from __future__ import annotations

import json
import smtplib
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import requests

from services.chassis.ratelimit import TokenBucket
from services.notify.settings import NotifySettings

if TYPE_CHECKING:
    from services.chassis.context import ServiceContext


class ProviderFailure(Exception):
    pass


class TemporaryFailure(ProviderFailure):
    pass


class PermanentFailure(ProviderFailure):
    pass


class Provider(Protocol):
    name: str

    def send(self, to: str, subject: str, body: str) -> str:
        """Hand one message to the provider; return its reference."""


# One message to send: (to, subject, body). A batch answers, for each, its reference or what it failed with.
Message = tuple[str, str, str]
Outcome = str | Exception


def send_batch(provider: Provider, messages: Sequence[Message]) -> list[Outcome]:
    """Hand ``messages`` to ``provider``: in one go where it takes batches (``send_batch``), else one by one.

    Each message's outcome is its own: one failing does not stop the others.
    """
    batched = getattr(provider, "send_batch", None)
    if batched is not None:
        return batched(messages)
    return [_one(provider, message) for message in messages]


def _one(provider: Provider, message: Message) -> Outcome:
    try:
        return provider.send(*message)
    except Exception as exc:
        return exc


class LogSms:
    """Dev SMS: appends ``{"to", "text", "at"}`` as one JSON line; a developer reads codes there."""

    name = "sms-log"

    def __init__(self, path: str):
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, to: str, subject: str, body: str) -> str:
        return self._write([(to, subject, body)])[0]

    def send_batch(self, messages: Sequence[Message]) -> list[Outcome]:
        """Every line in one write: a broadcast's batch opens the file once, not once a message."""
        try:
            return list(self._write(messages))
        except OSError as exc:
            return [exc] * len(messages)

    def _write(self, messages: Sequence[Message]) -> list[str]:
        at = datetime.now(UTC).isoformat()
        lines = "".join(json.dumps({"to": to, "text": body, "at": at}, ensure_ascii=False) + "\n"
                        for to, _subject, body in messages)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(lines)
                handle.flush()
        return [f"log-{uuid.uuid4().hex}" for _ in messages]


class HttpSms:
    """An HTTP SMS gateway: ``POST {url}`` JSON ``{"to", "text"}`` with a bearer token; answers ``{"id"}``."""

    name = "sms-http"

    def __init__(self, url: str, token: str, timeout: float = 10.0):
        self.url = url
        self.token = token
        self.timeout = timeout
        self._session = requests.Session()

    def send(self, to: str, subject: str, body: str) -> str:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = self._session.post(self.url, json={"to": to, "text": body}, headers=headers,
                                          timeout=self.timeout)
        except requests.RequestException as exc:
            raise TemporaryFailure(f"短信网关无法连接：{exc.__class__.__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TemporaryFailure(f"短信网关暂时不可用：HTTP {response.status_code}")
        if response.status_code >= 400:
            raise PermanentFailure(f"短信网关拒绝：HTTP {response.status_code} {response.text[:200]}")
        try:
            reference = str(response.json().get("id") or "")
        except ValueError:
            reference = ""
        return reference or f"http-{uuid.uuid4().hex}"


class SmtpEmail:
    """E-mail over SMTP; 4xx answers and connection trouble are temporary, 5xx permanent."""

    name = "email-smtp"

    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0):
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout

    def send(self, to: str, subject: str, body: str) -> str:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message_id = make_msgid(domain="tongban.local")
        message["Message-ID"] = message_id
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            if codes and all(400 <= code < 500 for code in codes):
                raise TemporaryFailure(f"邮件服务器暂时拒收：{codes}") from exc
            raise PermanentFailure(f"邮件服务器拒收收件人：{codes}") from exc
        except smtplib.SMTPResponseException as exc:
            text = f"{exc.smtp_code} {exc.smtp_error!r}"
            if 400 <= exc.smtp_code < 500:
                raise TemporaryFailure(f"邮件服务器暂时拒收：{text}") from exc
            raise PermanentFailure(f"邮件服务器拒收：{text}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"邮件服务器无法连接：{exc.__class__.__name__}") from exc
        return message_id


class RateLimited:
    """Holds a provider to its send rate (a token bucket per provider, per process)."""

    def __init__(self, provider: Provider, bucket: TokenBucket):
        self.provider = provider
        self.name = provider.name
        self.bucket = bucket

    def send(self, to: str, subject: str, body: str) -> str:
        self.bucket.acquire()
        return self.provider.send(to, subject, body)

    def send_batch(self, messages: Sequence[Message]) -> list[Outcome]:
        for _ in messages:
            self.bucket.acquire()
        return send_batch(self.provider, messages)


@dataclass(frozen=True)
class NotifyProviders:
    """The provider of each external channel (IN_SITE needs none: writing the inbox is the sending)."""

    sms: Provider
    email: Provider

    def for_channel(self, channel: str) -> Provider | None:
        return {"SMS": self.sms, "EMAIL": self.email}.get(channel)


def configured_providers(settings: NotifySettings) -> NotifyProviders:
    """The providers the settings name, each held to its rate by a token bucket of this process."""
    sms: Provider = (LogSms(settings.sms_log_path) if settings.sms_provider == "log"
                     else HttpSms(settings.sms_http_url, settings.sms_http_token))
    email: Provider = SmtpEmail(settings.smtp_host, settings.smtp_port, settings.mail_from, settings.smtp_timeout)
    return NotifyProviders(sms=RateLimited(sms, TokenBucket(settings.sms_rate_per_second)),
                           email=RateLimited(email, TokenBucket(settings.email_rate_per_second)))


def providers_for(context: ServiceContext) -> NotifyProviders:
    """The definition's factory: the providers its settings name."""
    return configured_providers(context.config)
