"""年度工作报告 (manual §1.8): customs opens a year for an institution; the institution fills the report
(saved as often as it likes) and submits it; customs reads it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.db import utcnow
from services.chassis.errors import AlreadyExists, InvalidArgument, Violations
from services.chassis.paging import Page
from services.inspection import events
from services.inspection.config import InspectionContext
from services.inspection.domain import numbers
from services.inspection.domain.fields import (
    check_count,
    check_fields,
    check_year,
    json_name,
    parse_date,
    parse_decimal,
    today,
)
from services.inspection.domain.oversight import REPORT_FIELDS, REPORT_REQUIREMENTS
from services.inspection.domain.states import ANNUAL_REPORT, OPEN, SUBMITTED
from services.inspection.handlers.access import Viewer, require_customs, require_member
from services.inspection.handlers.oversight import OversightQuery, filed, listed, opened, shown, visible
from services.inspection.models import AnnualReport, ReferenceItem

WHAT, NOT_FOUND = "年度报告", "ANNUAL_REPORT_NOT_FOUND"
FIRST_YEAR = 2000


@dataclass(frozen=True)
class ReportFigures:
    """The report's figures as given; None where a partial update leaves one as it is."""

    inspection_count: int | None = None
    certificate_count: int | None = None
    goods_value: str | None = None
    currency: str | None = None


def _find(session: Session, viewer: Viewer, report_id: str, lock: bool = False) -> AnnualReport:
    return visible(session, viewer, AnnualReport, report_id, WHAT, NOT_FOUND, lock=lock)


def open_report(context: InspectionContext, filing_id: str, year: int, due_on: str,
                requirements: str) -> AnnualReport:
    """Customs asks the institution for its report of ``year``, by ``due_on``."""
    viewer = require_customs()
    violations = Violations()
    check_year(year, "year", "报告年份", violations, earliest=FIRST_YEAR)
    due = parse_date(due_on, "dueOn", "截止日期", violations, required=False)
    if due is not None and due < today():
        violations.add("dueOn", "截止日期不能早于今天")
    if problem := REPORT_REQUIREMENTS.problem(requirements):
        violations.add("requirements", problem)
    violations.raise_if_any("年度报告信息有误")
    with context.unit_of_work() as uow:
        session = uow.session
        filing = filed(session, filing_id)
        if session.scalar(select(AnnualReport.id).where(AnnualReport.filing_id == filing.id,
                                                        AnnualReport.year == year)) is not None:
            raise _exists(year)
        report = opened(AnnualReport, numbers.ANNUAL_REPORT, filing, viewer, year=year, status=OPEN,
                        requirements=requirements.strip(), due_on=due, updated_at=utcnow())
        session.add(report)
        uow.publish(events.notice_to_organization("inspection.annual_report.opened", filing.organization_id, {
            "institutionName": filing.name, "reportNumber": report.number, "year": str(year),
            "dueOn": due.isoformat() if due else "无"}))
        uow.commit(on_integrity_error=lambda _e: _exists(year))
        return report


def _exists(year: int) -> AlreadyExists:
    return AlreadyExists(f"该机构{year}年度报告已发起", reason="ANNUAL_REPORT_EXISTS", metadata={"field": "year"})


def update_report(context: InspectionContext, report_id: str, figures: ReportFigures,
                  texts: Mapping[str, str]) -> AnnualReport:
    """Fill the report while it is open: the fields given replace theirs."""
    viewer = require_member()
    violations = check_fields(REPORT_FIELDS, texts, only_given=True)
    for name, label in (("inspection_count", "检验批次"), ("certificate_count", "出具证书数量")):
        value = getattr(figures, name)
        if value is not None:
            check_count(value, json_name(name), label, violations)
    value = None
    if figures.goods_value is not None:
        value = parse_decimal(figures.goods_value, "goodsValue", "检验货值", violations, places=2, positive=False)
    with context.unit_of_work() as uow:
        session = uow.session
        report = _find(session, viewer, report_id, lock=True)
        ANNUAL_REPORT.check(report.status, SUBMITTED, "年度报告已提交，不能再修改")
        currency = (figures.currency or "").strip().upper()
        if figures.currency is not None and session.scalar(select(ReferenceItem.id).where(
                ReferenceItem.list_code == "CURRENCY", ReferenceItem.code == currency)) is None:
            violations.add("currency", "请从列表中选择币制")
        violations.raise_if_any("年度报告信息有误")
        for name, text in texts.items():
            setattr(report, name, text.strip())
        for name in ("inspection_count", "certificate_count"):
            if getattr(figures, name) is not None:
                setattr(report, name, getattr(figures, name))
        if value is not None:
            report.goods_value = value
        if figures.currency is not None:
            report.currency = currency
        report.updated_at = utcnow()
        uow.commit()
        return report


def submit_report(context: InspectionContext, report_id: str) -> AnnualReport:
    """提交: the work summary must be written; customs hears of it."""
    viewer = require_member()
    with context.unit_of_work() as uow:
        report = _find(uow.session, viewer, report_id, lock=True)
        ANNUAL_REPORT.check(report.status, SUBMITTED, "年度报告已提交")
        if problem := REPORT_FIELDS["summary"].problem(report.summary):
            raise InvalidArgument.for_field("summary", problem)
        ANNUAL_REPORT.move(report, SUBMITTED)
        report.submitted_at = report.updated_at = utcnow()
        uow.publish(events.notice_to_agencies("inspection.annual_report.submitted", [report.agency], {
            "institutionName": report.institution_name, "reportNumber": report.number, "year": str(report.year)}))
        uow.commit()
        return report


def get_report(context: InspectionContext, report_id: str) -> AnnualReport:
    return shown(context, _find, report_id)


def list_reports(context: InspectionContext, query: OversightQuery, year: int, page_size: int,
                 page_token: str) -> Page[AnnualReport]:
    narrow = select(AnnualReport).where(AnnualReport.year == year) if year else None
    return listed(context, AnnualReport, (AnnualReport.summary, AnnualReport.number), query, page_size, page_token,
                  narrow=narrow)
