"""Monthly ledgers (manual §7.2–7.5): the columns of each kind and the rules every uploaded row must meet. No I/O."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from stdnum.cn import uscc as uscc_number

from services.chassis.errors import FailedPrecondition, Violations
from services.rare_earth.domain.enterprises import ENTERPRISE_TYPES, TRADE_TYPES
from services.rare_earth.domain.states import CONFIRMED, EXPIRED, INVALID, LEDGER_IMPORT

KINDS = {"PURCHASE": "采购台账", "PRODUCTION": "生产台账", "SALES": "销售台账", "INVENTORY": "库存台账"}
KG_PLACES = Decimal("0.001")
MAX_KG = Decimal("1e12")
MAX_ROWS = 200_000
MAX_FILE_BYTES = 15 * 1024 * 1024
DOMESTIC = frozenset({"", "中国", "中华人民共和国", "CN", "CHN"})
BATCH_SEPARATORS = re.compile(r"[;；,，、\s]+")
CODE = re.compile(r"^[A-Za-z0-9-]{6,40}$")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    # date | text | uscc | category | product | kg | code | batch | batches | customs | country
    type: str
    required: bool
    width: int
    note: str


def _c(key: str, header: str, type_: str, required: bool, width: int, note: str) -> Column:
    return Column(key, header, type_, required, width, note)


DATE = _c("date", "日期", "date", True, 14, "必填，格式YYYY-MM-DD，须在报送月份内")
CATEGORY = _c("product_category", "产品类别", "category", True, 18, "必填，从下拉列表选择，须与稀土产品名称列表一致")
PRODUCT = _c("product_name", "产品名称", "product", True, 22, "必填，须为所选产品类别下的产品名称")
QUANTITY = _c("quantity", "数量（千克）", "kg", True, 14, "必填，大于0，最多3位小数")


def _counterparty(role: str, uscc_required: bool, uscc_note: str) -> tuple[Column, Column]:
    """The supplier (PURCHASE) or customer (SALES): its name and USCC."""
    return (_c("counterparty_name", f"{role}名称", "text", True, 30, "必填，最多100个字符"),
            _c("counterparty_uscc", f"{role}统一社会信用代码", "uscc", uscc_required, 24, uscc_note))


COLUMNS: dict[str, tuple[Column, ...]] = {
    "PURCHASE": (
        DATE, *_counterparty("供应商", True, "必填，18位统一社会信用代码"), CATEGORY, PRODUCT, QUANTITY,
        _c("traceability_code", "追溯码", "code", False, 22, "供应商销售台账中的追溯码；自有矿山或进口原料可不填"),
        _c("batch_no", "批次号", "batch", True, 18, "必填，本企业入库批次号，生产台账的投入批次号引用它"),
    ),
    "PRODUCTION": (
        DATE, CATEGORY, PRODUCT, QUANTITY,
        _c("input_batch_nos", "投入批次号", "batches", True, 26, "必填，多个批次用分号分隔"),
        _c("output_batch_no", "产出批次号", "batch", True, 18, "必填，销售台账的批次号引用它"),
    ),
    "SALES": (
        DATE, *_counterparty("客户", False, "境内客户必填；出口销售可不填"), CATEGORY, PRODUCT, QUANTITY,
        _c("traceability_code", "追溯码", "code", False, 22, "可不填：由平台分配；填写则须为6至40位字母、数字或连字符"),
        _c("export_product_code", "出口产品编号", "customs", False, 16, "出口必填，须为海关产品目录中的10位编号"),
        _c("destination_country", "目的国（地区）", "country", False, 16, "出口填写目的国（地区）；境内销售不填"),
        _c("batch_no", "批次号", "batch", True, 18, "必填，所售产品的批次号"),
    ),
    "INVENTORY": (
        CATEGORY, PRODUCT,
        _c("opening", "期初库存（千克）", "kg0", True, 16, "必填，不小于0"),
        _c("inflow", "本月入库（千克）", "kg0", True, 16, "必填，不小于0"),
        _c("outflow", "本月出库（千克）", "kg0", True, 16, "必填，不小于0"),
        _c("closing", "期末库存（千克）", "kg0", True, 16, "必填：期初库存＋本月入库－本月出库＝期末库存"),
    ),
}


@lru_cache(maxsize=4096)
def valid_uscc(number: str) -> bool:
    """Cached: a ledger names the same few counterparties on thousands of rows."""
    return uscc_number.is_valid(number)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def check_kind_allowed(kind: str, enterprise_type: str) -> None:
    """Trade enterprises have no production ledger (manual §7)."""
    if kind == "PRODUCTION" and enterprise_type in TRADE_TYPES:
        raise FailedPrecondition(f"{ENTERPRISE_TYPES[enterprise_type]}不涉及生产台账",
                                 reason="TRADE_ENTERPRISE_NO_PRODUCTION", metadata={"enterpriseType": enterprise_type})


def required_kinds(enterprise_type: str) -> tuple[str, ...]:
    """The ledgers an enterprise must report each month; groups and first-level companies report none of their own.

    Mining enterprises take their raw material from their own mines and may report no purchase ledger.
    """
    if enterprise_type in ("GROUP", "FIRST_LEVEL", ""):
        return ()
    if enterprise_type in TRADE_TYPES:
        return ("PURCHASE", "SALES", "INVENTORY")
    if enterprise_type == "MINING":
        return ("PRODUCTION", "SALES", "INVENTORY")
    return ("PURCHASE", "PRODUCTION", "SALES", "INVENTORY")


# Why an upload cannot be confirmed, by its status: only a VALID one may be.
CONFIRM_REFUSALS = {
    INVALID: ("文件校验未通过，请按错误提示修改后重新上传", "LEDGER_IMPORT_INVALID"),
    CONFIRMED: ("该文件已确认导入", "LEDGER_IMPORT_CONFIRMED"),
    EXPIRED: ("该上传已过期，请重新上传", "LEDGER_IMPORT_EXPIRED"),
}


def check_confirmable(status: str) -> None:
    if not LEDGER_IMPORT.can(status, CONFIRMED):
        message, reason = CONFIRM_REFUSALS[status]
        raise FailedPrecondition(message, reason=reason, metadata={"status": status})


def validate_period(year: int, month: int, violations: Violations) -> None:
    if not 2000 <= year <= 2100:
        violations.add("year", "年份须为2000至2100之间的四位数")
    if not 1 <= month <= 12:
        violations.add("month", "月份须为1至12")


def header_problem(kind: str, header: Sequence[object]) -> str | None:
    """Why the first row is not the template's header, or None."""
    cells = [_text(v) for v in header]
    for index, column in enumerate(COLUMNS[kind]):
        found = cells[index] if index < len(cells) else ""
        if found != column.header:
            return f"表头与{KINDS[kind]}模板不一致：第{column_letter(index)}列应为“{column.header}”，实际为“{found}”"
    return None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def traceability_code(enterprise_id: str, year: int, month: int, row_number: int, batch_no: str,
                      customer_uscc: str) -> str:
    """The code the platform gives a sale left blank: stable for the same row when a month is re-uploaded."""
    digest = hashlib.sha256(f"{enterprise_id}|{year}|{month}|{row_number}|{batch_no}|{customer_uscc}".encode())
    return f"RE{year:04d}{month:02d}{digest.hexdigest()[:10].upper()}"


class _Bad(NamedTuple):
    """A cell against its column's rule: the value the record keeps, and why the cell is wrong."""

    value: object
    message: str


_MISSING = object()
# Cells read per column are remembered up to this many distinct values (a ledger repeats its
# dates, counterparties, products and quantities on thousands of rows).
_CACHED_CELLS = 4096
# Columns whose cells are mostly distinct: remembering them would only cost memory.
_UNCACHED = frozenset({"code", "batch", "batches"})
Rule = Callable[[object], object]


def _cell_text(raw: object) -> str | None:
    """A cell that is not a string as the rules read it: its text, or None when blank (a date reads as "")."""
    if raw is None:
        return None
    if isinstance(raw, (date, datetime)):
        return ""
    return _text(raw) or None


class RowValidator:
    """Checks each row of one upload and turns it into a ledger record; remembers what spans rows.

    Each column's rule is compiled once per upload into a function of the cell, with the
    dictionary's sets and a cache of the cells already read bound to it, so a row costs one
    call and a set or dict lookup per cell; :meth:`values` answers a row as its values in
    column order, which is what bulk staging writes.
    """

    def __init__(self, kind: str, enterprise_id: str, year: int, month: int, products: set[tuple[str, str]],
                 customs_codes: set[str]):
        self.kind, self.enterprise_id, self.year, self.month = kind, enterprise_id, year, month
        self.columns = COLUMNS[kind]
        self.keys = tuple(c.key for c in self.columns)
        self.products = products
        self.categories = {category for category, _ in products}
        self._names: dict[str, set[str]] = {}
        for category, name in products:
            self._names.setdefault(category, set()).add(name)
        self.customs_codes = customs_codes
        self._codes: dict[str, int] = {}
        self._inventory: dict[tuple[str, str], int] = {}
        self._at = {key: index for index, key in enumerate(self.keys)}
        self._rules: tuple[Rule, ...] = tuple(self._rule(column) for column in self.columns)
        self._cross = {"SALES": self._sales_checks, "INVENTORY": self._inventory_checks}.get(kind)

    def forget(self) -> None:
        """Drop what the rows left behind (every code seen, the cells remembered) once the file is read.

        The compiled rules and the cross-row checks are bound to the validator, a reference cycle:
        left to the collector, an upload's codes and caches (10 MB and more for 100,000 rows)
        stayed until its next full pass, piling up upload after upload. The rules go too; the
        validator checks no rows after this.
        """
        self._codes, self._inventory = {}, {}
        self._rules, self._cross = (), None

    def check(self, row_number: int, cells: Sequence[object]) -> tuple[dict, list[tuple[int, str]]]:
        """The record for ``cells`` and the problems as (column index, message)."""
        values, errors = self.values(row_number, cells)
        return self.record(row_number, values), errors

    def record(self, row_number: int, values: Sequence[object]) -> dict:
        record: dict = {"enterprise_id": self.enterprise_id, "kind": self.kind, "year": self.year,
                        "month": self.month, "row_number": row_number}
        record.update(zip(self.keys, values, strict=True))
        return record

    def values(self, row_number: int, cells: Sequence[object]) -> tuple[list[object], list[tuple[int, str]]]:
        """The row's values in column order and its problems as (column index, message)."""
        errors: list[tuple[int, str]] = []
        values: list[object] = []
        width = len(cells)
        for index, rule in enumerate(self._rules):
            value = rule(cells[index] if index < width else None)
            if value.__class__ is _Bad:
                errors.append((index, value.message))
                value = value.value
            values.append(value)
        at = self._at
        if "product_name" in at:
            category, name = values[at["product_category"]], values[at["product_name"]]
            if category in self.categories and name and name not in self._names[category]:
                errors.append((at["product_name"], f"产品名称不在“{category}”的稀土产品名称列表中"))
        if self._cross is not None:
            self._cross(row_number, values, errors)
        return values, errors

    # -- the rules, one per column --------------------------------------------------------------

    def _rule(self, column: Column) -> Rule:
        """The column's rule: a blank cell, then the rule of its type on the cell's text."""
        check = self._check(column)
        blank: object = _Bad(_empty(column), f"请填写{column.header}") if column.required else _empty(column)

        def rule(raw: object) -> object:
            if raw.__class__ is str:
                text = raw.strip()  # type: ignore[attr-defined]
                return check(text, raw) if text else blank
            text = _cell_text(raw)
            return blank if text is None else check(text, raw)

        if column.type in _UNCACHED:
            return rule
        seen: dict[str, object] = {}

        def remembered(raw: object) -> object:
            if raw.__class__ is not str and (raw.__class__ not in (int, float) or not raw):
                return rule(raw)  # zero is left out: 0, 0.0 and -0.0 are one key but not one reading
            found = seen.get(raw, _MISSING)  # type: ignore[call-overload]
            if found is _MISSING:
                found = rule(raw)
                if len(seen) < _CACHED_CELLS:
                    seen[raw] = found  # type: ignore[index]
            return found

        return remembered

    def _check(self, column: Column) -> Callable[[str, object], object]:
        kind = column.type
        if kind == "date":
            return self._date
        if kind in ("kg", "kg0"):
            positive = kind == "kg"

            def amount(text: str, raw: object) -> object:
                value, problem = _kilograms(raw, text, positive=positive)
                return _Bad(value, problem) if problem else value

            return amount
        if kind == "uscc":
            return _uscc
        if kind == "category":
            categories = self.categories
            return lambda text, _raw: text if text in categories else _Bad(text, "产品类别不在稀土产品名称列表中")
        if kind == "product":
            return lambda text, _raw: text[:50]  # matched with the category once the row is read
        if kind == "customs":
            return self._customs
        if kind == "code":
            wrong_code = "追溯码须为6至40位字母、数字或连字符"
            return lambda text, _raw: text[:40] if CODE.match(text) else _Bad(text[:40], wrong_code)
        if kind == "batches":
            return _batches
        limit = 50 if kind in ("batch", "country") else 100
        too_long = f"{column.header}最多{limit}个字符"
        return lambda text, _raw: text if len(text) <= limit else _Bad(text[:limit], too_long)

    def _customs(self, text: str, _raw: object) -> object:
        code = text.replace(".", "")
        return code[:10] if code in self.customs_codes else _Bad(code[:10], "出口产品编号不在海关产品目录中")

    def _date(self, text: str, raw: object) -> object:
        if isinstance(raw, datetime):
            value = raw.date()
        elif isinstance(raw, date):
            value = raw
        else:
            try:
                value = date.fromisoformat(text.replace("/", "-").split(" ")[0])
            except ValueError:
                return _Bad(None, "日期格式应为YYYY-MM-DD")
        if value.year != self.year or value.month != self.month:
            return _Bad(None, f"日期须在{self.year}年{self.month}月内")
        return value

    # -- what spans the row, or rows ---------------------------------------------------------------

    def _sales_checks(self, row_number: int, values: list[object], errors: list[tuple[int, str]]) -> None:
        at = self._at
        export = values[at["destination_country"]] not in DOMESTIC
        if export and not values[at["export_product_code"]] and not _has(errors, at["export_product_code"]):
            errors.append((at["export_product_code"], "出口销售须填写出口产品编号"))
        if not export and not values[at["counterparty_uscc"]] and not _has(errors, at["counterparty_uscc"]):
            errors.append((at["counterparty_uscc"], "境内销售须填写客户统一社会信用代码"))
        code_at = at["traceability_code"]
        code = values[code_at]
        if not code:
            code = values[code_at] = traceability_code(self.enterprise_id, self.year, self.month, row_number,
                                                       values[at["batch_no"]], values[at["counterparty_uscc"]])
        if code in self._codes and not _has(errors, code_at):
            errors.append((code_at, f"追溯码与第{self._codes[code]}行重复"))
        self._codes.setdefault(code, row_number)  # type: ignore[arg-type]

    def _inventory_checks(self, row_number: int, values: list[object], errors: list[tuple[int, str]]) -> None:
        at = self._at
        product = (values[at["product_category"]], values[at["product_name"]])
        if product in self._inventory:
            errors.append((at["product_name"], f"该产品已在第{self._inventory[product]}行填报"))
        self._inventory.setdefault(product, row_number)  # type: ignore[arg-type]
        keys = ("opening", "inflow", "outflow", "closing")
        amounts = [values[at[k]] for k in keys]
        if all(isinstance(a, Decimal) for a in amounts) and not any(_has(errors, at[k]) for k in keys):
            opening, inflow, outflow, closing = amounts
            if opening + inflow - outflow != closing:
                errors.append((at["closing"],
                               f"库存不平衡：期初{opening}＋入库{inflow}－出库{outflow}应等于期末，实为{closing}"))


def _uscc(text: str, _raw: object) -> object:
    number = text.upper()
    return number if valid_uscc(number) else _Bad(text[:18], "统一社会信用代码校验位错误或格式不正确")


def _batches(text: str, _raw: object) -> object:
    batches = [b for b in BATCH_SEPARATORS.split(text) if b]
    if any(len(b) > 50 for b in batches):
        return _Bad("", "批次号最多50个字符")
    return ";".join(dict.fromkeys(batches))


def _has(errors: list[tuple[int, str]], index: int) -> bool:
    return any(i == index for i, _ in errors)


def _empty(column: Column) -> object:
    return None if column.type in ("date", "kg", "kg0") else ""


def _kilograms(raw: object, text: str, *, positive: bool) -> tuple[Decimal | None, str | None]:
    try:
        exact = Decimal(repr(float(raw))) if isinstance(raw, (int, float)) else Decimal(text.replace(",", ""))
    except (InvalidOperation, ValueError):
        return None, "须为数字（千克）"
    if not exact.is_finite():
        return None, "须为数字（千克）"
    rounded = exact.quantize(KG_PLACES, rounding=ROUND_HALF_UP)
    if rounded != exact:
        return None, "最多保留3位小数（千克）"
    if positive and rounded <= 0:
        return None, "须大于0"
    if rounded < 0:
        return None, "不能为负数"
    if rounded >= MAX_KG:
        return None, "数值过大"
    return rounded, None


def split_batches(value: str) -> list[str]:
    return [b for b in value.split(";") if b]
