"""待办事项: what waits for the caller, per post a member of staff holds, or for an enterprise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.reference import (
    CERT_CHANGE,
    CIQ,
    CUSTOMS,
    DRAFT_DAYS,
    FOLLOW_UP,
    POSTS,
    REVIEW_POSTS,
    WRITE_OFF,
)
from services.ccc_exemption.domain.states import (
    ACCEPTING,
    DRAFT,
    MODIFIABLE,
    PAPER_COMPARISON,
    RETURNED,
    SAVED,
    SUBMITTED,
)
from services.ccc_exemption.handlers.access import Staff, require_viewer
from services.ccc_exemption.models import Application, Certificate, Modification, Port, PreWriteOff, UseRecord
from services.chassis.db import utcnow

# A draft this close to its deletion is worth a reminder.
EXPIRY_WARNING = timedelta(days=3)


@dataclass(frozen=True)
class Todo:
    post: str
    kind: str
    label: str
    count: int
    path: str


def _count(session: Session, query: Select) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _staff_todos(session: Session, staff: Staff) -> list[Todo]:
    todos: list[Todo] = []
    if staff.kind == CIQ:
        for post in REVIEW_POSTS:
            if not staff.holds(post):
                continue
            waiting = select(Application.id).where(Application.bureau_code == staff.code, Application.post == post)
            todos.append(Todo(post, "APPLICATION", f"{POSTS[post]}待处理的申请",
                              _count(session, waiting.where(Application.status == ACCEPTING)),
                              f"/v1/ccc/applications?post={post}&status={ACCEPTING}"))
            todos.append(Todo(post, "PAPER_COMPARISON", f"{POSTS[post]}待对比纸质材料的申请",
                              _count(session, waiting.where(Application.status == PAPER_COMPARISON)),
                              f"/v1/ccc/applications?post={post}&status={PAPER_COMPARISON}"))
        if staff.holds(CERT_CHANGE):
            submitted = select(Modification.certificate_id).join(
                Certificate, Certificate.id == Modification.certificate_id).where(
                Certificate.bureau_code == staff.code, Modification.status == SUBMITTED)
            todos.append(Todo(CERT_CHANGE, "MODIFICATION", "待确认的证明修改", _count(session, submitted),
                              "/v1/ccc/certificates"))
        if staff.holds(FOLLOW_UP):
            records = select(UseRecord.id).where(UseRecord.bureau_code == staff.code, UseRecord.status == SUBMITTED)
            todos.append(Todo(FOLLOW_UP, "USE_RECORD", "待审核的产品使用记录", _count(session, records),
                              f"/v1/ccc/use-records?status={SUBMITTED}"))
    if staff.kind in (CIQ, CUSTOMS) and staff.holds(WRITE_OFF):
        pending = select(PreWriteOff.id).join(Port, Port.code == PreWriteOff.port_code).where(
            PreWriteOff.status == SUBMITTED)
        pending = pending.where(PreWriteOff.bureau_code == staff.code) if staff.kind == CIQ else \
            pending.where(or_(Port.code == staff.code, Port.district_code == staff.code))
        todos.append(Todo(WRITE_OFF, "PRE_WRITE_OFF", "待确认的预核销申请", _count(session, pending),
                          "/v1/ccc/pre-write-offs"))
    return todos


def _enterprise_todos(session: Session, organization_id: str) -> list[Todo]:
    own = select(Application.id).where(Application.organization_id == organization_id,
                                       Application.entered_by_bureau.is_(None))
    expiring = utcnow() - timedelta(days=DRAFT_DAYS) + EXPIRY_WARNING
    modifications = select(Modification.certificate_id).join(
        Certificate, Certificate.id == Modification.certificate_id).where(
        Certificate.organization_id == organization_id, Modification.status.in_(MODIFIABLE))
    saved = select(UseRecord.id).join(Certificate, Certificate.id == UseRecord.certificate_id).where(
        Certificate.organization_id == organization_id, UseRecord.status == SAVED)
    return [
        Todo("", "RETURNED", "返回修改的申请", _count(session, own.where(Application.status == RETURNED)),
             f"/v1/ccc/applications?status={RETURNED}"),
        Todo("", "DRAFT_EXPIRING", "即将被自动删除的未提交申请",
             _count(session, own.where(Application.status == DRAFT, Application.created_at < expiring)),
             f"/v1/ccc/applications?status={DRAFT}"),
        Todo("", "MODIFICATION", "待修改的免办证明", _count(session, modifications), "/v1/ccc/certificates"),
        Todo("", "USE_RECORD", "未提交的产品使用记录", _count(session, saved), "/v1/ccc/certificates"),
    ]


def list_todos(context: CccContext) -> list[Todo]:
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        if viewer.staff is not None:
            return _staff_todos(uow.session, viewer.staff)
        return _enterprise_todos(uow.session, viewer.caller.organization_id or "")
