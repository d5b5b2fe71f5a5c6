"""The data dictionary (manual §9): rare-earth product list and customs catalogue; office edits, notices."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from services.chassis.db import utcnow
from services.chassis.errors import AlreadyExists, NotFound, Violations
from services.chassis.paging import Page, paginate
from services.chassis.runtime import ServiceContext
from services.rare_earth import events
from services.rare_earth.access import OFFICE, require_staff, require_viewer
from services.rare_earth.domain import CUSTOMS_CODE
from services.rare_earth.handlers.common import commit, like, unit_of_work
from services.rare_earth.models import CustomsProduct, Enterprise, Product
from services.rare_earth.xlsx import workbook_bytes

PRODUCT_LIST = "稀土产品名称列表"
CUSTOMS_CATALOGUE = "海关产品目录"
PRODUCT_CODE = re.compile(r"^[A-Za-z0-9-]{1,20}$")
ACTIONS = {"created": "新增", "updated": "修改", "deleted": "删除"}
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class Download:
    file_name: str
    content: bytes


def _notify_everyone(uow, dictionary: str, action: str, item: str, item_id: str) -> None:
    """A system notice to every enterprise registered here (approved), batched per request."""
    organizations = list(uow.session.scalars(select(Enterprise.organization_id)
                                             .where(Enterprise.status == "APPROVED")
                                             .order_by(Enterprise.organization_id)))
    uow.publish(*events.system_notice_to_all("rare_earth.dictionary.changed", organizations,
                                             {"dictionary": dictionary, "action": ACTIONS[action], "item": item}))
    uow.publish(events.dictionary_changed("products" if dictionary == PRODUCT_LIST else "customs-products",
                                          action, item_id))


def _stamp() -> str:
    now: datetime = utcnow()
    return now.strftime("%Y%m%d")


# --- Rare-earth product list --------------------------------------------------------


def _product_query(category: str, name: str, code: str):
    query = select(Product)
    if category:
        query = query.where(Product.category == category)
    if name:
        query = query.where(Product.name.like(like(name), escape="\\"))
    if code:
        query = query.where(Product.code.startswith(code))
    return query.order_by(Product.code, Product.id)


def list_products(context: ServiceContext, category: str, name: str, code: str, page_size: int,
                  page_token: str) -> Page:
    with unit_of_work(context) as uow:
        require_viewer(uow.session)
        return paginate(uow.session, _product_query(category, name, code), page_size, page_token)


def export_products(context: ServiceContext, category: str, name: str, code: str) -> Download:
    with unit_of_work(context) as uow:
        require_viewer(uow.session)
        products = list(uow.session.scalars(_product_query(category, name, code).limit(EXPORT_LIMIT)))
    content = workbook_bytes(PRODUCT_LIST, ["产品类别", "产品名称", "产品编号"],
                             ((p.category, p.name, p.code) for p in products), (28, 32, 16))
    return Download(f"{PRODUCT_LIST}_{_stamp()}.xlsx", content)


def _check_product(category: str | None, name: str | None, code: str | None) -> None:
    violations = Violations()
    for field, value, label, limit in (("category", category, "产品类别", 30), ("name", name, "产品名称", 50)):
        if value is None:
            continue
        if not value.strip():
            violations.add(field, f"请填写{label}")
        elif len(value) > limit:
            violations.add(field, f"{label}最多{limit}个字符")
    if code is not None and not PRODUCT_CODE.match(code):
        violations.add("code", "产品编号须为1至20位字母、数字或连字符")
    violations.raise_if_any("产品信息有误")


def _product_clash(session, product: Product) -> None:
    with session.no_autoflush:
        _product_clash_unflushed(session, product)


def _product_clash_unflushed(session, product: Product) -> None:
    clash = session.scalars(select(Product).where(Product.id != product.id, Product.code == product.code)).first()
    if clash:
        raise AlreadyExists(f"产品编号{product.code}已存在", reason="PRODUCT_CODE_EXISTS")
    clash = session.scalars(select(Product).where(Product.id != product.id, Product.category == product.category,
                                                  Product.name == product.name)).first()
    if clash:
        raise AlreadyExists(f"“{product.category}”中已有产品“{product.name}”", reason="PRODUCT_NAME_EXISTS")


def create_product(context: ServiceContext, category: str, name: str, code: str) -> Product:
    require_staff(OFFICE)
    _check_product(category.strip(), name.strip(), code.strip())
    with unit_of_work(context) as uow:
        product = Product(category=category.strip(), name=name.strip(), code=code.strip())
        _product_clash(uow.session, product)
        uow.session.add(product)
        uow.session.flush()
        _notify_everyone(uow, PRODUCT_LIST, "created", f"{product.name}（{product.category}）", product.id)
        commit(uow, "产品编号或名称已存在")
        return product


def update_product(context: ServiceContext, product_id: str, category: str | None, name: str | None,
                   code: str | None) -> Product:
    require_staff(OFFICE)
    category, name, code = (v.strip() if v is not None else None for v in (category, name, code))
    _check_product(category, name, code)
    with unit_of_work(context) as uow:
        product = uow.session.get(Product, product_id, with_for_update=True)
        if product is None:
            raise NotFound("产品不存在", reason="PRODUCT_NOT_FOUND")
        product.category = category if category is not None else product.category
        product.name = name if name is not None else product.name
        product.code = code if code is not None else product.code
        _product_clash(uow.session, product)
        product.updated_at = utcnow()
        _notify_everyone(uow, PRODUCT_LIST, "updated", f"{product.name}（{product.category}）", product.id)
        commit(uow, "产品编号或名称已存在")
        return product


def delete_product(context: ServiceContext, product_id: str) -> None:
    require_staff(OFFICE)
    with unit_of_work(context) as uow:
        product = uow.session.get(Product, product_id, with_for_update=True)
        if product is None:
            raise NotFound("产品不存在", reason="PRODUCT_NOT_FOUND")
        _notify_everyone(uow, PRODUCT_LIST, "deleted", f"{product.name}（{product.category}）", product.id)
        uow.session.delete(product)
        commit(uow)


# --- Customs product catalogue ------------------------------------------------------


def _customs_query(code: str, name: str):
    query = select(CustomsProduct)
    if code:
        query = query.where(CustomsProduct.code.startswith(code.replace(".", "")))
    if name:
        query = query.where(CustomsProduct.name.like(like(name), escape="\\"))
    return query.order_by(CustomsProduct.code)


def list_customs_products(context: ServiceContext, code: str, name: str, page_size: int, page_token: str) -> Page:
    with unit_of_work(context) as uow:
        require_viewer(uow.session)
        return paginate(uow.session, _customs_query(code, name), page_size, page_token)


def export_customs_products(context: ServiceContext, code: str, name: str) -> Download:
    with unit_of_work(context) as uow:
        require_viewer(uow.session)
        items = list(uow.session.scalars(_customs_query(code, name).limit(EXPORT_LIMIT)))
    content = workbook_bytes(CUSTOMS_CATALOGUE, ["编号", "产品名称", "计量单位"],
                             ((c.code, c.name, c.unit) for c in items), (16, 48, 12))
    return Download(f"{CUSTOMS_CATALOGUE}_{_stamp()}.xlsx", content)


def _check_customs(code: str | None, name: str | None, unit: str | None) -> None:
    violations = Violations()
    if code is not None and not CUSTOMS_CODE.match(code):
        violations.add("code", "海关商品编号须为10位数字")
    for field, value, label, limit in (("name", name, "产品名称", 100), ("unit", unit, "计量单位", 10)):
        if value is None:
            continue
        if not value.strip():
            violations.add(field, f"请填写{label}")
        elif len(value) > limit:
            violations.add(field, f"{label}最多{limit}个字符")
    violations.raise_if_any("海关产品信息有误")


def _customs_clash(session, item: CustomsProduct) -> None:
    with session.no_autoflush:
        clash = session.scalars(select(CustomsProduct).where(CustomsProduct.id != item.id,
                                                             CustomsProduct.code == item.code)).first()
    if clash:
        raise AlreadyExists(f"编号{item.code}已在海关产品目录中", reason="CUSTOMS_CODE_EXISTS")


def create_customs_product(context: ServiceContext, code: str, name: str, unit: str) -> CustomsProduct:
    require_staff(OFFICE)
    code = code.strip().replace(".", "")
    _check_customs(code, name.strip(), unit.strip())
    with unit_of_work(context) as uow:
        item = CustomsProduct(code=code, name=name.strip(), unit=unit.strip())
        _customs_clash(uow.session, item)
        uow.session.add(item)
        uow.session.flush()
        _notify_everyone(uow, CUSTOMS_CATALOGUE, "created", f"{item.code} {item.name}", item.id)
        commit(uow, "海关商品编号已存在")
        return item


def update_customs_product(context: ServiceContext, item_id: str, code: str | None, name: str | None,
                           unit: str | None) -> CustomsProduct:
    require_staff(OFFICE)
    code = code.strip().replace(".", "") if code is not None else None
    name, unit = (v.strip() if v is not None else None for v in (name, unit))
    _check_customs(code, name, unit)
    with unit_of_work(context) as uow:
        item = uow.session.get(CustomsProduct, item_id, with_for_update=True)
        if item is None:
            raise NotFound("海关产品不存在", reason="CUSTOMS_PRODUCT_NOT_FOUND")
        item.code = code if code is not None else item.code
        item.name = name if name is not None else item.name
        item.unit = unit if unit is not None else item.unit
        _customs_clash(uow.session, item)
        item.updated_at = utcnow()
        _notify_everyone(uow, CUSTOMS_CATALOGUE, "updated", f"{item.code} {item.name}", item.id)
        commit(uow, "海关商品编号已存在")
        return item


def delete_customs_product(context: ServiceContext, item_id: str) -> None:
    require_staff(OFFICE)
    with unit_of_work(context) as uow:
        item = uow.session.get(CustomsProduct, item_id, with_for_update=True)
        if item is None:
            raise NotFound("海关产品不存在", reason="CUSTOMS_PRODUCT_NOT_FOUND")
        _notify_everyone(uow, CUSTOMS_CATALOGUE, "deleted", f"{item.code} {item.name}", item.id)
        uow.session.delete(item)
        commit(uow)
