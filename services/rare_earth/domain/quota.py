"""Production quota plans (manual §6, §7.1): plan kinds, quota figures, confirmation. No I/O.

Quotas are tonnes REO with kilogram precision: three decimals, the scale they are stored with.
"""

from __future__ import annotations

from decimal import Decimal

from services.chassis.errors import FailedPrecondition, Violations
from services.rare_earth.domain.enterprises import ENTERPRISE_TYPES, TRADE_TYPES
from services.rare_earth.domain.states import CONFIRMED, MISMATCH, UNCONFIRMED

PLAN_KINDS = {"MINING": "开采", "SMELTING_SEPARATION": "冶炼分离"}
QUOTA_PLACES = Decimal("0.001")
MAX_QUOTA = Decimal("1e12")
# Who allocates a plan's quota first: the office, shown by this name where a parent's name would be.
OFFICE_UNIT = "稀土办"


def refuse_trade_enterprise(enterprise_type: str) -> None:
    if enterprise_type in TRADE_TYPES:
        raise FailedPrecondition(
            f"{ENTERPRISE_TYPES[enterprise_type]}不涉及生产总量控制计划",
            reason="TRADE_ENTERPRISE_NO_PLAN", metadata={"enterpriseType": enterprise_type})


def check_quota(quota: Decimal, field: str, violations: Violations) -> Decimal:
    """A quota above 0 with three decimals at most, at the scale it is stored with."""
    if quota <= 0:
        violations.add(field, "指标须大于0")
    elif quota >= MAX_QUOTA:
        violations.add(field, "指标数值过大")
    elif quota != quota.quantize(QUOTA_PLACES):
        violations.add(field, "指标最多保留3位小数（吨）")
    else:
        return quota.quantize(QUOTA_PLACES)
    return quota


def validate_year_batch(year: int, batch: int, violations: Violations) -> None:
    if not 2000 <= year <= 2100:
        violations.add("year", "年份须为2000至2100之间的四位数")
    if not 1 <= batch <= 99:
        violations.add("batch", "批次须为1至99之间的整数")


def confirmation_status(allocated: Decimal, confirmed: Decimal | None) -> str:
    if confirmed is None:
        return UNCONFIRMED
    return CONFIRMED if confirmed == allocated else MISMATCH


def tonnes(quantity: Decimal) -> str:
    """A quota as a notice or a message says it: ``600.5``, ``300``."""
    return f"{quantity.normalize():f}"
