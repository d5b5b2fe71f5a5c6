"""Field rules of the forms: text, phones, decimal quantities, dates; each bad field named once."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

from services.chassis.errors import Violations

PHONE = re.compile(r"1\d{10}|0\d{2,3}-?\d{7,8}(-\d{1,6})?")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
HS_CODE = re.compile(r"\d{1,10}")
ZERO = Decimal("0")
# Quantities keep up to four places (weights in kilograms to the gram and below).
QUANTITY_PLACES = 4


def clean(text: str | None) -> str:
    return (text or "").strip()


def check_text(violations: Violations, field: str, value: str, label: str, maximum: int, *,
               required: bool = False, multiline: bool = False) -> str:
    """The value stripped; a violation when it is missing (if required), too long or has control characters."""
    value = clean(value)
    if not value:
        if required:
            violations.add(field, f"请填写{label}")
        return value
    allowed = {"\n"} if multiline else set()
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):
        violations.add(field, f"{label}含有不可见的控制字符")
    elif len(value) > maximum:
        violations.add(field, f"{label}最多 {maximum} 个字")
    return value


def check_phone(violations: Violations, field: str, value: str, label: str = "联系电话", *,
                required: bool = False) -> str:
    value = check_text(violations, field, value, label, 20, required=required)
    if value and not PHONE.fullmatch(value):
        violations.add(field, f"{label}须为11位手机号或带区号的固定电话")
    return value


def check_email(violations: Violations, field: str, value: str) -> str:
    value = check_text(violations, field, value, "联系人邮箱", 100)
    if value and not EMAIL.fullmatch(value):
        violations.add(field, "联系人邮箱格式不正确")
    return value


def check_quantity(violations: Violations, field: str, value: Decimal | None, label: str, *,
                   allow_zero: bool = False) -> Decimal | None:
    """A quantity already parsed from its decimal string: above zero (or zero when allowed), few places."""
    if value is None:
        violations.add(field, f"请填写{label}")
        return None
    if value < ZERO or (value == ZERO and not allow_zero):
        violations.add(field, f"{label}须为正数")
        return None
    if -value.as_tuple().exponent > QUANTITY_PLACES:  # type: ignore[operator]
        violations.add(field, f"{label}最多保留 {QUANTITY_PLACES} 位小数")
        return None
    if value >= Decimal("1e12"):
        violations.add(field, f"{label}过大")
        return None
    return value


def parse_day(violations: Violations, field: str, text: str, label: str) -> date | None:
    text = clean(text)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        violations.add(field, f"{label}须为日期，如 2026-03-20")
        return None


def check_reason(violations: Violations, field: str, value: str, label: str = "意见") -> str:
    return check_text(violations, field, value, label, 500, required=True, multiline=True)


def parse_decimal(violations: Violations, field: str, text: str, label: str) -> Decimal | None:
    """The chassis wire rule for a decimal string, its refusal collected with the form's other fields."""
    from services.chassis.errors import InvalidArgument
    from services.chassis.wire import decimal_value

    try:
        return decimal_value(text, field, label=label)
    except InvalidArgument as refused:
        violations.items.extend(refused.violations)
        return None
