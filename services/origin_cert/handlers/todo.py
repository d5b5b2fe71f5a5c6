"""The caller's to-do list (待办事项): what waits for this visa officer, pre-review officer or enterprise.

Each kind is one query; the list is every item, oldest first, paged; ``counts`` says how many of each there are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, not_, or_, select, true
from sqlalchemy.orm import Session

from services.chassis.db import aware
from services.chassis.errors import InvalidArgument
from services.chassis.paging import Page, PageRequest
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain import states
from services.origin_cert.domain.actors import HEAD_OFFICE, PRE_REVIEWER, VISA_OFFICER, Exporter, Officer
from services.origin_cert.handlers.common import exporter_or_officer, filing
from services.origin_cert.models import (
    BranchMigration,
    Certificate,
    Enterprise,
    LostReissue,
    PreReview,
    Questionnaire,
    QuestionnaireAnswer,
    Reminder,
    Verification,
)

# Items gathered per kind: a to-do list is read by a person, who works through it from the oldest.
PER_KIND = 1000


@dataclass(frozen=True)
class Todo:
    kind: str
    record_id: str
    path: str
    title: str
    status: str
    since: datetime | None


@dataclass(frozen=True)
class Kind:
    name: str
    query: Select
    item: Callable[[object], Todo]


def _officer_kinds(staff: Officer) -> list[Kind]:
    def mine(column):
        return true() if staff.head_office else column == staff.branch

    kinds = []
    if staff.has(VISA_OFFICER):
        kinds += [
            Kind("CERTIFICATE_REVIEW", select(Certificate).where(
                mine(Certificate.branch), Certificate.status.in_((states.SUBMITTED, states.IN_REVIEW))),
                lambda c: Todo("CERTIFICATE_REVIEW", c.id, f"/v1/origin/certificates/{c.id}",
                               f"{c.certificate_type} 发票号{c.invoice_number}", c.status, c.submitted_at)),
            Kind("LOST_REISSUE_REVIEW", select(LostReissue).where(mine(LostReissue.branch),
                                                                  LostReissue.status == states.PENDING),
                 lambda r: Todo("LOST_REISSUE_REVIEW", r.id, "/v1/origin/certificates/lost-reissues",
                                f"失证重发：{r.reason}", r.status, r.created_at))]
    if staff.has(PRE_REVIEWER):
        query = select(PreReview).where(PreReview.status == states.SUBMITTED)
        if not staff.head_office:
            query = query.join(Enterprise, Enterprise.organization_id == PreReview.organization_id).where(
                Enterprise.branch == staff.branch)
        kinds.append(Kind("PRE_REVIEW_REVIEW", query, lambda p: Todo(
            "PRE_REVIEW_REVIEW", p.id, f"/v1/origin/pre-reviews/{p.id}", f"{p.number} {p.product_name}", p.status,
            p.submitted_at)))
    kinds += [
        Kind("BRANCH_MIGRATION_REVIEW", select(BranchMigration).where(
            mine(BranchMigration.to_branch), BranchMigration.status == states.PENDING),
            lambda m: Todo("BRANCH_MIGRATION_REVIEW", m.id, f"/v1/origin/branch-migrations/{m.id}",
                           f"{m.organization_name}：{m.from_branch}→{m.to_branch}", m.status, m.created_at)),
        Kind("VERIFICATION_ANSWERED", select(Verification).where(
            mine(Verification.branch), Verification.status == states.EVIDENCE_SUBMITTED),
            lambda v: Todo("VERIFICATION_ANSWERED", v.id, f"/v1/origin/verifications/{v.id}",
                           f"证书{v.certificate_number}核查佐证", v.status, v.responded_at))]
    return kinds


def _enterprise_kinds(session: Session, member: Exporter) -> list[Kind]:
    org = member.organization_id
    kinds = [
        Kind("CERTIFICATE_REJECTED", select(Certificate).where(Certificate.organization_id == org,
                                                               Certificate.status == states.REJECTED),
             lambda c: Todo("CERTIFICATE_REJECTED", c.id, f"/v1/origin/certificates/{c.id}",
                            f"发票号{c.invoice_number}：{c.rejection_reason}", c.status, c.updated_at)),
        Kind("PRE_REVIEW_REJECTED", select(PreReview).where(PreReview.organization_id == org,
                                                            PreReview.status == states.REJECTED),
             lambda p: Todo("PRE_REVIEW_REJECTED", p.id, f"/v1/origin/pre-reviews/{p.id}",
                            f"{p.number}：{p.rejection_reason}", p.status, p.decided_at)),
        Kind("REMINDER", select(Reminder).where(Reminder.organization_id == org, Reminder.status == states.OPEN),
             lambda r: Todo("REMINDER", r.id, "/v1/origin/pre-reviews/reminders", r.message, r.status,
                            r.created_at)),
        Kind("VERIFICATION_OPEN", select(Verification).where(Verification.organization_id == org,
                                                             Verification.status == states.OPEN),
             lambda v: Todo("VERIFICATION_OPEN", v.id, f"/v1/origin/verifications/{v.id}",
                            f"证书{v.certificate_number}核查：{v.questions}", v.status, v.created_at))]
    enterprise = filing(session, org)
    if enterprise is not None:
        answered = select(QuestionnaireAnswer.questionnaire_id).where(QuestionnaireAnswer.organization_id == org,
                                                                      QuestionnaireAnswer.status == states.SUBMITTED)
        kinds.append(Kind("QUESTIONNAIRE", select(Questionnaire).where(
            Questionnaire.status == states.PUBLISHED,
            or_(Questionnaire.branch == enterprise.branch, Questionnaire.branch == HEAD_OFFICE),
            not_(Questionnaire.id.in_(answered))),
            lambda q: Todo("QUESTIONNAIRE", q.id, f"/v1/origin/questionnaires/{q.id}", q.title, q.status,
                           q.published_at)))
    return kinds


def list_todos(context: OriginCertContext, kind: str, page_size: int,
               page_token: str) -> tuple[Page[Todo], dict[str, int]]:
    viewer = exporter_or_officer()
    request = PageRequest.parse(page_size, page_token)
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        kinds = _officer_kinds(viewer) if isinstance(viewer, Officer) else _enterprise_kinds(session, viewer)
        names = [k.name for k in kinds]
        if kind and kind not in names:
            raise InvalidArgument.for_field("kind", f"待办类型可选：{'、'.join(names)}")
        counts = {k.name: session.scalar(select(func.count()).select_from(k.query.subquery())) or 0 for k in kinds}
        items = [k.item(row) for k in kinds if not kind or k.name == kind
                 for row in session.scalars(k.query.limit(PER_KIND))]
    items.sort(key=lambda t: (aware(t.since) is None, aware(t.since) or datetime.min, t.kind, t.record_id))
    total = counts[kind] if kind else sum(counts.values())
    chosen = items[request.offset:request.offset + request.size]
    return Page(chosen, request.next_token(total) if chosen else "", total), counts

