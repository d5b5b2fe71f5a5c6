"""Identity's rules: field validation, masking, membership states, lockout and code policy. No I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from services.chassis.errors import FailedPrecondition, InvalidArgument, Violations
from services.chassis.registry import SYSTEM_SCOPES

# ---- vocabularies (the values the spec names) ----

ACCOUNT_KINDS = ("LEGAL_PERSON", "NATURAL_PERSON", "STAFF", "ADMIN")
LEGAL_PERSON_TYPES = ("ENTERPRISE", "PUBLIC_INSTITUTION", "SOCIAL_ORGANIZATION", "OTHER")
ID_TYPES = ("RESIDENT_ID", "PASSPORT", "HK_MACAO_PERMIT", "TAIWAN_PERMIT", "FOREIGN_PERMANENT_RESIDENT", "OTHER")
ENTERPRISE_SIZES = ("LARGE", "MEDIUM", "SMALL", "MICRO")
HOLDINGS = ("STATE_OWNED", "COLLECTIVE", "PRIVATE", "HK_MACAO_TAIWAN", "FOREIGN", "OTHER")
CHANNELS = ("SMS", "EMAIL")
PURPOSES = ("REGISTER", "LOGIN", "RESET_PASSWORD", "RECOVER", "CHANGE_PHONE", "CHANGE_EMAIL", "DELETE_ACCOUNT")
# Purposes whose target is an account identifier: the code goes to the phone or e-mail bound to it.
IDENTIFIER_PURPOSES = ("LOGIN", "RESET_PASSWORD", "DELETE_ACCOUNT")
MEMBER_ROLES = ("OWNER", "ADMIN", "AGENT", "SIGNER")
ASSIGNABLE_ROLES = ("AGENT", "SIGNER")
MANAGER_ROLES = ("OWNER", "ADMIN")
SCOPES = SYSTEM_SCOPES

_LOGIN_NAME = re.compile(r"[A-Za-z0-9_]{6,15}")
# Platform admins are not bound by the enterprise registration form; the dev default is `admin`.
_ADMIN_LOGIN_NAME = re.compile(r"[A-Za-z0-9_]{3,32}")
_PHONE = re.compile(r"1[3-9]\d{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_INDUSTRY = re.compile(r"[A-T](\d{2})?")
_COUNTRY = re.compile(r"[A-Z]{2}")
_POSTCODE = re.compile(r"\d{6}")
_AGENCY = re.compile(r"(MIIT_RE_OFFICE|RE_OPERATOR|GROUP_COMPANY|CNCA|LOCAL_AUTHORITY:\d{6}|CUSTOMS:\w{2,12}"
                     r"|CIQ:\w{2,12}|CCPIT:\w{1,32})")
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
    if not _AGENCY.fullmatch(value):
        return ("所属机构无效，可为 MIIT_RE_OFFICE、RE_OPERATOR、GROUP_COMPANY、CNCA、LOCAL_AUTHORITY:<地区码>、"
                "CUSTOMS:<代码>、CIQ:<代码> 或 CCPIT:<分会>")
    return None


def scopes_problem(scopes: list[str]) -> str | None:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        return f"未知的系统：{'、'.join(unknown)}；可选：{'、'.join(SCOPES)}"
    return None


def systems_for_agency(agency: str) -> list[str]:
    """The systems an agency works in, when the admin names none."""
    head = agency.split(":", 1)[0]
    return {
        "MIIT_RE_OFFICE": ["rare_earth"],
        "RE_OPERATOR": ["rare_earth"],
        "LOCAL_AUTHORITY": ["rare_earth"],
        "GROUP_COMPANY": ["rare_earth"],
        "CUSTOMS": ["inspection"],
        "CIQ": ["inspection"],
        "CNCA": ["ccc_exemption"],
        "CCPIT": ["origin_cert"],
    }.get(head, [])


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


# ---- memberships: the state machine ----

MEMBERSHIP_TRANSITIONS: dict[str, tuple[str, ...]] = {
    # An agent application is a PENDING membership; reapplying reopens a closed one.
    "PENDING": ("ACTIVE", "REJECTED"),
    "ACTIVE": ("DISABLED", "REMOVED"),
    "DISABLED": ("ACTIVE", "REMOVED"),
    "REJECTED": ("PENDING",),
    "REMOVED": ("PENDING",),
}

_STATUS_LABELS = {"PENDING": "待审核", "ACTIVE": "正常", "DISABLED": "已停用", "REJECTED": "已驳回",
                  "REMOVED": "已删除"}


def check_membership_transition(current: str, target: str) -> None:
    if target not in MEMBERSHIP_TRANSITIONS.get(current, ()):
        raise FailedPrecondition(
            f"成员状态为{_STATUS_LABELS.get(current, current)}，不能变为{_STATUS_LABELS.get(target, target)}",
            reason="INVALID_STATE_TRANSITION", metadata={"from": current, "to": target})


def effective_scopes(role: str, granted: list[str]) -> list[str]:
    """OWNER holds every system; other members hold what was granted."""
    return list(SCOPES) if role == "OWNER" else [s for s in SCOPES if s in granted]


def parse_scopes(stored: str | None) -> list[str]:
    return [s for s in (stored or "").split() if s]


def format_scopes(scopes: list[str]) -> str:
    return " ".join(s for s in SCOPES if s in scopes)


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


def require(condition: bool, field_name: str, message: str) -> None:
    if not condition:
        raise InvalidArgument.for_field(field_name, message)


def check_choice(field_name: str, value: str, choices: tuple[str, ...], label: str) -> None:
    problem = choice_problem(value, choices, label)
    if problem:
        raise InvalidArgument.for_field(field_name, problem)
