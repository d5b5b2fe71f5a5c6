"""The real platform for end-to-end tests: every process of `make run`, on PostgreSQL and RabbitMQ.

Started once per test session from the same process description as `make run`
(deploy/local/stack.py), with fresh databases, a fresh vhost and free ports.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from deploy.local.stack import StackConfig
from services.chassis.registry import SERVICES
from services.chassis.testing import free_port

READY_TIMEOUT = 120.0



@dataclass
class Stack:
    config: StackConfig
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.config.gateway_url

    @property
    def admin(self) -> dict[str, str]:
        return dict(self.config.admin)

    @property
    def log_dir(self) -> Path:
        return self.config.var_dir / "logs"

    def sent_sms(self) -> list[dict]:
        if not self.config.sms_log.exists():
            return []
        lines = self.config.sms_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def sent_mail(self) -> list[email.message.EmailMessage]:
        if not self.config.mail_dir.exists():
            return []
        return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(self.config.mail_dir.glob("*.eml"))]

    def _codes_for(self, target: str) -> list[str]:
        texts = [sms["text"] for sms in self.sent_sms() if sms.get("to") == target]
        for mail in self.sent_mail():
            if target in str(mail.get("To", "")):
                body = mail.get_body(preferencelist=("plain", "html"))
                texts.append(body.get_content() if body else "")
        return [match.group(0) for text in texts for match in [re.search(r"(?<!\d)\d{6}(?!\d)", text)] if match]

    def latest_code(self, target: str, *, after: int = 0, timeout: float = 20.0) -> str:
        """The newest 6-digit code sent to a phone or e-mail; ``after`` skips that many earlier codes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            codes = self._codes_for(target)
            if len(codes) > after:
                return codes[-1]
            time.sleep(0.2)
        raise AssertionError(f"no verification code reached {target} within {timeout}s")

    def code_count(self, target: str) -> int:
        return len(self._codes_for(target))

    def request_code(self, target: str, purpose: str, channel: str = "SMS") -> None:
        response = requests.post(f"{self.url}/v1/identity/verification-codes",
                                 json={"channel": channel, "target": target, "purpose": purpose}, timeout=10)
        assert response.status_code == 200, response.text

    def login(self, identifier: str, password: str, phone: str, organization_id: str | None = None) -> dict:
        """Log in with password and SMS code; returns the session body (accessToken, refreshToken, ...).

        Waits out the per-phone resend interval when another test has just asked for a code.
        """
        deadline = time.monotonic() + 120
        while True:
            before = self.code_count(phone)
            sent = requests.post(f"{self.url}/v1/identity/verification-codes",
                                 json={"channel": "SMS", "target": identifier, "purpose": "LOGIN"}, timeout=10)
            if sent.status_code == 200:
                break
            assert sent.status_code == 429 and time.monotonic() < deadline, sent.text
            time.sleep(2)
        code = self.latest_code(phone, after=before)
        body = {"identifier": identifier, "password": password, "smsCode": code}
        if organization_id:
            body["organizationId"] = organization_id
        response = requests.post(f"{self.url}/v1/identity/sessions", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.log_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _wait_ready(stack: Stack) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last = ""
    while time.monotonic() < deadline:
        for name, process in stack.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{stack.log_tail(name)}")
        try:
            response = requests.get(f"{stack.url}/readyz", timeout=2)
            if response.status_code == 200:
                return
            last = response.text
        except requests.RequestException as exc:
            last = str(exc)
        time.sleep(0.5)
    raise RuntimeError(f"the stack was not ready within {READY_TIMEOUT}s: {last}")


def _stop(stack: Stack) -> None:
    for process in stack.processes.values():
        if process.poll() is None:
            # Each process leads its own session: signal the whole group, so a child it started goes too.
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in stack.processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, postgres_database, rabbit_vhost) -> Iterator[Stack]:
    config = StackConfig(
        var_dir=tmp_path_factory.mktemp("stack"),
        gateway_port=free_port(),
        smtp_port=free_port(),
        service_ports={service: free_port() for service in SERVICES},
        database_urls={service: postgres_database(f"e2e_{service}") for service in SERVICES},
        amqp_url=rabbit_vhost("e2e"),
        admin={"login": "e2eadmin", "password": "Admin2026e2e", "phone": "13900000000"},
        # Fast retries and scheduling so tests see final states quickly.
        extra_env={"NOTIFY_RETRY_BASE_SECONDS": "1", "GATEWAY_RATE_LIMIT_PER_SECOND": "1000",
                   "GATEWAY_RATE_LIMIT_BURST": "2000"},
    )
    env = config.environment(os.environ)
    stack = Stack(config)
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    config.mail_dir.mkdir(parents=True, exist_ok=True)
    for argv in [*config.migrations(), *config.seed_steps()]:
        result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, f"{' '.join(argv[1:])} failed:\n{result.stdout}\n{result.stderr}"
    try:
        for process in config.processes():
            log = open(stack.log_dir / f"{process.name}.log", "wb")  # noqa: SIM115 - closed with the process
            stack.processes[process.name] = subprocess.Popen(
                process.argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        _wait_ready(stack)
        yield stack
    finally:
        _stop(stack)
