"""A commission (业务委托, manual §2.3) and its goods lines; the totals are the service's, never typed.

A line's amount is its quantity times its unit price (to the cent); the commission's total quantity
and total amount are the sums of its lines, in the one currency its lines share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from services.chassis.errors import Violations
from services.inspection.domain import fields as f
from services.inspection.domain.fields import Field, check_fields

CENT = Decimal("0.01")
QUANTITY_PLACES = 3
PRICE_PLACES = 4
# Bounds that keep a commission's sums within their columns (200 lines at the most).
MAX_QUANTITY = Decimal("1e10")
MAX_PRICE = Decimal("1e12")
MAX_AMOUNT = Decimal("1e13")

COMMISSION_FIELDS = {
    "consignee": Field("收货人", 200),
    "contact_name": Field("联系人", 60),
    "contact_phone": Field("联系人电话", 30, check=f.phone),
    "contact_mobile": Field("联系人手机", 11, check=f.mobile),
    "contact_email": Field("联系人邮件", 100, check=f.email),
}
# The dropdowns (下拉选择): request field -> the reference list it picks from.
CHOICES = {
    "entry_customs": "CUSTOMS",
    "destination": "DESTINATION",
    "destination_customs": "CUSTOMS",
    "usage": "USAGE",
}
CHOICE_LABELS = {"entry_customs": "入境海关", "destination": "到货地", "destination_customs": "到货地海关",
                 "usage": "产品用途"}

GOODS_FIELDS = {
    "name": Field("货物名称", 100),
    "hs_code": Field("HS编码", 10, check=f.hs_code),
    "model": Field("型号规格", 100),
    "unit": Field("计量单位", 10),
    "currency": Field("币制", 3),
}
MAX_GOODS = 200

# Attachment kinds: what the enterprise sends with its commission, and what the institution adds.
ENTERPRISE_KINDS = ("CONTRACT", "INVOICE", "PACKING_LIST", "BILL_OF_LADING", "OTHER")
INSTITUTION_KINDS = ("RESULT", "INSPECTION_DOCUMENT")


@dataclass(frozen=True)
class GoodsInput:
    name: str
    hs_code: str
    model: str
    manufacture_year: int
    quantity: str
    unit: str
    unit_price: str
    currency: str


@dataclass(frozen=True)
class GoodsLine:
    name: str
    hs_code: str
    model: str
    manufacture_year: int
    quantity: Decimal
    unit: str
    unit_price: Decimal
    currency: str
    amount: Decimal


def check_goods(goods: GoodsInput, currencies: set[str], violations: Violations, prefix: str = "") -> GoodsLine | None:
    """A goods line with its amount, or None when ``violations`` gained its problems."""
    before = len(violations.items)
    values = {"name": goods.name, "hs_code": goods.hs_code, "model": goods.model, "unit": goods.unit,
              "currency": goods.currency}
    check_fields(GOODS_FIELDS, values, violations, prefix=prefix)
    currency = goods.currency.strip().upper()
    if currency and len(currency) == 3 and currency not in currencies:
        violations.add(prefix + "currency", "请从列表中选择币制")
    f.check_year(goods.manufacture_year, prefix + "manufactureYear", "制造年份", violations)
    quantity = f.parse_decimal(goods.quantity, prefix + "quantity", "数量", violations, places=QUANTITY_PLACES,
                               maximum=MAX_QUANTITY)
    price = f.parse_decimal(goods.unit_price, prefix + "unitPrice", "单价", violations, places=PRICE_PLACES,
                            positive=False, maximum=MAX_PRICE)
    if quantity is not None and price is not None and line_amount(quantity, price) >= MAX_AMOUNT:
        violations.add(prefix + "unitPrice", "金额（数量×单价）过大")
    if len(violations.items) > before or quantity is None or price is None:
        return None
    return GoodsLine(name=goods.name.strip(), hs_code=goods.hs_code.strip(), model=goods.model.strip(),
                     manufacture_year=goods.manufacture_year, quantity=quantity, unit=goods.unit.strip(),
                     unit_price=price, currency=currency, amount=line_amount(quantity, price))


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


def currency_problem(line_currency: str, others: Iterable[str]) -> str | None:
    """A commission's lines share one currency, so its total amount is one sum."""
    existing = set(others)
    if existing and line_currency not in existing:
        return f"同一委托的货物币制须一致（已有货物币制为{'、'.join(sorted(existing))}）"
    return None


@dataclass(frozen=True)
class Totals:
    quantity: Decimal
    amount: Decimal
    currency: str


def totals(lines: Sequence[tuple[Decimal, Decimal, str]]) -> Totals:
    """(quantity, amount, currency) of each line -> 总数量 and 总金额."""
    quantity = sum((q for q, _a, _c in lines), Decimal(0))
    amount = sum((a for _q, a, _c in lines), Decimal(0))
    return Totals(quantity, amount.quantize(CENT), lines[0][2] if lines else "")
