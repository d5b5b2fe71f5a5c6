"""Notify's rules, free of I/O: statuses, requests, templates, SMS length, back-off, audiences."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.chassis.errors import Violations
from services.chassis.messages import CHANNELS
from services.chassis.registry import NOTICE_SYSTEMS
from services.chassis.states import StateMachine

# The systems a template or an announcement belongs to.
SYSTEMS = NOTICE_SYSTEMS


# ---- deliveries: one notification to one recipient on one channel ----

CREATED = "CREATED"
SENDING = "SENDING"
SENT = "SENT"
DELIVERED = "DELIVERED"
TEMPORARY_FAILURE = "TEMPORARY_FAILURE"
PERMANENT_FAILURE = "PERMANENT_FAILURE"
TECHNICAL_FAILURE = "TECHNICAL_FAILURE"

DELIVERY = StateMachine(
    "DELIVERY",
    {
        CREATED: (SENDING, PERMANENT_FAILURE, TECHNICAL_FAILURE),
        SENDING: (SENT, TEMPORARY_FAILURE, PERMANENT_FAILURE, TECHNICAL_FAILURE),
        TEMPORARY_FAILURE: (SENDING, PERMANENT_FAILURE),
        # A provider receipt settles a sent message either way.
        SENT: (DELIVERED, PERMANENT_FAILURE),
        DELIVERED: (),
        PERMANENT_FAILURE: (),
        TECHNICAL_FAILURE: (),
    },
    labels={CREATED: "待发送", SENDING: "发送中", SENT: "已发送", DELIVERED: "已送达",
            TEMPORARY_FAILURE: "暂时失败", PERMANENT_FAILURE: "发送失败", TECHNICAL_FAILURE: "技术故障"},
    # An in-site message is delivered as it is written; one whose template cannot fill it fails at once.
    initial=(CREATED, DELIVERED, PERMANENT_FAILURE),
)

# Receipts an SMS gateway may send for a message it accepted.
RECEIPT_STATUSES = (DELIVERED, PERMANENT_FAILURE)


# ---- notifications: one accepted request ----

ACCEPTED = "ACCEPTED"
# Nobody to send to (an agency with no active staff): done, nothing to send.
NO_RECIPIENTS = "NO_RECIPIENTS"
# The template is unknown or the params do not fill it: nothing was sent, the reason is recorded.
FAILED = "FAILED"

# Decided when the request is accepted, and final: a repeat of its message id is dropped.
NOTIFICATION = StateMachine(
    "NOTIFICATION", {ACCEPTED: (), NO_RECIPIENTS: (), FAILED: ()},
    labels={ACCEPTED: "已受理", NO_RECIPIENTS: "无接收人", FAILED: "失败"})


# ---- announcements: their fan-out to the audience ----

FANOUT_PENDING = "PENDING"
FANOUT_QUEUED = "QUEUED"
FANOUT_DONE = "DONE"

# PENDING waits for publish_at; QUEUED while audience pages flow (each page keeps it QUEUED or ends it).
ANNOUNCEMENT_FANOUT = StateMachine(
    "ANNOUNCEMENT_FANOUT",
    {FANOUT_PENDING: (FANOUT_QUEUED,), FANOUT_QUEUED: (FANOUT_QUEUED, FANOUT_DONE), FANOUT_DONE: ()},
    labels={FANOUT_PENDING: "待发布", FANOUT_QUEUED: "发送中", FANOUT_DONE: "已送达全部对象"},
    initial=(FANOUT_PENDING, FANOUT_QUEUED),
)


# ---- notification requests ----

NORMAL = "NORMAL"
# Verification codes: their own queues, and sent by the request worker at once.
HIGH = "HIGH"
PRIORITIES = (NORMAL, HIGH)


@dataclass(frozen=True)
class Recipient:
    """Exactly one of: an account, an organisation (its OWNER and members holding ``scope``), an agency's
    active staff, a phone number or an e-mail address."""

    account_id: str = ""
    organization_id: str = ""
    scope: str = ""
    phone: str = ""
    email: str = ""
    agency: str = ""

    @property
    def resolved_by_identity(self) -> bool:
        return bool(self.account_id or self.organization_id or self.agency)


@dataclass(frozen=True)
class NotificationRequest:
    """What a service asks notify to send, however it arrived (a queued message or a gRPC call)."""

    message_id: str
    template: str = ""
    # Fill the template's placeholders.
    params: Mapping[str, str] = field(default_factory=dict)
    recipients: tuple[Recipient, ...] = ()
    channels: tuple[str, ...] = ()
    system: str = ""
    category: str = ""
    priority: str = NORMAL
    # Sent even to those who opted out of a channel (codes, decisions).
    mandatory: bool = False


def check_request(request: NotificationRequest) -> None:
    """Refuses a request notify cannot act on, naming every bad field."""
    v = Violations()
    if not request.message_id:
        v.add("messageId", "缺少消息编号")
    elif len(request.message_id) > 64:
        v.add("messageId", "消息编号不能超过 64 个字符")
    if not request.template:
        v.add("template", "缺少模板编码")
    if not request.recipients:
        v.add("recipients", "至少需要一个接收人")
    if not request.channels or any(channel not in CHANNELS for channel in request.channels):
        v.add("channels", "至少需要一个有效渠道（IN_SITE、SMS、EMAIL）")
    for index, recipient in enumerate(request.recipients):
        given = [x for x in (recipient.account_id, recipient.organization_id, recipient.phone, recipient.email,
                             recipient.agency) if x]
        if len(given) != 1:
            v.add(f"recipients[{index}]", "每个接收人须且只能指定账号、单位、机构、手机号或邮箱之一")
    v.raise_if_any("通知请求有误")


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
    for json_field, text in fields.items():
        for name in placeholders(text):
            if not PLACEHOLDER_NAME.match(name):
                v.add(json_field, f"占位符 {{{name}}} 不合法：只能使用英文字母、数字和下划线")
        if text.count("{") != text.count("}"):
            v.add(json_field, "花括号不成对")
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


def visible_body(template: str, body: str, *, production: bool) -> str:
    """What the search of deliveries shows: in production a verification code is not shown back, even to an admin."""
    if production and ".verification_code." in template:
        return "（验证码内容不予显示）"
    return body


# ---- announcements ----

AUDIENCE_KINDS = ("ALL", "SYSTEM", "ORG_TYPES", "ORGANIZATIONS")


@dataclass(frozen=True)
class AudienceSpec:
    kind: str
    system: str = ""
    org_types: tuple[str, ...] = ()
    organization_ids: tuple[str, ...] = ()


def check_announcement(system: str, title: str, body: str, audience: AudienceSpec, channels: Iterable[str],
                       publish_at: datetime | None, expires_at: datetime | None) -> None:
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


# ---- notices written by staff (我收到的通知) ----

MAX_NOTICE_ORGANIZATIONS = 200
# How recipients read an agency's kind; a regional one adds its code (地方主管部门（110000）).
AGENCY_NAMES = {"MIIT_RE_OFFICE": "稀土办", "RE_OPERATOR": "运营机构", "LOCAL_AUTHORITY": "地方主管部门",
                "GROUP_COMPANY": "集团", "CUSTOMS": "海关", "CNCA": "国家认监委", "CIQ": "检验检疫机构",
                "CCPIT": "贸促会"}


def agency_name(agency: str) -> str:
    kind, _, code = agency.partition(":")
    name = AGENCY_NAMES.get(kind, kind)
    return f"{name}（{code}）" if code else name


def check_notice(system: str, title: str, body: str, organization_ids: Iterable[str]) -> None:
    """Refuses a notice naming every bad field; the organisations are checked for existence elsewhere."""
    v = Violations()
    if not system:
        v.add("system", "请选择发送通知的业务系统")
    elif system not in SYSTEMS:
        v.add("system", f"未知系统：{system}；可选 {', '.join(SYSTEMS)}")
    if not title.strip():
        v.add("title", "请填写通知标题")
    elif len(title) > 200:
        v.add("title", "通知标题不能超过 200 字")
    elif "\n" in title or "\r" in title:
        v.add("title", "通知标题不能换行")
    if not body.strip():
        v.add("body", "请填写通知内容")
    elif len(body) > 20000:
        v.add("body", "通知内容不能超过 20000 字")
    ids = list(organization_ids)
    if not ids:
        v.add("organizationIds", "请至少选择一个接收单位")
    elif len(ids) > MAX_NOTICE_ORGANIZATIONS:
        v.add("organizationIds", f"一次最多发送给 {MAX_NOTICE_ORGANIZATIONS} 个单位")
    for index, organization_id in enumerate(ids[:MAX_NOTICE_ORGANIZATIONS]):
        if not organization_id.strip() or len(organization_id) > 64:
            v.add(f"organizationIds[{index}]", "单位编号有误")
    v.raise_if_any("通知内容有误")
