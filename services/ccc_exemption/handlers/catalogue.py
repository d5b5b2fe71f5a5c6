"""The HS catalogue (manual §2.1.2): search by code prefix or name, and the product form a code opens."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.rules import HS_CODE, clean
from services.ccc_exemption.handlers.access import Viewer, load_application, require_viewer
from services.ccc_exemption.models import HsCode
from services.chassis.db import contains
from services.chassis.errors import InvalidArgument, NotFound, Violations
from services.chassis.paging import Page, paginate


@dataclass(frozen=True)
class ProductForm:
    code: HsCode
    # The application's final-use location, which the form defaults to ("" without an application).
    final_use_code: str


@dataclass(frozen=True)
class SearchResult:
    page: Page[HsCode]
    form: ProductForm | None


def characteristics_of(code: HsCode) -> list[str]:
    return json.loads(code.characteristics)


def units_of(code: HsCode) -> list[str]:
    return json.loads(code.quantity_units)


def prefix_range(prefix: str) -> tuple[str, str | None]:
    """``code LIKE '85%'`` as a range an index answers on every database: ``'85' <= code < '86'``.

    The upper bound is a string of digits too (``'859'`` -> ``'86'``, ``'99'`` -> none), never a
    character past ``9`` such as ``:``, which a database collating by locale orders elsewhere.
    """
    digits = prefix.rstrip("9")
    if not digits:
        return prefix, None
    return prefix, digits[:-1] + str(int(digits[-1]) + 1)


def search_query(code: str, name: str) -> Select:
    query = select(HsCode)
    if code:
        low, high = prefix_range(code)
        query = query.where(HsCode.code >= low)
        if high is not None:
            query = query.where(HsCode.code < high)
    if name:
        query = query.where(contains(HsCode.name, name))
    return query.order_by(HsCode.code)


def _check(code: str, name: str) -> tuple[str, str]:
    code, name = clean(code), clean(name)
    violations = Violations()
    if code and not HS_CODE.fullmatch(code):
        violations.add("code", "HS 编码只能是 1 到 10 位数字")
    if len(name) > 50:
        violations.add("name", "名称最多 50 个字")
    if not code and not name:
        violations.add("code", "请输入 HS 编码或产品名称")
    violations.raise_if_any("查询条件有误")
    return code, name


def _default_location(session: Session, viewer: Viewer, application_id: str) -> str:
    return load_application(session, viewer, application_id).final_use_code if application_id else ""


def search(context: CccContext, code: str, name: str, application_id: str, page_size: int,
           page_token: str) -> SearchResult:
    """A page of matches; the form too when the code or name matched exactly or only one code was found."""
    viewer = require_viewer()
    code, name = _check(code, name)
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        location = _default_location(session, viewer, application_id)
        page = paginate(session, search_query(code, name), page_size, page_token)
        exact = None
        if code and len(code) == 10:
            exact = session.get(HsCode, code)
        if exact is None and name:
            exact = session.scalars(select(HsCode).where(HsCode.name == name).limit(1)).first()
        if exact is None and page.total_size == 1 and page.items:
            exact = page.items[0]
        return SearchResult(page, ProductForm(exact, location) if exact is not None else None)


def find_code(session: Session, code: str, field: str = "hsCode") -> HsCode:
    found = session.get(HsCode, code) if code and HS_CODE.fullmatch(code) else None
    if found is None:
        raise InvalidArgument.for_field(field, "HS 编码不在免办产品目录中，请从目录中选择")
    return found


def product_form(context: CccContext, code: str, application_id: str) -> ProductForm:
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        found = uow.session.get(HsCode, clean(code))
        if found is None:
            raise NotFound("HS 编码不在免办产品目录中", reason="HS_CODE_NOT_FOUND", metadata={"field": "code"})
        return ProductForm(found, _default_location(uow.session, viewer, application_id))
