"""待办事项 (manual, 系统通知): what waits for the caller's action, newest first, across every record kind.

An institution: its filing to complete, commissions to take or finish, issues to answer, checks and
rectifications to submit, reports to file. An enterprise: its commissions to submit or supplement.
Customs: filings and changes to review, and the submissions to the checks and rectifications its office
opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, literal, select, union_all
from sqlalchemy.orm import Session

from services.chassis.db import aware
from services.chassis.paging import Page, PageRequest, count
from services.inspection.config import InspectionContext
from services.inspection.domain import todos
from services.inspection.domain.oversight import RECTIFICATION
from services.inspection.handlers.access import Viewer, require_viewer
from services.inspection.models import AnnualReport, Commission, Disposal, Filing, FilingChange, QualityIssue
from services.inspection.models import SupervisionCheck as Check


@dataclass(frozen=True)
class Todo:
    kind: str
    record_id: str
    number: str
    title: str
    status: str
    action: str
    since: datetime


def _rows(kind: str, model: Any, number: Any, title: Any, since: Any, actions: dict, *where: Any) -> Any:
    statuses = [status for (k, status) in actions if k == kind]
    return (select(literal(kind).label("kind"), model.id.label("record_id"), number.label("number"),
                   title.label("title"), model.status.label("status"), since.label("since"))
            .where(model.status.in_(statuses), *where))


def _institution(org: str) -> list[Any]:
    acts = todos.INSTITUTION_ACTIONS

    def mine(model: Any) -> Any:
        return model.organization_id == org

    return [
        _rows(todos.FILING, Filing, Filing.application_number, Filing.name, Filing.updated_at, acts, mine(Filing)),
        _rows(todos.COMMISSION, Commission, Commission.number, Commission.enterprise_name, Commission.updated_at,
              acts, Commission.institution_organization_id == org),
        _rows(todos.QUALITY_ISSUE, QualityIssue, QualityIssue.number, QualityIssue.title, QualityIssue.created_at,
              acts, mine(QualityIssue)),
        _rows(todos.CHECK, Check, Check.number, Check.title, Check.updated_at, acts, mine(Check)),
        _rows(todos.DISPOSAL, Disposal, Disposal.number, Disposal.reason, Disposal.created_at, acts, mine(Disposal),
              Disposal.kind == RECTIFICATION),
        _rows(todos.ANNUAL_REPORT, AnnualReport, AnnualReport.number, AnnualReport.institution_name,
              AnnualReport.created_at, acts, mine(AnnualReport)),
    ]


def _enterprise(org: str) -> list[Any]:
    return [_rows(todos.COMMISSION, Commission, Commission.number, Commission.consignee, Commission.updated_at,
                  todos.ENTERPRISE_ACTIONS, Commission.enterprise_organization_id == org)]


def _customs(agency: str) -> list[Any]:
    acts = todos.CUSTOMS_ACTIONS
    return [
        _rows(todos.FILING, Filing, Filing.application_number, Filing.name, Filing.updated_at, acts),
        _rows(todos.FILING_CHANGE, FilingChange, Filing.certificate_number, Filing.name, FilingChange.created_at, acts)
        .join(Filing, Filing.id == FilingChange.filing_id),
        _rows(todos.CHECK, Check, Check.number, Check.title, Check.updated_at, acts, Check.agency == agency),
        _rows(todos.DISPOSAL, Disposal, Disposal.number, Disposal.institution_name, Disposal.materials_submitted_at,
              acts, and_(Disposal.agency == agency, Disposal.kind == RECTIFICATION)),
    ]


def _todos(session: Session, viewer: Viewer, page_size: int, page_token: str) -> Page[Todo]:
    parts = _customs(viewer.agency) if viewer.customs else [*_institution(viewer.organization_id),
                                                           *_enterprise(viewer.organization_id)]
    every = union_all(*parts).subquery()
    query = select(every).order_by(every.c.since.desc(), every.c.record_id)
    request = PageRequest.parse(page_size, page_token)
    total = count(session, query)
    rows = session.execute(query.limit(request.size).offset(request.offset)).all()
    items = [Todo(row.kind, row.record_id, row.number, row.title, row.status, todos.ACTIONS[(row.kind, row.status)],
                  aware(row.since)) for row in rows]
    return Page(items, request.next_token(total) if items else "", total)


def list_todos(context: InspectionContext, page_size: int, page_token: str) -> Page[Todo]:
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        return _todos(uow.session, viewer, page_size, page_token)
