"""Questionnaires (问卷调查, §1.9): CCPIT drafts and publishes to the enterprises filed with its branch (the head
office's go to every enterprise); an enterprise saves its answers and then submits them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.chassis.db import new_id, utcnow
from services.chassis.errors import Conflict, FailedPrecondition, InvalidArgument, Violations
from services.chassis.paging import Page, paginate
from services.origin_cert import events
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain import states
from services.origin_cert.domain.actors import HEAD_OFFICE, Exporter, Officer
from services.origin_cert.handlers.common import exporter, exporter_or_officer, not_found, officer, require_filing
from services.origin_cert.models import Enterprise, Questionnaire, QuestionnaireAnswer

KINDS = ("SINGLE", "MULTIPLE", "TEXT")
MAX_QUESTIONS = 50


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    kind: str
    options: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class QuestionnaireView:
    questionnaire: Questionnaire
    questions: list[Question]
    answer: QuestionnaireAnswer | None
    submitted_count: int


def questions_of(questionnaire: Questionnaire) -> list[Question]:
    return [Question(q["id"], q["text"], q["kind"], tuple(q["options"]), q["required"])
            for q in json.loads(questionnaire.questions)]


def answers_of(answer: QuestionnaireAnswer) -> dict[str, list[str]]:
    return json.loads(answer.answers or "{}")


def _check_questions(title: str, description: str, questions: Sequence[Question]) -> list[Question]:
    v = Violations()
    if not title.strip() or len(title) > 200:
        v.add("title", "请填写问卷标题（最多200字）")
    if len(description) > 2000:
        v.add("description", "问卷说明不能超过2000字")
    if not questions or len(questions) > MAX_QUESTIONS:
        v.add("questions", f"问卷须有1至{MAX_QUESTIONS}个问题")
    named = [replace_id(q, index) for index, q in enumerate(questions)]
    if len({q.id for q in named}) != len(named):
        v.add("questions", "问题编号不能重复")
    for index, q in enumerate(named):
        at = f"questions[{index}]"
        if not q.text.strip() or len(q.text) > 500:
            v.add(f"{at}.text", "请填写问题内容（最多500字）")
        if q.kind not in KINDS:
            v.add(f"{at}.kind", "题型可选：SINGLE（单选）、MULTIPLE（多选）、TEXT（填空）")
        elif q.kind != "TEXT" and (len(q.options) < 2 or len(set(q.options)) != len(q.options)):
            v.add(f"{at}.options", "选择题须有至少两个互不相同的选项")
    v.raise_if_any("问卷内容有误")
    return named


def replace_id(question: Question, index: int) -> Question:
    return question if question.id else Question(f"q{index + 1}", question.text, question.kind, question.options,
                                                 question.required)


def create_questionnaire(context: OriginCertContext, title: str, description: str,
                         questions: Sequence[Question]) -> QuestionnaireView:
    staff = officer()
    named = _check_questions(title, description, questions)
    with context.unit_of_work() as uow:
        questionnaire = Questionnaire(
            id=new_id(), branch=staff.branch, title=title.strip(), description=description.strip(),
            questions=json.dumps([q.__dict__ | {"options": list(q.options)} for q in named], ensure_ascii=False),
            status=states.DRAFT, created_by=staff.account_id, created_at=utcnow())
        uow.session.add(questionnaire)
        uow.commit()
    return QuestionnaireView(questionnaire, named, None, 0)


def _staff_questionnaire(session: Session, staff: Officer, questionnaire_id: str) -> Questionnaire:
    found = session.get(Questionnaire, questionnaire_id, with_for_update=True) if questionnaire_id else None
    if found is None or not staff.covers(found.branch):
        raise not_found("问卷")
    return found


def publish_questionnaire(context: OriginCertContext, questionnaire_id: str) -> QuestionnaireView:
    """下发: published, and every enterprise it is for is told."""
    staff = officer()
    with context.unit_of_work() as uow:
        session = uow.session
        questionnaire = _staff_questionnaire(session, staff, questionnaire_id)
        states.QUESTIONNAIRE.move(questionnaire, states.PUBLISHED, "只有草稿状态的问卷可以发布")
        questionnaire.published_at = utcnow()
        audience = select(Enterprise.organization_id).order_by(Enterprise.organization_id)
        if questionnaire.branch != HEAD_OFFICE:
            audience = audience.where(Enterprise.branch == questionnaire.branch)
        organizations = list(session.scalars(audience))
        if organizations:
            uow.publish(*events.notice_to_organization("origin_cert.questionnaire.published", organizations,
                                                       {"title": questionnaire.title}))
        uow.commit()
    return QuestionnaireView(questionnaire, questions_of(questionnaire), None, 0)


def close_questionnaire(context: OriginCertContext, questionnaire_id: str) -> QuestionnaireView:
    staff = officer()
    with context.unit_of_work() as uow:
        questionnaire = _staff_questionnaire(uow.session, staff, questionnaire_id)
        states.QUESTIONNAIRE.move(questionnaire, states.CLOSED, "只有已发布的问卷可以结束")
        questionnaire.closed_at = utcnow()
        uow.commit()
    return QuestionnaireView(questionnaire, questions_of(questionnaire), None, 0)


def _for_enterprise(session: Session, member: Exporter):
    enterprise = require_filing(session, member.organization_id)
    return select(Questionnaire).where(Questionnaire.status.in_((states.PUBLISHED, states.CLOSED)),
                                       or_(Questionnaire.branch == enterprise.branch,
                                           Questionnaire.branch == HEAD_OFFICE))


def _submitted(session: Session, questionnaire_id: str) -> int:
    return session.scalar(select(func.count()).where(QuestionnaireAnswer.questionnaire_id == questionnaire_id,
                                                     QuestionnaireAnswer.status == states.SUBMITTED)) or 0


def _answer(session: Session, questionnaire_id: str, organization_id: str, *,
            lock: bool = False) -> QuestionnaireAnswer | None:
    query = select(QuestionnaireAnswer).where(QuestionnaireAnswer.questionnaire_id == questionnaire_id,
                                              QuestionnaireAnswer.organization_id == organization_id)
    return session.scalar(query.with_for_update() if lock else query)


def list_questionnaires(context: OriginCertContext, status: str, page_size: int,
                        page_token: str) -> Page[QuestionnaireView]:
    viewer = exporter_or_officer()
    if status and status not in states.QUESTIONNAIRE.states:
        raise InvalidArgument.for_field("status", "状态可选：DRAFT、PUBLISHED、CLOSED")
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        if isinstance(viewer, Officer):
            query = select(Questionnaire)
            query = query if viewer.head_office else query.where(Questionnaire.branch == viewer.branch)
        else:
            query = _for_enterprise(session, viewer)
        if status:
            query = query.where(Questionnaire.status == status)
        page = paginate(session, query.order_by(Questionnaire.created_at.desc(), Questionnaire.id), page_size,
                        page_token)
        items = [QuestionnaireView(q, questions_of(q), None if isinstance(viewer, Officer)
                                   else _answer(session, q.id, viewer.organization_id), _submitted(session, q.id))
                 for q in page.items]
    return Page(items, page.next_page_token, page.total_size)


def get_questionnaire(context: OriginCertContext, questionnaire_id: str) -> QuestionnaireView:
    viewer = exporter_or_officer()
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        if isinstance(viewer, Officer):
            found = session.get(Questionnaire, questionnaire_id) if questionnaire_id else None
            if found is None or not viewer.covers(found.branch):
                raise not_found("问卷")
            return QuestionnaireView(found, questions_of(found), None, _submitted(session, found.id))
        found = session.scalar(_for_enterprise(session, viewer).where(Questionnaire.id == questionnaire_id))
        if found is None:
            raise not_found("问卷")
        return QuestionnaireView(found, questions_of(found), _answer(session, found.id, viewer.organization_id), 0)


def _check_answers(questions: list[Question], answers: dict[str, list[str]], *, complete: bool) -> None:
    v = Violations()
    known = {q.id: q for q in questions}
    for question_id in answers:
        if question_id not in known:
            v.add("answers", f"问卷中没有问题 {question_id}")
    for index, q in enumerate(questions):
        given = [a for a in answers.get(q.id, []) if a.strip()]
        at = f"answers[{q.id}]"
        if q.kind == "TEXT" and (len(given) > 1 or any(len(a) > 2000 for a in given)):
            v.add(at, "填空题只填一段文字（最多2000字）")
        if q.kind != "TEXT" and any(a not in q.options for a in given):
            v.add(at, "请从问题的选项中选择")
        if q.kind == "SINGLE" and len(given) > 1:
            v.add(at, "单选题只能选一项")
        if complete and q.required and not given:
            v.add(at, f"第{index + 1}题为必答题")
    v.raise_if_any("问卷答案有误")


def save_answer(context: OriginCertContext, questionnaire_id: str, answers: dict[str, list[str]], *,
                submit: bool) -> QuestionnaireAnswer:
    member = exporter()
    with context.unit_of_work() as uow:
        session = uow.session
        questionnaire = session.scalar(_for_enterprise(session, member).where(Questionnaire.id == questionnaire_id))
        if questionnaire is None:
            raise not_found("问卷")
        if questionnaire.status != states.PUBLISHED:
            raise FailedPrecondition("问卷已结束，不能再填写", reason="QUESTIONNAIRE_CLOSED")
        _check_answers(questions_of(questionnaire), answers, complete=submit)
        answer = _answer(session, questionnaire.id, member.organization_id, lock=True)
        if answer is not None and answer.status == states.SUBMITTED:
            raise FailedPrecondition("问卷已提交，不能修改", reason="ANSWER_SUBMITTED")
        now = utcnow()
        if answer is None:
            answer = QuestionnaireAnswer(id=new_id(), questionnaire_id=questionnaire.id,
                                         organization_id=member.organization_id,
                                         status=states.SUBMITTED if submit else states.DRAFT)
            session.add(answer)
        elif submit:
            states.QUESTIONNAIRE_ANSWER.move(answer, states.SUBMITTED)
        answer.answers = json.dumps(answers, ensure_ascii=False)
        answer.answered_by, answer.saved_at = member.account_id, now
        answer.submitted_at = now if submit else None
        uow.commit(on_integrity_error=lambda _e: Conflict("问卷答案正在保存，请重试", reason="CONCURRENT_SAVE"))
    return answer


def list_answers(context: OriginCertContext, questionnaire_id: str, page_size: int,
                 page_token: str) -> Page[QuestionnaireAnswer]:
    staff = officer()
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        found = session.get(Questionnaire, questionnaire_id) if questionnaire_id else None
        if found is None or not staff.covers(found.branch):
            raise not_found("问卷")
        return paginate(session, select(QuestionnaireAnswer).where(
            QuestionnaireAnswer.questionnaire_id == found.id, QuestionnaireAnswer.status == states.SUBMITTED)
            .order_by(QuestionnaireAnswer.submitted_at, QuestionnaireAnswer.id), page_size, page_token)
