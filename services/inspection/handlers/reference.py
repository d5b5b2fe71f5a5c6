"""Reference data (manual §1.2): the public queries of business rules, regulations and the dropdown lists,
and customs' upkeep of the rules and the regulations.

The three list queries and a regulation's detail take no login: they are the system's public queries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.db import contains, utcnow
from services.chassis.errors import InvalidArgument, Violations
from services.chassis.paging import Page, paginate
from services.inspection.config import InspectionContext
from services.inspection.domain.fields import HS_PREFIX, check_fields, parse_date, stripped
from services.inspection.domain.reference import LISTS, REGULATION_FIELDS, REGULATION_KINDS, RULE_FIELDS
from services.inspection.handlers.access import missing, require_customs
from services.inspection.models import BusinessRule, ReferenceItem, Regulation

_NAMES: dict[type, tuple[str, str]] = {BusinessRule: ("业务规则", "RULE_NOT_FOUND"),
                                       Regulation: ("法规及政策文件", "REGULATION_NOT_FOUND")}

# --- public queries --------------------------------------------------------------------------------


def list_rules(context: InspectionContext, hs_code: str, name: str, page_size: int,
               page_token: str) -> Page[BusinessRule]:
    """旧机电业务规则查询 by HS code (a rule under a heading covers every code that starts with it) or name."""
    hs_code, name = hs_code.strip(), name.strip()
    if hs_code and not HS_PREFIX.fullmatch(hs_code):
        raise InvalidArgument.for_field("hsCode", "HS编码须为2至10位数字")
    with context.unit_of_work(read_only=True) as uow:
        query = select(BusinessRule)
        if hs_code:
            # The rules of the code's headings (8462 for 8462291000) and of the codes under it.
            headings = [hs_code[:n] for n in range(2, len(hs_code) + 1)]
            query = query.where(BusinessRule.hs_code.in_(headings) | BusinessRule.hs_code.startswith(hs_code))
        if name:
            query = query.where(contains(BusinessRule.product_name, name))
        return paginate(uow.session, query.order_by(BusinessRule.hs_code, BusinessRule.id), page_size, page_token)


def list_regulations(context: InspectionContext, title: str, kind: str, published_from: str, published_to: str,
                     page_size: int, page_token: str) -> Page[Regulation]:
    """法规及政策文件查询 by title and publish date (both days included), newest first."""
    violations = Violations()
    start = parse_date(published_from, "publishedFrom", "发布时间（起）", violations, required=False)
    end = parse_date(published_to, "publishedTo", "发布时间（止）", violations, required=False)
    if start and end and start > end:
        violations.add("publishedTo", "发布时间（止）不能早于发布时间（起）")
    violations.raise_if_any("查询条件有误")
    with context.unit_of_work(read_only=True) as uow:
        query = select(Regulation)
        if title.strip():
            query = query.where(contains(Regulation.title, title.strip()))
        if kind:
            query = query.where(Regulation.kind == kind)
        if start:
            query = query.where(Regulation.published_on >= start)
        if end:
            query = query.where(Regulation.published_on <= end)
        query = query.order_by(Regulation.published_on.desc(), Regulation.id)
        return paginate(uow.session, query, page_size, page_token)


def get_regulation(context: InspectionContext, regulation_id: str) -> Regulation:
    with context.unit_of_work(read_only=True) as uow:
        regulation = uow.session.get(Regulation, regulation_id)
        if regulation is None:
            raise missing(*_NAMES[Regulation])
        return regulation


def list_items(context: InspectionContext, list_code: str, name: str, page_size: int,
               page_token: str) -> Page[ReferenceItem]:
    """A dropdown's entries, in their order."""
    if list_code not in LISTS:
        raise InvalidArgument.for_field("list", "请选择参数列表：" + "、".join(f"{k}（{v}）" for k, v in LISTS.items()))
    with context.unit_of_work(read_only=True) as uow:
        query = select(ReferenceItem).where(ReferenceItem.list_code == list_code)
        if name.strip():
            query = query.where(contains(ReferenceItem.name, name.strip()) | (ReferenceItem.code == name.strip()))
        query = query.order_by(ReferenceItem.sort_order, ReferenceItem.code)
        return paginate(uow.session, query, page_size, page_token, maximum=500)


# --- customs' upkeep ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegulationInput:
    fields: Mapping[str, str]
    kind: str
    published_on: str


def _checked_rule(values: Mapping[str, str]) -> dict[str, str]:
    check_fields(RULE_FIELDS, values).raise_if_any("业务规则有误")
    return stripped({name: values.get(name, "") for name in RULE_FIELDS})


def create_rule(context: InspectionContext, values: Mapping[str, str]) -> BusinessRule:
    require_customs()
    clean = _checked_rule(values)
    with context.unit_of_work() as uow:
        rule = BusinessRule(**clean, created_at=utcnow(), updated_at=utcnow())
        uow.session.add(rule)
        uow.commit()
        return rule


def update_rule(context: InspectionContext, rule_id: str, values: Mapping[str, str]) -> BusinessRule:
    """A partial update: the fields given replace theirs."""
    require_customs()
    check_fields(RULE_FIELDS, values, only_given=True).raise_if_any("业务规则有误")
    with context.unit_of_work() as uow:
        rule = _locked(uow.session, BusinessRule, rule_id)
        for name, value in stripped(values).items():
            setattr(rule, name, value)
        rule.updated_at = utcnow()
        uow.commit()
        return rule


def delete_rule(context: InspectionContext, rule_id: str) -> None:
    _delete(context, BusinessRule, rule_id)


def _checked_regulation(data: RegulationInput, *, partial: bool) -> tuple[dict[str, str], date | None]:
    violations = check_fields(REGULATION_FIELDS, data.fields, only_given=partial)
    if data.kind not in REGULATION_KINDS and not (partial and not data.kind):
        violations.add("kind", "请选择文件类别：" + "、".join(f"{k}（{v}）" for k, v in REGULATION_KINDS.items()))
    published = None
    if data.published_on or not partial:
        published = parse_date(data.published_on, "publishedOn", "发布日期", violations)
    violations.raise_if_any("法规及政策文件有误")
    return stripped(dict(data.fields)), published


def create_regulation(context: InspectionContext, data: RegulationInput) -> Regulation:
    require_customs()
    values, published = _checked_regulation(data, partial=False)
    with context.unit_of_work() as uow:
        regulation = Regulation(**{name: values.get(name, "") for name in REGULATION_FIELDS}, kind=data.kind,
                                published_on=published, created_at=utcnow(), updated_at=utcnow())
        uow.session.add(regulation)
        uow.commit()
        return regulation


def update_regulation(context: InspectionContext, regulation_id: str, data: RegulationInput) -> Regulation:
    require_customs()
    values, published = _checked_regulation(data, partial=True)
    with context.unit_of_work() as uow:
        regulation = _locked(uow.session, Regulation, regulation_id)
        for name, value in values.items():
            setattr(regulation, name, value)
        if data.kind:
            regulation.kind = data.kind
        if published is not None:
            regulation.published_on = published
        regulation.updated_at = utcnow()
        uow.commit()
        return regulation


def delete_regulation(context: InspectionContext, regulation_id: str) -> None:
    _delete(context, Regulation, regulation_id)


def _locked(session: Session, model: type[Any], record_id: str) -> Any:
    record = session.get(model, record_id, with_for_update=True)
    if record is None:
        what, reason = _NAMES[model]
        raise missing(what, reason)
    return record


def _delete(context: InspectionContext, model: type[Any], record_id: str) -> None:
    require_customs()
    with context.unit_of_work() as uow:
        uow.session.delete(_locked(uow.session, model, record_id))
        uow.commit()
