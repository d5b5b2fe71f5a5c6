"""Notify's rules, free of I/O: delivery states, templates, SMS length, back-off, rate limits, audiences."""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from services.chassis.errors import FailedPrecondition, Violations

SYSTEMS = ("identity", "rare_earth", "inspection", "ccc_exemption", "origin_cert")
CHANNELS = ("IN_SITE", "SMS", "EMAIL")


# ---- delivery states ----

CREATED = "CREATED"
SENDING = "SENDING"
SENT = "SENT"
DELIVERED = "DELIVERED"
TEMPORARY_FAILURE = "TEMPORARY_FAILURE"
PERMANENT_FAILURE = "PERMANENT_FAILURE"
TECHNICAL_FAILURE = "TECHNICAL_FAILURE"

TRANSITIONS: Mapping[str, frozenset[str]] = {
    CREATED: frozenset({SENDING, PERMANENT_FAILURE, TECHNICAL_FAILURE}),
    SENDING: frozenset({SENT, TEMPORARY_FAILURE, PERMANENT_FAILURE, TECHNICAL_FAILURE}),
    TEMPORARY_FAILURE: frozenset({SENDING, PERMANENT_FAILURE}),
    # A provider receipt settles a sent message either way.
    SENT: frozenset({DELIVERED, PERMANENT_FAILURE}),
    DELIVERED: frozenset(),
    PERMANENT_FAILURE: frozenset(),
    TECHNICAL_FAILURE: frozenset(),
}
STATUSES = tuple(TRANSITIONS)
FINAL_STATUSES = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


def sources_of(target: str) -> tuple[str, ...]:
    """Every status a delivery may move to ``target`` from: the guard of the database UPDATE."""
    return tuple(sorted(source for source, targets in TRANSITIONS.items() if target in targets))


def can_move(source: str, target: str) -> bool:
    return target in TRANSITIONS[source]


# ---- templates ----

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
PLACEHOLDER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TEMPLATE_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class TemplateError(Exception):
    """A request's params do not fill its template, or the template cannot be used on a channel."""


def placeholders(text: str) -> list[str]:
    """The placeholder names in ``text``, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in PLACEHOLDER.finditer(text or ""):
        seen.setdefault(match.group(1), None)
    return list(seen)


def render(text: str, params: Mapping[str, str]) -> str:
    missing = [name for name in placeholders(text) if name not in params]
    if missing:
        raise TemplateError(f"缺少模板参数：{', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: str(params[m.group(1)]), text)


@dataclass(frozen=True)
class TemplateWording:
    code: str
    version: int
    sms_text: str
    email_subject: str
    email_body: str
    inbox_title: str
    inbox_body: str

    def all_placeholders(self) -> list[str]:
        texts = (self.sms_text, self.email_subject, self.email_body, self.inbox_title, self.inbox_body)
        names: dict[str, None] = {}
        for text in texts:
            for name in placeholders(text):
                names.setdefault(name, None)
        return list(names)

    def supports(self, channel: str) -> bool:
        return bool({"SMS": self.sms_text, "EMAIL": self.email_body, "IN_SITE": self.inbox_body}[channel])

    def render_for(self, channel: str, params: Mapping[str, str]) -> tuple[str, str]:
        """``(subject, body)`` for one channel; raises TemplateError naming what is missing."""
        if not self.supports(channel):
            raise TemplateError(f"模板 {self.code} 没有{CHANNEL_NAMES[channel]}内容")
        if channel == "SMS":
            return "", render(self.sms_text, params)
        if channel == "EMAIL":
            return render(self.email_subject, params), render(self.email_body, params)
        return render(self.inbox_title, params), render(self.inbox_body, params)


CHANNEL_NAMES = {"SMS": "短信", "EMAIL": "邮件", "IN_SITE": "站内消息"}


def check_template(code: str, system: str, sms_text: str, email_subject: str, email_body: str,
                   inbox_title: str, inbox_body: str, signature: str) -> None:
    """Refuses a template an operator could not send: bad code, bad placeholders, an SMS too long."""
    v = Violations()
    if not TEMPLATE_CODE.match(code or ""):
        v.add("code", "模板编码应为“系统.事件”形式的小写英文，如 identity.verification_code.login")
    elif system and code.split(".")[0] != system:
        v.add("system", f"模板编码应以所属系统 {system} 开头")
    if system and system not in SYSTEMS and system != "notify":
        v.add("system", f"未知系统：{system}")
    fields = {"smsText": sms_text, "emailSubject": email_subject, "emailBody": email_body,
              "inboxTitle": inbox_title, "inboxBody": inbox_body}
    for field, text in fields.items():
        for name in placeholders(text):
            if not PLACEHOLDER_NAME.match(name):
                v.add(field, f"占位符 {{{name}}} 不合法：只能使用英文字母、数字和下划线")
        if text.count("{") != text.count("}"):
            v.add(field, "花括号不成对")
    if not (sms_text or email_body or inbox_body):
        v.add("smsText", "至少填写一种渠道（短信、邮件或站内消息）的内容")
    if email_body and not email_subject:
        v.add("emailSubject", "有邮件正文时须填写邮件主题")
    if inbox_body and not inbox_title:
        v.add("inboxTitle", "有站内消息正文时须填写标题")
    if sms_text:
        static = PLACEHOLDER.sub("", sms_text)
        if sms_length(signature + static) > SMS_MAX_CHARS:
            v.add("smsText", f"短信内容过长：不含参数已超过 {SMS_MAX_CHARS} 字")
    v.raise_if_any("模板内容有误")


# ---- SMS text ----

# UCS-2 (any Chinese text): 70 characters fit one message, 67 per part once split.
SMS_SINGLE_CHARS = 70
SMS_PART_CHARS = 67
SMS_MAX_FRAGMENTS = 8
SMS_MAX_CHARS = SMS_PART_CHARS * SMS_MAX_FRAGMENTS


class SmsTooLong(TemplateError):
    pass


def sms_length(text: str) -> int:
    return len(text)


def sms_fragments(text: str) -> int:
    length = sms_length(text)
    if length <= SMS_SINGLE_CHARS:
        return 1
    return math.ceil(length / SMS_PART_CHARS)


def check_sms(text: str) -> int:
    """The number of fragments the text is sent in; refuses empty or over-long text."""
    if not text.strip():
        raise TemplateError("短信内容为空")
    fragments = sms_fragments(text)
    if fragments > SMS_MAX_FRAGMENTS:
        raise SmsTooLong(f"短信内容过长：{sms_length(text)} 字，需拆分为 {fragments} 条，最多 {SMS_MAX_FRAGMENTS} 条")
    return fragments


def with_signature(signature: str, text: str) -> str:
    return text if not signature or text.startswith(signature) else signature + text


# ---- retries ----

def retry_delay(attempt: int, base_seconds: float) -> float:
    """Exponential back-off: the wait after failed attempt ``attempt`` (1-based)."""
    return base_seconds * 2 ** (attempt - 1)


# ---- provider rate limit ----

class TokenBucket:
    """``rate`` sends per second with bursts up to ``capacity``; :meth:`acquire` waits for a token."""

    def __init__(self, rate: float, capacity: float | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(1.0, rate)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def try_acquire(self) -> float:
        """Take a token and return 0, or return how long to wait for one."""
        with self._lock:
            self._refill()
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.rate

    def acquire(self) -> None:
        while (wait := self.try_acquire()) > 0:
            self._sleep(wait)


# ---- announcements ----

AUDIENCE_KINDS = ("ALL", "SYSTEM", "ORG_TYPES", "ORGANIZATIONS")


@dataclass(frozen=True)
class AudienceSpec:
    kind: str
    system: str = ""
    org_types: tuple[str, ...] = ()
    organization_ids: tuple[str, ...] = ()


def check_announcement(system: str, title: str, body: str, audience: AudienceSpec, channels: Iterable[str],
                       publish_at, expires_at) -> None:
    v = Violations()
    if system and system not in SYSTEMS:
        v.add("system", f"未知系统：{system}；可选 {', '.join(SYSTEMS)}，或留空表示全平台")
    if not title.strip():
        v.add("title", "请填写公告标题")
    elif len(title) > 200:
        v.add("title", "公告标题不能超过 200 字")
    if not body.strip():
        v.add("body", "请填写公告正文")
    elif len(body) > 20000:
        v.add("body", "公告正文不能超过 20000 字")
    if audience.kind not in AUDIENCE_KINDS:
        v.add("audience.kind", "请选择公告对象：ALL、SYSTEM、ORG_TYPES 或 ORGANIZATIONS")
    elif audience.kind == "SYSTEM" and audience.system not in SYSTEMS:
        v.add("audience.system", "按系统发布时须指定系统")
    elif audience.kind == "ORG_TYPES" and not audience.org_types:
        v.add("audience.orgTypes", "按单位类型发布时须至少指定一种单位类型")
    elif audience.kind == "ORGANIZATIONS" and not audience.organization_ids:
        v.add("audience.organizationIds", "按单位发布时须至少指定一个单位")
    for channel in channels:
        if channel not in CHANNELS:
            v.add("channels", f"未知渠道：{channel}")
    if publish_at and expires_at and expires_at <= publish_at:
        v.add("expiresAt", "失效时间须晚于发布时间")
    v.raise_if_any("公告内容有误")


def require_final_not_reopened(status: str, target: str) -> None:
    if not can_move(status, target):
        raise FailedPrecondition(f"投递状态 {status} 不能变为 {target}", reason="INVALID_TRANSITION")
