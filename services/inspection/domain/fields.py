"""How a request's fields are checked: one :class:`Field` per field, every problem named by its JSON path.

Free text is valid Unicode without control characters (a line break only where a field allows it) and
within its length; phones, e-mails, ID numbers, dates, years and decimals have their own forms. The
messages say what a person should type, as the manual's red hints do.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from services.chassis.errors import Violations

CHINA = ZoneInfo("Asia/Shanghai")

# 联系人手机: a mainland mobile number.
MOBILE = re.compile(r"1[3-9]\d{9}")
# 电话: digits with an optional +country code, area code, spaces, hyphens and an extension.
PHONE = re.compile(r"\+?[0-9][0-9 \-()]{5,22}[0-9]")
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
PASSPORT = re.compile(r"[A-Z0-9]{5,20}")
RESIDENT_ID = re.compile(r"\d{17}[\dX]")
HS_CODE = re.compile(r"\d{10}")
HS_PREFIX = re.compile(r"\d{2,10}")
NUMBER = re.compile(r"[A-Za-z0-9\-/]{1,40}")
ID_TYPES = {"ID_CARD": "身份证", "PASSPORT": "护照"}

Check = Callable[[str], str | None]


def today() -> date:
    """Today in China, where periods and validity dates are counted."""
    return datetime.now(CHINA).date()


def json_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class Field:
    """One field: what it is called, its length, whether it must be given, and any further check."""

    label: str
    limit: int = 100
    required: bool = True
    multiline: bool = False
    check: Check | None = None

    def problem(self, value: str) -> str | None:
        if not value.strip():
            return f"请填写{self.label}" if self.required else None
        if len(value) > self.limit:
            return f"{self.label}最多{self.limit}个字符"
        if _has_control(value, self.multiline):
            return f"{self.label}含有不允许的控制字符"
        return self.check(value.strip()) if self.check else None


def _has_control(value: str, multiline: bool) -> bool:
    allowed = {"\n", "\r", "\t"} if multiline else set()
    return any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") and c not in allowed for c in value)


def check_fields(specs: Mapping[str, Field], values: Mapping[str, str], violations: Violations | None = None, *,
                 prefix: str = "", only_given: bool = False) -> Violations:
    """Every problem of ``values`` (snake_case names) against ``specs``; ``only_given`` for a partial update."""
    violations = violations if violations is not None else Violations()
    for name, spec in specs.items():
        if only_given and name not in values:
            continue
        problem = spec.problem(values.get(name, ""))
        if problem:
            violations.add(prefix + json_name(name), problem)
    return violations


def stripped(values: Mapping[str, str]) -> dict[str, str]:
    return {name: value.strip() for name, value in values.items()}


# --- the checks a field may add ---------------------------------------------------------------


def mobile(value: str) -> str | None:
    return None if MOBILE.fullmatch(value) else "手机号码须为11位数字，如 13900000000"


def phone(value: str) -> str | None:
    digits = sum(c.isdigit() for c in value)
    if not PHONE.fullmatch(value) or digits < 7:
        return "电话号码格式有误，如 +49 30 12345678 或 010-12345678"
    return None


def email(value: str) -> str | None:
    return None if EMAIL.fullmatch(value) else "电子邮件格式有误，如 name@example.com"


def hs_code(value: str) -> str | None:
    return None if HS_CODE.fullmatch(value) else "HS编码须为10位数字"


def certificate_number(value: str) -> str | None:
    return None if NUMBER.fullmatch(value) else "证书编号只能由字母、数字、“-”和“/”组成"


def id_number_problem(id_type: str, value: str) -> str | None:
    """A mainland ID number with its check digit, or a passport number."""
    value = value.strip().upper()
    if id_type == "PASSPORT":
        return None if PASSPORT.fullmatch(value) else "护照号码须为5至20位字母或数字"
    if not RESIDENT_ID.fullmatch(value):
        return "身份证号码须为18位，最后一位可为X"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(value[:17], weights, strict=True)) % 11]
    if value[17] != check:
        return "身份证号码校验位不正确，请核对"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号码中的出生日期无效"
    return None


def mask(number: str) -> str:
    """An ID number as responses show it: the first 3 and the last 4 characters."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def parse_date(value: str, field: str, label: str, violations: Violations, *, required: bool = True) -> date | None:
    """``yyyy-mm-dd``; a problem is added (and None answered) when it is not a date."""
    text = value.strip()
    if not text:
        if required:
            violations.add(field, f"请填写{label}")
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else _bad_date()
    except ValueError:
        violations.add(field, f"{label}须为日期，格式 yyyy-mm-dd，如 2026-06-30")
        return None


def _bad_date() -> date:
    raise ValueError("not yyyy-mm-dd")


def parse_decimal(value: str, field: str, label: str, violations: Violations, *, places: int,
                  positive: bool = True, maximum: Decimal = Decimal("1e12")) -> Decimal | None:
    """A decimal string within ``places`` and (0 or more, or more than 0) up to ``maximum``."""
    text = value.strip()
    if not text:
        violations.add(field, f"请填写{label}")
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or "e" in text.lower() or len(text) > 24:
        violations.add(field, f"{label}须为十进制数字，如 12.5")
        return None
    if (number <= 0) if positive else (number < 0):
        violations.add(field, f"{label}须大于0" if positive else f"{label}不能为负数")
        return None
    if number >= maximum:
        violations.add(field, f"{label}过大")
        return None
    if -number.as_tuple().exponent > places:  # type: ignore[operator]
        violations.add(field, f"{label}最多保留{places}位小数")
        return None
    return number


def check_count(value: int, field: str, label: str, violations: Violations, *, minimum: int = 0,
                maximum: int = 1_000_000) -> None:
    if value < minimum or value > maximum:
        violations.add(field, f"{label}须为{minimum}至{maximum}之间的整数")


def check_year(value: int, field: str, label: str, violations: Violations, *, earliest: int = 1900,
               latest: int | None = None) -> None:
    latest = latest if latest is not None else today().year
    if value < earliest or value > latest:
        violations.add(field, f"{label}须为{earliest}至{latest}年之间")
