"""Enterprises (manual §2.2, §4): types, registration and profile fields, affiliation relations. No I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from services.chassis.divisions import Divisions
from services.chassis.errors import Violations
from services.rare_earth.domain.states import DRAFT, PENDING_REVIEW, REJECTED

# --- Enterprise types (manual §2.2.2) ---------------------------------------------

ENTERPRISE_TYPES = {
    "GROUP": "集团",
    "FIRST_LEVEL": "一级公司",
    "MINING": "开采企业",
    "SMELTING_SEPARATION": "冶炼分离企业",
    "METAL_SMELTING": "金属冶炼企业",
    "FUNCTIONAL_MATERIAL": "功能材料企业",
    "COMPREHENSIVE_UTILIZATION": "综合利用企业",
    "DOMESTIC_TRADE": "内贸企业",
    "FOREIGN_TRADE": "外贸企业",
}
TRADE_TYPES = frozenset({"DOMESTIC_TRADE", "FOREIGN_TRADE"})
# Groups and first-level companies hold allocation rights and can be parents.
PARENT_TYPES = frozenset({"GROUP", "FIRST_LEVEL"})

# Why an enterprise cannot use the system yet, by its registration's status (manual §2.2.3).
GATE_MESSAGES = {
    DRAFT: "尚未完成稀土产品追溯信息系统注册：请填写注册信息并提交审核，审核通过后方可使用",
    PENDING_REVIEW: "审核中：管理员正在进行审核，请耐心等待审核完成",
    REJECTED: "注册审核不通过（{reason}）：请修改注册信息后重新提交",
}


def registration_gate_message(status: str | None, reason: str = "") -> str:
    """``status`` None: nothing saved yet, which reads as a draft."""
    return GATE_MESSAGES.get(status or DRAFT, "注册尚未审核通过").format(reason=reason)


# --- Field limits (manual §2.2.2, figure 2-14) -------------------------------------

PHONE = re.compile(r"^1[3-9]\d{9}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

TEXT_LIMITS = {
    "enterpriseName": ("企业名称", 30),
    "address": ("详细地址", 100),
    "contactName": ("联系人", 30),
    "email": ("邮箱", 30),
}

PROFILE_FIELDS = ("enterpriseName", "provinceCode", "cityCode", "address", "contactName", "contactPhone", "email")
REGISTRATION_FIELDS = ("enterpriseName", "enterpriseType", *PROFILE_FIELDS[1:])


def validate_enterprise_fields(fields: Mapping[str, str], divisions: Divisions, *, complete: bool) -> Violations:
    """Check each given field against its limit; with ``complete`` every field must be present."""
    violations = Violations()
    for name, value in fields.items():
        if not value:
            continue
        if name in TEXT_LIMITS:
            label, limit = TEXT_LIMITS[name]
            if len(value) > limit:
                violations.add(name, f"{label}最多{limit}个字符")
    phone = fields.get("contactPhone")
    if phone and not PHONE.match(phone):
        violations.add("contactPhone", "联系电话须为11位手机号码")
    email = fields.get("email")
    if email and not EMAIL.match(email):
        violations.add("email", "邮箱格式不正确")
    enterprise_type = fields.get("enterpriseType")
    if enterprise_type and enterprise_type not in ENTERPRISE_TYPES:
        violations.add("enterpriseType", "企业类型不在可选范围内")
    province, city = fields.get("provinceCode"), fields.get("cityCode")
    if province and not divisions.province(province):
        violations.add("provinceCode", "所在地区（省）不是有效的行政区划代码")
    elif city and not divisions.city(city):
        violations.add("cityCode", "所在地区（市）不是有效的行政区划代码")
    elif city and not province:
        violations.add("provinceCode", "请选择所在地区（省）")
    elif city and not divisions.city_in_province(city, province):
        violations.add("cityCode", "所选城市不属于所选省份")
    if complete:
        labels = {"enterpriseType": "企业类型", "provinceCode": "所在地区（省）", "cityCode": "所在地区（市）",
                  "contactPhone": "联系电话", **{k: v[0] for k, v in TEXT_LIMITS.items()}}
        already = {v.field for v in violations.items}
        for name in fields:
            if not fields[name] and name not in already:
                violations.add(name, f"请填写{labels[name]}")
    return violations


# --- Affiliation (manual §4.2) -------------------------------------------------------

RELATIONS = {"WHOLLY_OWNED": "全资", "HOLDING": "控股", "EQUITY_PARTICIPATION": "参股", "OTHER": "其他"}
RATIO_PLACES = Decimal("0.01")


def check_share_ratio(ratio: Decimal | None, violations: Violations) -> Decimal:
    """A percentage from 0 to 100 with two decimals at most; none given is 0."""
    if ratio is None:
        return Decimal("0.00")
    if not Decimal(0) <= ratio <= Decimal(100):
        violations.add("shareRatio", "占股比例须在0到100之间")
    elif ratio != ratio.quantize(RATIO_PLACES):
        violations.add("shareRatio", "占股比例最多保留2位小数")
    else:
        return ratio.quantize(RATIO_PLACES)
    return ratio


def check_review_reason(reason: str, missing: str) -> str:
    """Why a reviewer refused: required, at most 200 characters; ``missing`` says what to write."""
    violations = Violations()
    if not reason.strip():
        violations.add("reason", missing)
    elif len(reason) > 200:
        violations.add("reason", "原因最多200个字符")
    violations.raise_if_any()
    return reason.strip()
