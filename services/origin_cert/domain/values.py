"""HS codes, prices and the value contents of a product (产品预审, §1.3.1.2).

The system computes, from the product's prices and its raw materials:

- non-originating materials value VNM = Σ (unit price × usage ratio) over the non-originating materials
  (the usage ratio is how many units of the material go into one product, 用料比例);
- FOB value content = (FOB − VNM) / FOB × 100, the build-down method of RCEP Article 3.5; a threshold
  ``RVC40`` holds when it is at least 40 %;
- EXW value content likewise on the EXW (ex-works) price.

Everything is Decimal, never float. Thresholds are compared exactly, without dividing
((P − VNM) × 100 ≥ t × P); the percentages shown are cut (never rounded up) to two places, so a
shown value never claims a threshold the exact one misses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

HUNDRED = Decimal(100)
PERCENT_PLACES = Decimal("0.01")
ZERO = Decimal(0)
# 产品预审税则号: 6 digits, or the 8 digits of the cross-strait (ECFA) certificates.
PRODUCT_HS_DIGITS = 6
ECFA_HS_DIGITS = 8
_DIGITS = re.compile(r"\d+")
_COUNTRY = re.compile(r"[A-Z]{2}")
MAX_PRICE = Decimal("1000000000")


@dataclass(frozen=True)
class Material:
    """One raw material of a product: whether it originates, what one unit costs, how many units go in."""

    name: str
    hs_code: str
    origin_country: str
    originating: bool
    unit_price: Decimal
    usage_ratio: Decimal

    @property
    def value(self) -> Decimal:
        return self.unit_price * self.usage_ratio


@dataclass(frozen=True)
class ValueContent:
    non_originating_value: Decimal
    originating_value: Decimal
    fob_price: Decimal | None
    exw_price: Decimal | None

    @property
    def fob_percent(self) -> Decimal | None:
        return percent(self.fob_price, self.non_originating_value)

    @property
    def exw_percent(self) -> Decimal | None:
        return percent(self.exw_price, self.non_originating_value)

    def on(self, basis: str) -> Decimal | None:
        """The value content shown for ``basis`` (FOB or EXW)."""
        return self.exw_percent if basis == EXW else self.fob_percent

    def reaches(self, basis: str, threshold: Decimal) -> bool:
        """Exactly: (price − VNM) × 100 ≥ threshold × price, on the basis's price."""
        price = self.exw_price if basis == EXW else self.fob_price
        if not price or price <= ZERO:
            return False
        return (price - self.non_originating_value) * HUNDRED >= threshold * price


FOB, EXW = "FOB", "EXW"
VALUE_BASES = (FOB, EXW)


def value_content(fob_price: Decimal | None, exw_price: Decimal | None,
                  materials: Iterable[Material]) -> ValueContent:
    non_originating = originating = ZERO
    for material in materials:
        if material.originating:
            originating += material.value
        else:
            non_originating += material.value
    return ValueContent(non_originating, originating, fob_price, exw_price)


def percent(price: Decimal | None, non_originating_value: Decimal) -> Decimal | None:
    """(price − VNM) / price × 100, cut to two places; None without a positive price."""
    if price is None or price <= ZERO:
        return None
    return ((price - non_originating_value) * HUNDRED / price).quantize(PERCENT_PLACES, rounding=ROUND_FLOOR)


# ---- field checks: each answers a problem in the user's words, or None ----

def product_hs_problem(code: str, ecfa: bool) -> str | None:
    digits = ECFA_HS_DIGITS if ecfa else PRODUCT_HS_DIGITS
    if not code:
        return "请填写商品编码（税则号）"
    if not _DIGITS.fullmatch(code) or len(code) != digits:
        return ("海峡两岸（ECFA）证书的税则号须为8位数字" if ecfa
                else "税则号须为6位数字（海峡两岸ECFA证书为8位）")
    return None


def material_hs_problem(code: str) -> str | None:
    if not code:
        return "请填写原材料的商品编码"
    if not _DIGITS.fullmatch(code) or len(code) not in (4, 6, 8, 10):
        return "原材料商品编码须为4、6、8或10位数字"
    return None


def country_problem(code: str, label: str = "国家（地区）") -> str | None:
    if not code:
        return f"请选择{label}"
    if not _COUNTRY.fullmatch(code):
        return f"{label}须为ISO 3166两位字母代码（如 JP）"
    return None


def amount_problem(value: Decimal | None, label: str, *, places: int = 4, positive: bool = True) -> str | None:
    if value is None:
        return f"请填写{label}"
    if positive and value <= ZERO:
        return f"{label}须大于0"
    if value < ZERO:
        return f"{label}不能为负数"
    if value >= MAX_PRICE:
        return f"{label}过大"
    if -value.as_tuple().exponent > places:  # type: ignore[operator]
        return f"{label}最多保留{places}位小数"
    return None
