"""An application's products (manual §2.1.2): add, list with a fuzzy query, view, edit, delete."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.rules import check_quantity, check_text, clean, parse_decimal
from services.ccc_exemption.domain.states import RETURNED
from services.ccc_exemption.handlers.access import load_application, require_viewer
from services.ccc_exemption.handlers.applications import check_location, require_editable
from services.ccc_exemption.handlers.catalogue import characteristics_of, find_code, units_of
from services.ccc_exemption.models import Application, HsCode, Product
from services.chassis.db import contains, utcnow
from services.chassis.errors import NotFound, Violations
from services.chassis.paging import Page, paginate

PREFIX = "product"


@dataclass(frozen=True)
class ProductInput:
    hs_code: str
    characteristics: Sequence[tuple[str, str]]
    name: str
    model: str
    brand: str
    manufacturer: str
    quantity: str
    quantity_unit: str
    standard_quantity: str
    final_use_location_code: str


@dataclass(frozen=True)
class CheckedProduct:
    code: HsCode
    characteristics: list[tuple[str, str]]
    name: str
    model: str
    brand: str
    manufacturer: str
    quantity: Decimal
    quantity_unit: str
    standard_quantity: Decimal
    final_use_code: str


def characteristic_pairs(product: Product) -> list[tuple[str, str]]:
    return [(name, value) for name, value in json.loads(product.characteristics)]


def check_product(session: Session, application: Application, data: ProductInput,
                  current: Product | None = None) -> CheckedProduct:
    """Every field of the form, every bad one named; the code's characteristics all required.

    In a correction (返回修改) a product's final-use location stays what it was, as the
    application's does: ``current``'s for a product edited, the application's for one added.
    """
    violations = Violations()
    code = find_code(session, clean(data.hs_code), f"{PREFIX}.hsCode")
    given = {clean(name): clean(value) for name, value in data.characteristics}
    required = characteristics_of(code)
    for index, name in enumerate(given):
        if name not in required:
            violations.add(f"{PREFIX}.characteristics[{index}].name", f"HS 编码 {code.code} 没有产品特性“{name}”")
    characteristics = []
    for name in required:
        value = check_text(violations, f"{PREFIX}.characteristics", given.get(name, ""), f"产品特性“{name}”", 100,
                           required=True)
        characteristics.append((name, value))
    texts = {field: check_text(violations, f"{PREFIX}.{field}", getattr(data, field), label, 100,
                               required=required_field)
             for field, label, required_field in (("name", "产品名称", True), ("model", "规格型号", True),
                                                  ("brand", "商标", False), ("manufacturer", "生产厂名", True))}
    quantity = check_quantity(violations, f"{PREFIX}.quantity",
                              parse_decimal(violations, f"{PREFIX}.quantity", data.quantity, "数量/重量"), "数量/重量")
    unit = clean(data.quantity_unit)
    if unit not in units_of(code):
        violations.add(f"{PREFIX}.quantityUnit", f"请选择数量/重量单位：{'、'.join(units_of(code))}")
    standard = check_quantity(violations, f"{PREFIX}.standardQuantity",
                              parse_decimal(violations, f"{PREFIX}.standardQuantity", data.standard_quantity,
                                            "HS 标准量"), "HS 标准量")
    # Left empty: a product edited keeps its own location, one added takes the application's.
    unchanged = current.final_use_code if current is not None else application.final_use_code
    location = check_location(violations, f"{PREFIX}.finalUseLocationCode",
                              clean(data.final_use_location_code) or unchanged, required=True)
    if application.status == RETURNED and location and location != unchanged:
        violations.add(f"{PREFIX}.finalUseLocationCode", "返回修改的申请，产品最终使用地不允许修改")
    violations.raise_if_any("产品信息有误")
    return CheckedProduct(code, characteristics, texts["name"], texts["model"], texts["brand"], texts["manufacturer"],
                          quantity, unit, standard, location)  # type: ignore[arg-type]


def _apply(product: Product, checked: CheckedProduct) -> None:
    product.hs_code, product.hs_name = checked.code.code, checked.code.name
    product.standard_unit = checked.code.standard_unit
    product.characteristics = json.dumps(checked.characteristics, ensure_ascii=False)
    product.name, product.model, product.brand = checked.name, checked.model, checked.brand
    product.manufacturer = checked.manufacturer
    product.quantity, product.quantity_unit = checked.quantity, checked.quantity_unit
    product.standard_quantity, product.final_use_code = checked.standard_quantity, checked.final_use_code
    product.updated_at = utcnow()


def _editable_application(session: Session, application_id: str) -> Application:
    viewer = require_viewer()
    application = load_application(session, viewer, application_id, lock=True)
    require_editable(viewer, application)
    return application


def _product(session: Session, application: Application, product_id: str) -> Product:
    product = session.get(Product, product_id) if product_id else None
    if product is None or product.application_id != application.id:
        raise NotFound("产品不存在", reason="PRODUCT_NOT_FOUND", metadata={"field": "id"})
    return product


def create_product(context: CccContext, application_id: str, data: ProductInput) -> Product:
    """Save and close, or save and add next: either way validated in full and saved."""
    with context.unit_of_work() as uow:
        session = uow.session
        application = _editable_application(session, application_id)
        checked = check_product(session, application, data)
        last = session.scalar(select(func.max(Product.sequence)).where(Product.application_id == application.id))
        product = Product(application_id=application.id, sequence=(last or 0) + 1, created_at=utcnow())
        _apply(product, checked)
        session.add(product)
        application.updated_at = utcnow()
        uow.commit()
        return product


def update_product(context: CccContext, application_id: str, product_id: str, data: ProductInput) -> Product:
    with context.unit_of_work() as uow:
        session = uow.session
        application = _editable_application(session, application_id)
        product = _product(session, application, product_id)
        _apply(product, check_product(session, application, data, product))
        application.updated_at = utcnow()
        uow.commit()
        return product


def delete_product(context: CccContext, application_id: str, product_id: str) -> None:
    with context.unit_of_work() as uow:
        session = uow.session
        application = _editable_application(session, application_id)
        session.delete(_product(session, application, product_id))
        application.updated_at = utcnow()
        uow.commit()


def get_product(context: CccContext, application_id: str, product_id: str) -> Product:
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        application = load_application(uow.session, viewer, application_id)
        return _product(uow.session, application, product_id)


def list_products(context: CccContext, application_id: str, name: str, hs_code: str, model: str, page_size: int,
                  page_token: str) -> Page[Product]:
    """Fuzzy query by name, HS code and model (查询功能)."""
    viewer = require_viewer()
    violations = Violations()
    filters = [(Product.name, check_text(violations, "name", name, "产品名称", 100)),
               (Product.hs_code, check_text(violations, "hsCode", hs_code, "HS 编码", 10)),
               (Product.model, check_text(violations, "model", model, "规格型号", 100))]
    violations.raise_if_any("查询条件有误")
    with context.unit_of_work(read_only=True) as uow:
        application = load_application(uow.session, viewer, application_id)
        query = select(Product).where(Product.application_id == application.id)
        for column, text in filters:
            if text:
                query = query.where(contains(column, text))
        return paginate(uow.session, query.order_by(Product.sequence), page_size, page_token)
