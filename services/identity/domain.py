"""Identity's rules: field validation, masking, account and membership states, lockout and code policy. No I/O."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from services.chassis.errors import FailedPrecondition, InvalidArgument, Violations
from services.chassis.registry import AGENCY_NAME, SYSTEM_SCOPES, agency_examples
from services.chassis.states import StateMachine

# ---- vocabularies (the values the spec names) ----

LEGAL_PERSON, NATURAL_PERSON, STAFF, ADMIN = "LEGAL_PERSON", "NATURAL_PERSON", "STAFF", "ADMIN"
ACCOUNT_KINDS = (LEGAL_PERSON, NATURAL_PERSON, STAFF, ADMIN)
# Agency staff and platform admins act for no organisation.
STAFF_KINDS = (ADMIN, STAFF)
# The role an ADMIN account's access token carries, and the first role of a STAFF account's.
PLATFORM_ADMIN = "PLATFORM_ADMIN"
STAFF_ROLE = "STAFF"
LEGAL_PERSON_TYPES = ("ENTERPRISE", "PUBLIC_INSTITUTION", "SOCIAL_ORGANIZATION", "OTHER")
ID_TYPES = ("RESIDENT_ID", "PASSPORT", "HK_MACAO_PERMIT", "TAIWAN_PERMIT", "FOREIGN_PERMANENT_RESIDENT", "OTHER")
ENTERPRISE_SIZES = ("LARGE", "MEDIUM", "SMALL", "MICRO")
HOLDINGS = ("STATE_OWNED", "COLLECTIVE", "PRIVATE", "HK_MACAO_TAIWAN", "FOREIGN", "OTHER")
CHANNELS = ("SMS", "EMAIL")
PURPOSES = ("REGISTER", "LOGIN", "RESET_PASSWORD", "RECOVER", "CHANGE_PHONE", "CHANGE_EMAIL", "DELETE_ACCOUNT")
# Purposes whose target is an account identifier: the code goes to the phone or e-mail bound to it.
IDENTIFIER_PURPOSES = ("LOGIN", "RESET_PASSWORD", "DELETE_ACCOUNT")
OWNER, ADMIN_ROLE, AGENT, SIGNER = "OWNER", "ADMIN", "AGENT", "SIGNER"
MEMBER_ROLES = (OWNER, ADMIN_ROLE, AGENT, SIGNER)
ASSIGNABLE_ROLES = (AGENT, SIGNER)
MANAGER_ROLES = (OWNER, ADMIN_ROLE)
# What a former ADMIN becomes when the admin role moves on.
FORMER_ADMIN_ROLES = (AGENT, SIGNER)
SCOPES = SYSTEM_SCOPES
# Hand-signers (手签员) sign certificates of origin: the system a new signer acts in unless told otherwise.
SIGNER_SYSTEMS = tuple(s for s in SCOPES if s == "origin_cert")

_LOGIN_NAME = re.compile(r"[A-Za-z0-9_]{6,15}")
# Platform admins are not bound by the enterprise registration form; the dev default is `admin`.
_ADMIN_LOGIN_NAME = re.compile(r"[A-Za-z0-9_]{3,32}")
_PHONE = re.compile(r"1[3-9]\d{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_INDUSTRY = re.compile(r"[A-T](\d{2})?")
_COUNTRY = re.compile(r"[A-Z]{2}")
_POSTCODE = re.compile(r"\d{6}")
# Province-level region codes (GB/T 2260): the first two digits of a resident ID.
_PROVINCES = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
              "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
              "81", "82", "83", "91"}
# GB 32100: the first character is the registering authority, the second the kind of body.
_USCC_AUTHORITIES = set("123456789ABCDEFGNY")

CODE_LENGTH = 6
CODE_TTL = timedelta(minutes=5)
CODE_MAX_ATTEMPTS = 5
CODE_RESEND_INTERVAL = timedelta(seconds=60)
CODE_DAILY_LIMIT = 10

# Times shown to people (an unlock time, a deletion notice) are Beijing time.
CST = timezone(timedelta(hours=8), "CST")

LOCKOUT_THRESHOLD = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)


# ---- field checks: each returns an error message, or None when the value is good ----

def login_name_problem(value: str) -> str | None:
    if not value:
        return "请输入登录名"
    if not _LOGIN_NAME.fullmatch(value):
        return "登录名须为6-15位字母、数字或下划线"
    return None


def admin_login_name_problem(value: str) -> str | None:
    if not _ADMIN_LOGIN_NAME.fullmatch(value or ""):
        return "管理员登录名须为3-32位字母、数字或下划线"
    return None


def password_problem(value: str) -> str | None:
    if not value:
        return "请输入密码"
    if not 6 <= len(value) <= 16:
        return "密码长度须为6-16位"
    if not re.search(r"[A-Za-z]", value) or not re.search(r"\d", value):
        return "密码须同时包含字母和数字"
    if re.search(r"\s", value):
        return "密码不能包含空格"
    return None


def phone_problem(value: str) -> str | None:
    if not value:
        return "请输入手机号"
    if not _PHONE.fullmatch(value):
        return "手机号格式错误，须为11位中国大陆手机号"
    return None


def email_problem(value: str) -> str | None:
    if not value:
        return "请输入电子邮箱"
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        return "电子邮箱格式错误"
    return None


def normalize_uscc(value: str) -> str:
    return stdnum_uscc.compact(value or "")


def uscc_problem(value: str) -> str | None:
    """GB 32100 check. stdnum's ``validate`` insists the first 8 characters are digits, which
    refuses real codes issued by authorities coded with letters (``Y``, ``N``...), so only its
    alphabet and check-character arithmetic are used here."""
    number = normalize_uscc(value)
    if not number:
        return "请输入统一社会信用代码"
    if len(number) != 18:
        return "统一社会信用代码须为18位"
    alphabet = stdnum_uscc._alphabet
    if any(c not in alphabet for c in number) or number[0] not in _USCC_AUTHORITIES:
        return "统一社会信用代码含有无效字符"
    if number[-1] != stdnum_uscc.calc_check_digit(number):
        return "统一社会信用代码校验位错误"
    return None


def uscc_with_check_character(first_17: str) -> str:
    return first_17 + stdnum_uscc.calc_check_digit(first_17)


def organization_code(uscc: str) -> str:
    return uscc[8:17]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def resident_id_problem(value: str, today: date) -> str | None:
    """GB 11643: 18 characters, a real birth date, a province code and the check character.

    stdnum's ``validate`` also refuses a number whose county code did not exist in the birth
    year. Region codes are assigned where the household was registered when the card was
    issued, which can be long after birth, so that check refuses genuine cards; it is not used.
    """
    number = normalize_id_number(value)
    if not number:
        return "请输入证件号码"
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return "居民身份证号码须为18位（最后一位可为X）"
    if number[:2] not in _PROVINCES:
        return "居民身份证号码地区码无效"
    try:
        born = stdnum_ric.get_birth_date(number)
    except Exception:
        return "居民身份证号码出生日期无效"
    if born > today or born.year < 1900:
        return "居民身份证号码出生日期无效"
    if number[-1] != stdnum_ric.calc_check_digit(number):
        return "居民身份证号码校验位错误"
    return None


def id_number_problem(id_type: str, value: str, today: date) -> str | None:
    if id_type == "RESIDENT_ID":
        return resident_id_problem(value, today)
    number = normalize_id_number(value)
    if not number:
        return "请输入证件号码"
    if not re.fullmatch(r"[A-Z0-9()\-]{5,32}", number):
        return "证件号码格式错误"
    return None


def choice_problem(value: str, choices: tuple[str, ...], label: str) -> str | None:
    if not value:
        return f"请选择{label}"
    if value not in choices:
        return f"{label}无效，可选：{'、'.join(choices)}"
    return None


def industry_problem(value: str) -> str | None:
    if not value:
        return "请选择所属行业"
    if not _INDUSTRY.fullmatch(value):
        return "所属行业须为国民经济行业分类门类字母，可带两位大类代码（如 C 或 C32）"
    return None


def text_problem(value: str, label: str, max_length: int = 100) -> str | None:
    if not value or not value.strip():
        return f"请输入{label}"
    if len(value) > max_length:
        return f"{label}不能超过{max_length}个字符"
    return None


def postcode_problem(value: str) -> str | None:
    if value and not _POSTCODE.fullmatch(value):
        return "邮政编码须为6位数字"
    return None


def country_problem(value: str) -> str | None:
    if not value:
        return "请选择国家或地区"
    if not _COUNTRY.fullmatch(value):
        return "国家或地区须为ISO 3166两位字母代码（如 DE）"
    if value == "CN":
        return "境内机构请按法人注册"
    return None


def agency_problem(value: str) -> str | None:
    if not value:
        return "请输入所属机构"
    if not AGENCY_NAME.fullmatch(value):
        *first, last = agency_examples()
        return f"所属机构无效，可为 {'、'.join(first)} 或 {last}"
    return None


def scopes_problem(scopes: list[str]) -> str | None:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        return f"未知的系统：{'、'.join(unknown)}；可选：{'、'.join(SCOPES)}"
    return None


def check(violations: Violations, field_name: str, problem: str | None) -> None:
    if problem:
        violations.add(field_name, problem)


# ---- masking ----

def mask_id_number(number: str | None) -> str:
    """First 3 and last 4 characters shown, the rest starred."""
    if not number:
        return ""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "*" * len(phone)


def mask_email(email: str | None) -> str:
    if not email or "@" not in email:
        return ""
    local, domain = email.split("@", 1)
    return (local[:1] + "***" if local else "***") + "@" + domain


# ---- statuses: every one a name, every change through its machine ----

ACTIVE, DISABLED, DELETED = "ACTIVE", "DISABLED", "DELETED"
PENDING, REJECTED, REMOVED = "PENDING", "REJECTED", "REMOVED"
# Shown, never stored: an ACTIVE account inside its lockout window (``locked_until``).
LOCKED = "LOCKED"

ACCOUNT = StateMachine(
    "ACCOUNT",
    {
        # The platform admin disables and enables; the holder deletes (personal data erased, for good).
        ACTIVE: (DISABLED, DELETED),
        DISABLED: (ACTIVE, DELETED),
        DELETED: (),
    },
    {ACTIVE: "正常", DISABLED: "已停用", DELETED: "已注销"},
    initial=(ACTIVE,),
)

MEMBERSHIP = StateMachine(
    "MEMBERSHIP",
    {
        # An agent application is a PENDING membership; reapplying reopens a closed one. An
        # applicant who deletes the account withdraws what it applied for (REMOVED).
        PENDING: (ACTIVE, REJECTED, REMOVED),
        ACTIVE: (DISABLED, REMOVED),
        DISABLED: (ACTIVE, REMOVED),
        REJECTED: (PENDING, REMOVED),
        REMOVED: (PENDING,),
    },
    {PENDING: "待审核", ACTIVE: "正常", DISABLED: "已停用", REJECTED: "已驳回", REMOVED: "已删除"},
    # Applications start PENDING; an organisation's founder (and demo data) start ACTIVE.
    initial=(PENDING, ACTIVE),
)

# The memberships a manager lists and manages: members, not applications.
MEMBER_STATUSES = (ACTIVE, DISABLED)
# Memberships that still tie someone to an organisation: its OWNER cannot leave while any exists.
BINDING_STATUSES = (PENDING, ACTIVE, DISABLED)
# Why a second application is refused, by the status of the membership already there.
REAPPLICATION_REFUSALS = {PENDING: "已提交申请，请等待单位审核", ACTIVE: "您已是该单位成员",
                          DISABLED: "您已是该单位成员"}
# CheckScope's reason for a membership that grants nothing, by its status.
SCOPE_REFUSALS = {PENDING: "NO_MEMBERSHIP", REJECTED: "NO_MEMBERSHIP", DISABLED: "MEMBER_NOT_ACTIVE",
                  REMOVED: "MEMBER_NOT_ACTIVE"}


def move_membership(membership: Any, target: str) -> None:
    """Move a membership record, refused in the members' own words when its machine does not allow it."""
    MEMBERSHIP.move(membership, target,
                    f"成员状态为{MEMBERSHIP.label(membership.status)}，不能变为{MEMBERSHIP.label(target)}")


def check_undecided(status: str) -> None:
    """An agent application is approved or rejected once, while PENDING."""
    if status != PENDING:
        raise FailedPrecondition("该申请已处理", reason="MEMBERSHIP_STATE_INVALID", metadata={"status": status})


def shown_account_status(status: str, locked_until: datetime | None, now: datetime) -> str:
    """LOCKED while an ACTIVE account is inside its lockout window; the stored status otherwise."""
    return LOCKED if status == ACTIVE and locked_until is not None and locked_until > now else status


# ---- scopes ----

def effective_scopes(role: str, granted: list[str]) -> list[str]:
    """OWNER holds every system; other members hold what was granted."""
    return list(SCOPES) if role == OWNER else [s for s in SCOPES if s in granted]


def shown_scopes(role: str, status: str, stored: str | None) -> list[str]:
    """What an account's own membership list shows: the scopes held while ACTIVE, the grant otherwise."""
    granted = parse_scopes(stored)
    return effective_scopes(role, granted) if status == ACTIVE else granted


def scope_refusal(role: str, status: str, stored: str | None, scope: str) -> str:
    """Why a membership does not let its account act in ``scope`` now ("" when it does)."""
    if status != ACTIVE:
        return SCOPE_REFUSALS[status]
    return "" if scope in effective_scopes(role, parse_scopes(stored)) else "SCOPE_NOT_GRANTED"


def parse_scopes(stored: str | None) -> list[str]:
    return [s for s in (stored or "").split() if s]


def format_scopes(scopes: Collection[str]) -> str:
    return " ".join(s for s in SCOPES if s in scopes)


# ---- entrances (used_equipment_preshipment_inspection_manual 第四篇) ----

INSTITUTION_ENTRANCE, ENTERPRISE_ENTRANCE, PLATFORM_ENTRANCE = "INSTITUTION", "ENTERPRISE", "PLATFORM"
ENTRANCES = (PLATFORM_ENTRANCE, INSTITUTION_ENTRANCE, ENTERPRISE_ENTRANCE)
# Each kind of user is sent to its own entrance, in the manual's words.
WRONG_ENTRANCE = {INSTITUTION_ENTRANCE: "若用户是企业，请选择委托企业入口登录",
                  ENTERPRISE_ENTRANCE: "若用户是检验机构，请选择装运前检验机构入口登录"}
STAFF_AT_ENTRANCE = "工作人员账号请从平台入口登录"


def entrance_admits(entrance: str, organization_kind: str) -> bool:
    """May a session of this entrance act for an organisation of this kind (FOREIGN: an institution)?"""
    return entrance == PLATFORM_ENTRANCE or (organization_kind == "FOREIGN") == (entrance == INSTITUTION_ENTRANCE)


def entrance_refusal(entrance: str, account_kind: str, organization_kinds: Collection[str]) -> str | None:
    """Why the account may not log in here; ``organization_kinds`` of the organisations it is tied to.

    An institution's users belong to a FOREIGN organisation; anyone else who is not staff is an enterprise
    user, even before an organisation has approved it.
    """
    if entrance == PLATFORM_ENTRANCE:
        return None
    if account_kind in STAFF_KINDS:
        return STAFF_AT_ENTRANCE
    kinds = set(organization_kinds) or {"DOMESTIC"}
    return None if any(entrance_admits(entrance, kind) for kind in kinds) else WRONG_ENTRANCE[entrance]


# ---- lockout ----

@dataclass(frozen=True)
class LockoutDecision:
    locked: bool
    locked_until: datetime | None


def lockout_after_failure(recent_failures: int, now: datetime) -> LockoutDecision:
    """``recent_failures`` counts this one too: the fifth failure in the window locks."""
    if recent_failures >= LOCKOUT_THRESHOLD:
        return LockoutDecision(True, now + LOCKOUT_DURATION)
    return LockoutDecision(False, None)


def check_choice(field_name: str, value: str, choices: tuple[str, ...], label: str) -> None:
    problem = choice_problem(value, choices, label)
    if problem:
        raise InvalidArgument.for_field(field_name, problem)
