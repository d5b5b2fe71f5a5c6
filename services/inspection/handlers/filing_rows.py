"""The four sub-tables of a filing, filled once it is saved (暂存) and while it may be edited: departments,
testing equipment, quality certifications, and the inspections of the last three years. Rows are added
one at a time and removed by ticking them (勾选删除).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from services.chassis.db import new_id, utcnow
from services.chassis.errors import InvalidArgument, Violations
from services.inspection.config import InspectionContext
from services.inspection.domain import fields as f
from services.inspection.domain.filings import (
    CERTIFICATION_FIELDS,
    DEPARTMENT_FIELDS,
    EQUIPMENT_FIELDS,
    INSPECTION_FIELDS,
    RECENT_YEARS,
)
from services.inspection.handlers.access import missing, require_member
from services.inspection.handlers.filings import editable_filing
from services.inspection.models import Certification, Department, Equipment, PastInspection, ReferenceItem

# Each sub-table by its route name: the model and what a missing row is called.
TABLES: dict[str, tuple[Any, str]] = {
    "departments": (Department, "主要部门"), "equipment": (Equipment, "检测设备"),
    "certifications": (Certification, "认证情况"), "inspections": (PastInspection, "检验情况"),
}


@dataclass(frozen=True)
class DepartmentInput:
    name: str
    head: str
    staff_count: int
    responsibilities: str


@dataclass(frozen=True)
class EquipmentInput:
    name: str
    model: str
    quantity: int
    purpose: str
    calibrated_until: str


@dataclass(frozen=True)
class CertificationInput:
    name: str
    certificate_number: str
    issuer: str
    valid_until: str


@dataclass(frozen=True)
class InspectionInput:
    year: int
    goods_category: str
    batch_count: int
    goods_value: str
    currency: str
    destination: str


def _text(data: Any, specs: dict[str, f.Field], violations: Violations) -> dict[str, str]:
    values = {name: getattr(data, name) for name in specs}
    f.check_fields(specs, values, violations)
    return f.stripped(values)


def _add(context: InspectionContext, filing_id: str, violations: Violations,
         build: Callable[[Any], Any]) -> Any:
    """Refuse every bad field at once; else add the row ``build(session)`` makes to the caller's editable filing."""
    viewer = require_member()
    violations.raise_if_any("填写内容有误")
    with context.unit_of_work() as uow:
        filing = editable_filing(uow.session, viewer, filing_id)
        row = build(uow.session)
        row.id, row.filing_id, row.created_at = new_id(), filing.id, utcnow()
        filing.updated_at = utcnow()
        uow.session.add(row)
        uow.commit()
        return row


def add_department(context: InspectionContext, filing_id: str, data: DepartmentInput) -> Department:
    violations = Violations()
    text = _text(data, DEPARTMENT_FIELDS, violations)
    f.check_count(data.staff_count, "staffCount", "人数", violations, minimum=1)
    return _add(context, filing_id, violations, lambda _s: Department(**text, staff_count=data.staff_count))


def add_equipment(context: InspectionContext, filing_id: str, data: EquipmentInput) -> Equipment:
    violations = Violations()
    text = _text(data, EQUIPMENT_FIELDS, violations)
    f.check_count(data.quantity, "quantity", "数量", violations, minimum=1)
    calibrated = f.parse_date(data.calibrated_until, "calibratedUntil", "检定/校准有效期", violations, required=False)
    return _add(context, filing_id, violations,
                lambda _s: Equipment(**text, quantity=data.quantity, calibrated_until=calibrated))


def add_certification(context: InspectionContext, filing_id: str, data: CertificationInput) -> Certification:
    violations = Violations()
    text = _text(data, CERTIFICATION_FIELDS, violations)
    valid_until = f.parse_date(data.valid_until, "validUntil", "证书有效期", violations)
    return _add(context, filing_id, violations, lambda _s: Certification(**text, valid_until=valid_until))


def add_inspection(context: InspectionContext, filing_id: str, data: InspectionInput) -> PastInspection:
    violations = Violations()
    text = _text(data, INSPECTION_FIELDS, violations)
    this_year = f.today().year
    f.check_year(data.year, "year", "年份", violations, earliest=this_year - RECENT_YEARS, latest=this_year)
    f.check_count(data.batch_count, "batchCount", "检验批次", violations)
    value = f.parse_decimal(data.goods_value, "goodsValue", "货值", violations, places=2, positive=False)
    currency = data.currency.strip().upper()

    def build(session: Any) -> PastInspection:
        known = session.scalar(select(ReferenceItem.id).where(ReferenceItem.list_code == "CURRENCY",
                                                              ReferenceItem.code == currency))
        if known is None:
            raise InvalidArgument.for_field("currency", "请从列表中选择币制")
        return PastInspection(**text, year=data.year, batch_count=data.batch_count, goods_value=value,
                              currency=currency)

    return _add(context, filing_id, violations, build)


def delete_rows(context: InspectionContext, filing_id: str, table: str, row_ids: list[str]) -> int:
    """Remove the ticked rows of one sub-table; a row of another filing is as missing. Answers how many."""
    viewer = require_member()
    model, label = TABLES[table]
    with context.unit_of_work() as uow:
        filing = editable_filing(uow.session, viewer, filing_id)
        wanted = set(row_ids)
        found = set(uow.session.scalars(select(model.id).where(model.filing_id == filing.id, model.id.in_(wanted))))
        if not wanted or found != wanted:
            raise missing(label, "ROW_NOT_FOUND", "rowId")
        uow.session.execute(delete(model).where(model.id.in_(found)))
        filing.updated_at = utcnow()
        uow.commit()
        return len(found)
