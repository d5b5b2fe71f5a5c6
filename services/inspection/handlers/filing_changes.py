"""备案变更 (manual §1.3): an accepted filing files a change of its editable fields; customs approves it
(the filing takes the new values) or rejects it (the filing keeps the old). One change waits at a time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from services.chassis.db import new_id, utcnow
from services.chassis.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from services.chassis.paging import Page, paginate
from services.inspection import events
from services.inspection.config import InspectionContext
from services.inspection.domain.filings import CHANGEABLE, check_filing, normalized
from services.inspection.domain.oversight import opinion_of
from services.inspection.domain.states import ACCEPTED, APPROVED, FILING, FILING_CHANGE, PENDING, REJECTED
from services.inspection.handlers.access import Viewer, missing, require_customs, require_member, require_viewer
from services.inspection.handlers.filings import countries, visible_filing
from services.inspection.models import Filing, FilingChange


@dataclass(frozen=True)
class ChangeView:
    change: FilingChange
    filing: Filing

    @property
    def new_values(self) -> dict[str, str]:
        return json.loads(self.change.new_values)

    @property
    def old_values(self) -> dict[str, str]:
        return json.loads(self.change.old_values)


def _visible(session, viewer: Viewer, change_id: str, *, lock: bool = False) -> ChangeView:
    change = session.get(FilingChange, change_id, with_for_update=lock) if change_id else None
    if change is None or not (viewer.customs or change.organization_id == viewer.organization_id):
        raise missing("备案变更", "FILING_CHANGE_NOT_FOUND")
    return ChangeView(change, session.get(Filing, change.filing_id, with_for_update=lock))


def create_change(context: InspectionContext, filing_id: str, values: Mapping[str, str]) -> ChangeView:
    """变更修改: the fields given that differ from the filing's are the change."""
    viewer = require_member()
    given = normalized(dict(values))
    with context.unit_of_work() as uow:
        session = uow.session
        filing = visible_filing(session, viewer, filing_id, lock=True)
        if filing.status != ACCEPTED:
            raise FailedPrecondition(f"当前状态（{FILING.label(filing.status)}）的备案不能变更，仅已受理的备案可以变更",
                                     reason="FILING_STATE_INVALID", metadata={"status": filing.status})
        current = {name: getattr(filing, name) for name in CHANGEABLE}
        check_filing({**{n: getattr(filing, n) for n in ("name", "country")}, **current, **given},
                     countries(session)).raise_if_any("备案变更信息有误")
        changed = {name: value for name, value in given.items() if value != current[name]}
        if not changed:
            raise InvalidArgument("未修改任何可变更的备案信息", [])
        pending = session.scalar(select(FilingChange.id).where(FilingChange.pending_filing_id == filing.id))
        if pending is not None:
            raise _pending_exists(pending)
        change = FilingChange(id=new_id(), filing_id=filing.id, organization_id=filing.organization_id,
                              status=PENDING, pending_filing_id=filing.id,
                              new_values=json.dumps(changed, ensure_ascii=False),
                              old_values=json.dumps({name: current[name] for name in changed}, ensure_ascii=False),
                              created_by=viewer.account_id, created_at=utcnow())
        session.add(change)
        uow.publish(events.notice_to_agencies("inspection.filing_change.submitted", [context.config.review_agency], {
            "institutionName": filing.name, "certificateNumber": filing.certificate_number or ""}))
        uow.commit(on_integrity_error=lambda _e: _pending_exists(""))
        return ChangeView(change, filing)


def _pending_exists(change_id: str) -> AlreadyExists:
    return AlreadyExists("该备案已有待审核的变更，请等待海关审核后再提交", reason="FILING_CHANGE_PENDING",
                         metadata={"filingChangeId": change_id})


def list_changes(context: InspectionContext, filing_id: str, status: str, page_size: int,
                 page_token: str) -> Page[ChangeView]:
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        query = select(FilingChange, Filing).join(Filing, Filing.id == FilingChange.filing_id)
        if not viewer.customs:
            query = query.where(FilingChange.organization_id == viewer.organization_id)
        if filing_id:
            query = query.where(FilingChange.filing_id == filing_id)
        if status:
            query = query.where(FilingChange.status == status)
        query = query.order_by(FilingChange.created_at.desc(), FilingChange.id)
        page = paginate(uow.session, query.with_only_columns(FilingChange.id), page_size, page_token)
        found = {c.id: ChangeView(c, f) for c, f in uow.session.execute(query.where(FilingChange.id.in_(page.items)))}
        return Page([found[i] for i in page.items], page.next_page_token, page.total_size)


def get_change(context: InspectionContext, change_id: str) -> ChangeView:
    with context.unit_of_work(read_only=True) as uow:
        return _visible(uow.session, require_viewer(), change_id)


def approve_change(context: InspectionContext, change_id: str, opinion: str) -> ChangeView:
    """审核通过: the filing takes the new values."""
    return _decide(context, change_id, APPROVED, opinion)


def reject_change(context: InspectionContext, change_id: str, reason: str) -> ChangeView:
    """审核不通过: the filing keeps its values."""
    return _decide(context, change_id, REJECTED, reason)


def _decide(context: InspectionContext, change_id: str, target: str, opinion: str) -> ChangeView:
    viewer = require_customs()
    opinion = opinion_of(opinion, required=target == REJECTED)
    with context.unit_of_work() as uow:
        view = _visible(uow.session, viewer, change_id, lock=True)
        change, filing = view.change, view.filing
        FILING_CHANGE.move(change, target)
        if target == APPROVED:
            if filing.status != ACCEPTED:
                raise FailedPrecondition("该备案已被撤销，变更不能生效", reason="FILING_STATE_INVALID",
                                         metadata={"status": filing.status})
            for name, value in view.new_values.items():
                setattr(filing, name, value)
            filing.updated_at = utcnow()
        change.pending_filing_id = None
        change.review_opinion, change.reviewed_by, change.reviewed_at = opinion, viewer.account_id, utcnow()
        params = {"institutionName": filing.name, "certificateNumber": filing.certificate_number or ""}
        if target == APPROVED:
            uow.publish(events.notice_to_organization("inspection.filing_change.approved", filing.organization_id,
                                                      params))
        else:
            uow.publish(events.notice_to_organization("inspection.filing_change.rejected", filing.organization_id,
                                                      {**params, "reason": opinion}))
        uow.commit()
        return view
