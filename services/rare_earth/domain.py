"""Rare-earth domain rules: enterprise types, state machines, field limits, quota arithmetic. No I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from services.chassis.errors import FailedPrecondition, Violations
from services.rare_earth.divisions import Divisions

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


def refuse_trade_enterprise(enterprise_type: str) -> None:
    if enterprise_type in TRADE_TYPES:
        raise FailedPrecondition(
            f"{ENTERPRISE_TYPES[enterprise_type]}不涉及生产总量控制计划",
            reason="TRADE_ENTERPRISE_NO_PLAN", metadata={"enterpriseType": enterprise_type})


# --- State machines ----------------------------------------------------------------


@dataclass(frozen=True)
class StateMachine:
    """Allowed moves between named states; every state change goes through :meth:`check`."""

    name: str
    moves: Mapping[str, frozenset[str]]
    labels: Mapping[str, str]

    def can(self, current: str, target: str) -> bool:
        return target in self.moves.get(current, frozenset())

    def check(self, current: str, target: str, message: str | None = None) -> str:
        if not self.can(current, target):
            raise FailedPrecondition(
                message or f"当前状态（{self.labels.get(current, current)}）不允许此操作",
                reason=f"{self.name}_STATE_INVALID", metadata={"status": current, "target": target})
        return target


REGISTRATION = StateMachine(
    "REGISTRATION",
    {
        "DRAFT": frozenset({"DRAFT", "PENDING_REVIEW"}),
        "REJECTED": frozenset({"REJECTED", "PENDING_REVIEW"}),
        "PENDING_REVIEW": frozenset({"APPROVED", "REJECTED"}),
        "APPROVED": frozenset(),
    },
    {"DRAFT": "草稿", "PENDING_REVIEW": "审核中", "APPROVED": "审核通过", "REJECTED": "审核不通过"},
)

AFFILIATION = StateMachine(
    "AFFILIATION",
    {
        "PENDING": frozenset({"PENDING", "APPROVED", "REJECTED"}),
        "APPROVED": frozenset({"PENDING"}),
        "REJECTED": frozenset({"PENDING"}),
        "DECLARED": frozenset({"SUPERSEDED"}),
        "SUPERSEDED": frozenset(),
    },
    {"PENDING": "待上级单位审核", "APPROVED": "已通过", "REJECTED": "未通过", "DECLARED": "无隶属关系",
     "SUPERSEDED": "已被替代"},
)


def registration_gate_message(status: str | None, reason: str = "") -> str:
    """Why an enterprise cannot use the system yet, in the words of manual §2.2.3."""
    if status is None or status == "DRAFT":
        return "尚未完成稀土产品追溯信息系统注册：请填写注册信息并提交审核，审核通过后方可使用"
    if status == "PENDING_REVIEW":
        return "审核中：管理员正在进行审核，请耐心等待审核完成"
    if status == "REJECTED":
        return f"注册审核不通过（{reason}）：请修改注册信息后重新提交"
    return "注册尚未审核通过"


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


# --- Decimal quantities ------------------------------------------------------------

QUOTA_PLACES = Decimal("0.001")
RATIO_PLACES = Decimal("0.01")


def parse_decimal(value: float, places: Decimal) -> Decimal | None:
    """The float a JSON client sent as the decimal it meant, or None if it has too many places."""
    try:
        exact = Decimal(repr(float(value)))
    except (InvalidOperation, ValueError):
        return None
    if not exact.is_finite():
        return None
    rounded = exact.quantize(places, rounding=ROUND_HALF_UP)
    return rounded if rounded == exact else None


def parse_quota(value: float, field: str, violations: Violations) -> Decimal:
    quota = parse_decimal(value, QUOTA_PLACES)
    if quota is None:
        violations.add(field, "指标最多保留3位小数（吨）")
        return Decimal(0)
    if quota <= 0:
        violations.add(field, "指标须大于0")
    elif quota >= Decimal("1e12"):
        violations.add(field, "指标数值过大")
    return quota


def parse_share_ratio(value: float, violations: Violations) -> Decimal:
    ratio = parse_decimal(value, RATIO_PLACES)
    if ratio is None:
        violations.add("shareRatio", "占股比例最多保留2位小数")
        return Decimal(0)
    if not Decimal(0) <= ratio <= Decimal(100):
        violations.add("shareRatio", "占股比例须在0到100之间")
    return ratio


PLAN_KINDS = {"MINING": "开采", "SMELTING_SEPARATION": "冶炼分离"}
RELATIONS = {"WHOLLY_OWNED": "全资", "HOLDING": "控股", "EQUITY_PARTICIPATION": "参股", "OTHER": "其他"}


def validate_year_batch(year: int, batch: int, violations: Violations) -> None:
    if not 2000 <= year <= 2100:
        violations.add("year", "年份须为2000至2100之间的四位数")
    if not 1 <= batch <= 99:
        violations.add("batch", "批次须为1至99之间的整数")


def confirmation_status(allocated: Decimal, confirmed: Decimal | None) -> str:
    if confirmed is None:
        return "UNCONFIRMED"
    return "CONFIRMED" if confirmed == allocated else "MISMATCH"


# --- Data dictionary ---------------------------------------------------------------

CUSTOMS_CODE = re.compile(r"^\d{10}$")
