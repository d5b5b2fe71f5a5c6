"""The data dictionary (manual §9): what a product-list entry and a customs-catalogue entry must be. No I/O."""

from __future__ import annotations

import re

from services.chassis.errors import Violations
from services.rare_earth.domain.texts import check_text_fields

PRODUCT_LIST = "稀土产品名称列表"
CUSTOMS_CATALOGUE = "海关产品目录"
PRODUCT_CODE = re.compile(r"^[A-Za-z0-9-]{1,20}$")
CUSTOMS_CODE = re.compile(r"^\d{10}$")
# How a change reads in the notice every enterprise receives.
ACTIONS = {"created": "新增", "updated": "修改", "deleted": "删除"}


def _given(fields: dict[str, tuple[str | None, str, int]]) -> dict[str, tuple[str, str, int, bool]]:
    """The fields given (None: left as they are), each required to be non-blank."""
    return {name: (value, label, limit, True) for name, (value, label, limit) in fields.items() if value is not None}


def check_product(category: str | None, name: str | None, code: str | None) -> None:
    """The given fields of a product-list entry; None is a field left as it is."""
    violations = check_text_fields(_given({"category": (category, "产品类别", 30), "name": (name, "产品名称", 50)}))
    if code is not None and not PRODUCT_CODE.match(code):
        violations.add("code", "产品编号须为1至20位字母、数字或连字符")
    violations.raise_if_any("产品信息有误")


def check_customs_product(code: str | None, name: str | None, unit: str | None) -> None:
    """The given fields of a customs-catalogue entry; None is a field left as it is."""
    violations = Violations()
    if code is not None and not CUSTOMS_CODE.match(code):
        violations.add("code", "海关商品编号须为10位数字")
    check_text_fields(_given({"name": (name, "产品名称", 100), "unit": (unit, "计量单位", 10)}), violations)
    violations.raise_if_any("海关产品信息有误")


def customs_code(text: str) -> str:
    """A commodity code as written (``2846.1010.00``) as it is stored (``2846101000``)."""
    return text.strip().replace(".", "")
