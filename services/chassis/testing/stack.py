"""The whole platform for end-to-end tests, started the way a developer starts it: ``python -m deploy.local.run``.

That is `make run`'s own entry point (migrations, demo data, every process under one
supervisor), with free ports and a fresh folder. A :class:`StackProfile` says what it
runs on: the embedded default (a SQLite file per service, and no broker), the
embedded default beside RabbitMQ, or PostgreSQL and RabbitMQ as in production.
Tests talk to it over HTTP through the gateway, and read verification codes where a
developer reads them: the SMS log and the mail folder.
"""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from services.chassis.config import REPO_ROOT, env_prefix
from services.chassis.registry import SERVICES
from services.chassis.testing import free_port, wait_until

if TYPE_CHECKING:
    from deploy.local.stack import StackConfig

READY_TIMEOUT = 240.0
READY_BANNER = "Tongban is up"


@dataclass(frozen=True)
class StackProfile:
    name: str
    postgres: bool
    broker: bool

    def __str__(self) -> str:
        return self.name


EMBEDDED = StackProfile("sqlite-no-broker", postgres=False, broker=False)
EMBEDDED_WITH_BROKER = StackProfile("sqlite-rabbitmq", postgres=False, broker=True)
PRODUCTION_LIKE = StackProfile("postgresql-rabbitmq", postgres=True, broker=True)


@dataclass(frozen=True)
class DemoLogin:
    login: str
    password: str
    phone: str


@dataclass
class Stack:
    profile: StackProfile
    var_dir: Path
    env: dict[str, str]
    # Arguments of `python -m deploy.local.run` (``--prepared``: databases set up by something else).
    arguments: tuple[str, ...] = ()
    process: subprocess.Popen | None = None
    output: Path = field(init=False)
    # (identifier, phone) -> (access token, when it expires by time.monotonic()): see access_token().
    _tokens: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.output = self.var_dir / "make-run.log"

    # --- where things are --------------------------------------------------------------

    @property
    def config(self) -> StackConfig:
        """The process set `make run` makes of this environment."""
        from deploy.local.run import config_from_environment

        return config_from_environment(self.env)

    @property
    def url(self) -> str:
        return self.config.gateway_url

    @property
    def admin(self) -> dict[str, str]:
        return {"login": self.env["TONGBAN_ADMIN_LOGIN"], "password": self.env["TONGBAN_ADMIN_PASSWORD"],
                "phone": self.env["TONGBAN_ADMIN_PHONE"]}

    @property
    def sms_log(self) -> Path:
        return self.config.sms_log

    @property
    def mail_dir(self) -> Path:
        return self.config.mail_dir

    def ports(self) -> list[int]:
        return [int(self.env["GATEWAY_PORT"]), *(int(self.env[f"{env_prefix(s)}_PORT"]) for s in SERVICES)]

    def text(self) -> str:
        """Everything the stack printed so far (every process, prefixed with its name)."""
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    # --- what a developer reads off the banner -------------------------------------------

    def demo_logins(self) -> list[DemoLogin]:
        """The platform admin and every demo login the banner printed."""
        text = self.text()
        logins = []
        admin = re.search(r"Platform admin: (\S+) / (\S+)\s+phone (\d{11})", text)
        if admin:
            logins.append(DemoLogin(*admin.groups()))
        password = re.search(r"password for all: ([^;\s]+)", text)
        for match in re.finditer(r"^\s+[^\n]*?\s(demo_\w+)\s+phone (\d{11})", text, re.MULTILINE):
            logins.append(DemoLogin(match.group(1), password.group(1) if password else "", match.group(2)))
        return logins

    # --- sent messages -------------------------------------------------------------------

    def sent_sms(self) -> list[dict]:
        if not self.sms_log.exists():
            return []
        lines = self.sms_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def sent_mail(self) -> list[email.message.EmailMessage]:
        if not self.mail_dir.exists():
            return []
        return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(self.mail_dir.glob("*.eml"))]

    def _codes_for(self, target: str) -> list[str]:
        texts = [sms["text"] for sms in self.sent_sms() if sms.get("to") == target]
        for mail in self.sent_mail():
            if target in str(mail.get("To", "")):
                body = mail.get_body(preferencelist=("plain", "html"))
                texts.append(body.get_content() if body else "")
        return [match.group(0) for text in texts for match in [re.search(r"(?<!\d)\d{6}(?!\d)", text)] if match]

    def code_count(self, target: str) -> int:
        return len(self._codes_for(target))

    def latest_code(self, target: str, *, after: int = 0, timeout: float = 30.0) -> str:
        """The newest 6-digit code sent to a phone or e-mail; ``after`` skips that many earlier codes."""
        def newer() -> list[str] | None:
            codes = self._codes_for(target)
            return codes if len(codes) > after else None

        return wait_until(newer, timeout, 0.2, f"a verification code for {target}")[-1]

    # --- acting as a user ------------------------------------------------------------------

    def request_code(self, target: str, purpose: str, channel: str = "SMS") -> None:
        response = requests.post(f"{self.url}/v1/identity/verification-codes",
                                 json={"channel": channel, "target": target, "purpose": purpose}, timeout=10)
        assert response.status_code == 200, response.text

    def login(self, identifier: str, password: str, phone: str, organization_id: str | None = None, *,
              timed: Callable[[float], None] | None = None) -> dict:
        """Log in with password and SMS code; returns the session body (accessToken, refreshToken, ...).

        Waits out the per-phone resend interval when another test has just asked for a code.
        ``timed`` hears how long the login call itself took, in seconds.
        """
        deadline = time.monotonic() + 120
        while True:
            before = self.code_count(phone)
            sent = requests.post(f"{self.url}/v1/identity/verification-codes",
                                 json={"channel": "SMS", "target": identifier, "purpose": "LOGIN"}, timeout=10)
            if sent.status_code == 200:
                break
            # Only the resend interval passes by waiting; the daily limit would not within the test.
            assert sent.status_code == 429 and "CODE_DAILY_LIMIT" not in sent.text, sent.text
            assert time.monotonic() < deadline, sent.text
            time.sleep(2)
        code = self.latest_code(phone, after=before)
        body = {"identifier": identifier, "password": password, "smsCode": code}
        if organization_id:
            body["organizationId"] = organization_id
        started = time.monotonic()
        response = requests.post(f"{self.url}/v1/identity/sessions", json=body, timeout=30)
        if timed is not None:
            timed(time.monotonic() - started)
        assert response.status_code == 200, response.text
        return response.json()

    def access_token(self, identifier: str, password: str, phone: str) -> str:
        """An access token of this login, reused while it has a minute left.

        Each login spends one of the phone's ten verification codes a day and may wait out its 60 s
        resend interval, and the demo logins and the platform admin serve every flow. A test that
        logs a session out, or changes what its account may do, logs in with :meth:`login` instead.
        """
        key = (identifier, phone)
        cached = self._tokens.get(key)
        if cached is not None and cached[1] - time.monotonic() > 60:
            return cached[0]
        session = self.login(identifier, password, phone)
        self._tokens[key] = (session["accessToken"], time.monotonic() + session["expiresIn"])
        return session["accessToken"]

    def run(self, service: str, *command: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """A service's one-shot command (a job, a seed) with the stack's own environment."""
        env = self.config.environment(self.env)
        return subprocess.run([sys.executable, "-m", f"services.{service}", *command], env=env,
                              capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)

    # --- starting and stopping -------------------------------------------------------------

    def start(self) -> Stack:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        with self.output.open("wb") as log:
            argv = [sys.executable, "-m", "deploy.local.run", *self.arguments]
            self.process = subprocess.Popen(argv, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO_ROOT)
        deadline = time.monotonic() + READY_TIMEOUT
        while READY_BANNER not in self.text():
            if self.process.poll() is not None:
                raise RuntimeError(f"make run exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the stack was not up within {READY_TIMEOUT:.0f}s:\n{self.log_tail()}")
            time.sleep(0.3)
        return self

    def interrupt(self, timeout: float = 60.0) -> int:
        """Ctrl-C, as a developer stops it; answers the exit code."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # interrupt() has killed what did not stop in time.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.interrupt()


def stack_environment(profile: StackProfile, var_dir: Path, *, database_url: Callable[[str], str] | None = None,
                      amqp_url: str | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What `make run` is started with: free ports, this folder, and the profile's database and broker.

    ``database_url(service)`` makes a fresh PostgreSQL database (profiles on PostgreSQL);
    ``amqp_url`` is a fresh vhost (profiles with a broker). Without a broker, AMQP_URL
    points at a port nothing listens on, as on a laptop where RabbitMQ is not running.
    """
    env = {key: value for key, value in os.environ.items()
           if not key.endswith(("_DATABASE_URL", "_PORT", "_ADDR")) and key != "AMQP_URL"}
    env.update({
        "TONGBAN_VAR_DIR": str(var_dir),
        "GATEWAY_PORT": str(free_port()),
        "NOTIFY_SMTP_PORT": str(free_port()),
        "TONGBAN_ADMIN_LOGIN": "admin",
        "TONGBAN_ADMIN_PASSWORD": "Admin2026",
        "TONGBAN_ADMIN_PHONE": "13800000000",
    })
    for service in SERVICES:
        env[f"{env_prefix(service)}_PORT"] = str(free_port())
        if profile.postgres:
            assert database_url is not None, "a PostgreSQL profile needs a database per service"
            env[f"{env_prefix(service)}_DATABASE_URL"] = database_url(service)
    if profile.broker:
        assert amqp_url is not None, "a profile with a broker needs a vhost"
        env["AMQP_URL"] = amqp_url
    else:
        env["AMQP_URL"] = f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"
    env.update(extra or {})
    return env
