"""The data dictionary (manual §9): rare-earth product list and customs catalogue; office edits, notices.

Both lists are kept the same way, so each is described once (:class:`Catalogue`) and the
use cases below serve both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.chassis.db import contains, utcnow
from services.chassis.errors import AlreadyExists, Conflict, NotFound
from services.chassis.paging import Page, paginate
from services.chassis.uow import UnitOfWork
from services.rare_earth import events
from services.rare_earth.config import RareEarthContext
from services.rare_earth.domain.agencies import OFFICE
from services.rare_earth.domain.dictionary import (
    ACTIONS,
    CUSTOMS_CATALOGUE,
    PRODUCT_LIST,
    check_customs_product,
    check_product,
    customs_code,
)
from services.rare_earth.domain.states import APPROVED
from services.rare_earth.handlers.access import require_staff, require_viewer
from services.rare_earth.models import CustomsProduct, Enterprise, Product
from services.rare_earth.xlsx import workbook_bytes

EXPORT_LIMIT = 100_000

Entry = Product | CustomsProduct


@dataclass(frozen=True)
class Download:
    file_name: str
    content: bytes


@dataclass(frozen=True)
class Catalogue:
    """One of the lists the office keeps: its entries, how they are checked, and how they read."""

    model: type[Product] | type[CustomsProduct]
    title: str
    # The dictionary's name in the rare_earth.dictionary.changed event.
    event_name: str
    # The message and reason of an id that names no entry.
    missing: tuple[str, str]
    # Checks the fields given (None: left as they are).
    check: Callable[..., None]
    # Each unique set of columns, with the refusal when another entry has the same values.
    unique: tuple[tuple[tuple[str, ...], str, str], ...]
    # What a commit that lost a unique-key race answers.
    conflict: str
    # How an entry reads in the notice to every enterprise, and as a row of the export.
    label: Callable[[Any], str]
    headers: tuple[str, ...]
    widths: tuple[int, ...]
    columns: tuple[str, ...]


PRODUCTS = Catalogue(
    Product, PRODUCT_LIST, "products", ("产品不存在", "PRODUCT_NOT_FOUND"), check_product,
    ((("code",), "产品编号{code}已存在", "PRODUCT_CODE_EXISTS"),
     (("category", "name"), "“{category}”中已有产品“{name}”", "PRODUCT_NAME_EXISTS")),
    "产品编号或名称已存在", lambda p: f"{p.name}（{p.category}）",
    ("产品类别", "产品名称", "产品编号"), (28, 32, 16), ("category", "name", "code"))
CUSTOMS_PRODUCTS = Catalogue(
    CustomsProduct, CUSTOMS_CATALOGUE, "customs-products", ("海关产品不存在", "CUSTOMS_PRODUCT_NOT_FOUND"),
    check_customs_product, ((("code",), "编号{code}已在海关产品目录中", "CUSTOMS_CODE_EXISTS"),),
    "海关商品编号已存在", lambda c: f"{c.code} {c.name}",
    ("编号", "产品名称", "计量单位"), (16, 48, 12), ("code", "name", "unit"))


def _notify_everyone(uow: UnitOfWork, catalogue: Catalogue, action: str, entry: Entry) -> None:
    """A system notice to every enterprise registered here (approved), batched per request."""
    organizations = list(uow.session.scalars(select(Enterprise.organization_id)
                                             .where(Enterprise.status == APPROVED)
                                             .order_by(Enterprise.organization_id)))
    uow.publish(*events.system_notice_to_all(
        "rare_earth.dictionary.changed", organizations,
        {"dictionary": catalogue.title, "action": ACTIONS[action], "item": catalogue.label(entry)}))
    uow.publish(events.dictionary_changed(catalogue.event_name, action, entry.id))


def _refuse_clashes(session: Session, catalogue: Catalogue, entry: Entry) -> None:
    model = catalogue.model
    # Not flushed yet: the query must not see the entry's own unsaved values.
    with session.no_autoflush:
        for columns, message, reason in catalogue.unique:
            same = [getattr(model, column) == getattr(entry, column) for column in columns]
            if session.scalars(select(model.id).where(model.id != entry.id, *same).limit(1)).first():
                raise AlreadyExists(message.format(**{c: getattr(entry, c) for c in columns}), reason=reason)


def _list(context: RareEarthContext, query: Select[Any], page_size: int, page_token: str) -> Page[Any]:
    with context.unit_of_work(read_only=True) as uow:
        require_viewer(uow.session)
        return paginate(uow.session, query, page_size, page_token)


def _export(context: RareEarthContext, catalogue: Catalogue, query: Select[Any]) -> Download:
    with context.unit_of_work(read_only=True) as uow:
        require_viewer(uow.session)
        entries = list(uow.session.scalars(query.limit(EXPORT_LIMIT)))
    rows = ([getattr(entry, column) for column in catalogue.columns] for entry in entries)
    content = workbook_bytes(catalogue.title, catalogue.headers, rows, catalogue.widths)
    return Download(f"{catalogue.title}_{utcnow():%Y%m%d}.xlsx", content)


def _create(context: RareEarthContext, catalogue: Catalogue, values: dict[str, str]) -> Any:
    require_staff(OFFICE)
    catalogue.check(**values)
    with context.unit_of_work() as uow:
        entry = catalogue.model(**values)
        _refuse_clashes(uow.session, catalogue, entry)
        uow.session.add(entry)
        uow.session.flush()
        _notify_everyone(uow, catalogue, "created", entry)
        uow.commit(on_integrity_error=lambda _e: Conflict(catalogue.conflict, reason="CONCURRENT_CHANGE"))
        return entry


def _locked(session: Session, catalogue: Catalogue, entry_id: str) -> Any:
    entry = session.get(catalogue.model, entry_id, with_for_update=True)
    if entry is None:
        message, reason = catalogue.missing
        raise NotFound(message, reason=reason)
    return entry


def _update(context: RareEarthContext, catalogue: Catalogue, entry_id: str, changes: dict[str, str | None]) -> Any:
    require_staff(OFFICE)
    catalogue.check(**changes)
    with context.unit_of_work() as uow:
        entry = _locked(uow.session, catalogue, entry_id)
        for column, value in changes.items():
            if value is not None:
                setattr(entry, column, value)
        _refuse_clashes(uow.session, catalogue, entry)
        entry.updated_at = utcnow()
        _notify_everyone(uow, catalogue, "updated", entry)
        uow.commit(on_integrity_error=lambda _e: Conflict(catalogue.conflict, reason="CONCURRENT_CHANGE"))
        return entry


def _delete(context: RareEarthContext, catalogue: Catalogue, entry_id: str) -> None:
    require_staff(OFFICE)
    with context.unit_of_work() as uow:
        entry = _locked(uow.session, catalogue, entry_id)
        _notify_everyone(uow, catalogue, "deleted", entry)
        uow.session.delete(entry)
        uow.commit()


def _stripped(values: Sequence[str | None]) -> list[str | None]:
    return [value.strip() if value is not None else None for value in values]


# --- Rare-earth product list --------------------------------------------------------


def _product_query(category: str, name: str, code: str) -> Select[Any]:
    query = select(Product)
    if category:
        query = query.where(Product.category == category)
    if name:
        query = query.where(contains(Product.name, name))
    if code:
        query = query.where(Product.code.startswith(code))
    return query.order_by(Product.code, Product.id)


def list_products(context: RareEarthContext, category: str, name: str, code: str, page_size: int,
                  page_token: str) -> Page[Product]:
    return _list(context, _product_query(category, name, code), page_size, page_token)


def export_products(context: RareEarthContext, category: str, name: str, code: str) -> Download:
    return _export(context, PRODUCTS, _product_query(category, name, code))


def create_product(context: RareEarthContext, category: str, name: str, code: str) -> Product:
    category, name, code = _stripped((category, name, code))
    return _create(context, PRODUCTS, {"category": category, "name": name, "code": code})


def update_product(context: RareEarthContext, product_id: str, category: str | None, name: str | None,
                   code: str | None) -> Product:
    category, name, code = _stripped((category, name, code))
    return _update(context, PRODUCTS, product_id, {"category": category, "name": name, "code": code})


def delete_product(context: RareEarthContext, product_id: str) -> None:
    _delete(context, PRODUCTS, product_id)


# --- Customs product catalogue ------------------------------------------------------


def _customs_query(code: str, name: str) -> Select[Any]:
    query = select(CustomsProduct)
    if code:
        query = query.where(CustomsProduct.code.startswith(customs_code(code)))
    if name:
        query = query.where(contains(CustomsProduct.name, name))
    return query.order_by(CustomsProduct.code)


def list_customs_products(context: RareEarthContext, code: str, name: str, page_size: int,
                          page_token: str) -> Page[CustomsProduct]:
    return _list(context, _customs_query(code, name), page_size, page_token)


def export_customs_products(context: RareEarthContext, code: str, name: str) -> Download:
    return _export(context, CUSTOMS_PRODUCTS, _customs_query(code, name))


def create_customs_product(context: RareEarthContext, code: str, name: str, unit: str) -> CustomsProduct:
    name, unit = _stripped((name, unit))
    return _create(context, CUSTOMS_PRODUCTS, {"code": customs_code(code), "name": name, "unit": unit})


def update_customs_product(context: RareEarthContext, item_id: str, code: str | None, name: str | None,
                           unit: str | None) -> CustomsProduct:
    name, unit = _stripped((name, unit))
    return _update(context, CUSTOMS_PRODUCTS, item_id,
                   {"code": customs_code(code) if code is not None else None, "name": name, "unit": unit})


def delete_customs_product(context: RareEarthContext, item_id: str) -> None:
    _delete(context, CUSTOMS_PRODUCTS, item_id)
