"""Parties, verifications, questionnaires and to-dos, as protos."""

from __future__ import annotations

from protos.origin_cert.v1 import parties_pb2, questionnaires_pb2, todo_pb2, verifications_pb2
from services.chassis import wire
from services.chassis.documents.wire import attachment_message
from services.chassis.paging import Page
from services.origin_cert.handlers.parties import PartyInput
from services.origin_cert.handlers.questionnaires import Question, QuestionnaireView, answers_of
from services.origin_cert.handlers.todo import Todo
from services.origin_cert.handlers.verifications import VerificationView
from services.origin_cert.models import Party, QuestionnaireAnswer
from services.origin_cert.views.common import day_text, history_pb


def party_input(request: parties_pb2.SavePartyRequest) -> PartyInput:
    return PartyInput(kind=request.kind.strip().upper(), name=request.name, address=request.address,
                      country=request.country.strip().upper(), contact=request.contact, phone=request.phone.strip(),
                      email=request.email.strip(), text=request.text)


def party_pb(p: Party) -> parties_pb2.Party:
    return parties_pb2.Party(id=p.id, kind=p.kind, name=p.name, address=p.address, country=p.country,
                             contact=p.contact, phone=p.phone, email=p.email, text=p.text,
                             create_time=wire.timestamp(p.created_at), update_time=wire.timestamp(p.updated_at))


def verification_pb(view: VerificationView) -> verifications_pb2.Verification:
    v = view.verification
    return verifications_pb2.Verification(
        id=v.id, certificate_id=v.certificate_id, certificate_number=v.certificate_number,
        organization_id=v.organization_id, branch=v.branch, requester=v.requester, questions=v.questions,
        due_date=day_text(v.due_date), status=v.status, response_note=v.response_note, result=v.result,
        conclusion=v.conclusion, evidence=[attachment_message(a) for a in view.evidence],
        history=history_pb(view.steps), create_time=wire.timestamp(v.created_at),
        respond_time=wire.timestamp(v.responded_at), close_time=wire.timestamp(v.closed_at))


def questions_in(request: questionnaires_pb2.CreateQuestionnaireRequest) -> list[Question]:
    return [Question(q.id.strip(), q.text, q.kind.strip().upper(), tuple(o.strip() for o in q.options), q.required)
            for q in request.questions]


def answers_in(request: questionnaires_pb2.SaveAnswerRequest) -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    for answer in request.answers:
        answers.setdefault(answer.question_id.strip(), []).extend(v.strip() for v in answer.values)
    return answers


def answer_pb(answer: QuestionnaireAnswer) -> questionnaires_pb2.QuestionnaireAnswer:
    return questionnaires_pb2.QuestionnaireAnswer(
        questionnaire_id=answer.questionnaire_id, organization_id=answer.organization_id, status=answer.status,
        answers=[questionnaires_pb2.Answer(question_id=k, values=v) for k, v in answers_of(answer).items()],
        save_time=wire.timestamp(answer.saved_at), submit_time=wire.timestamp(answer.submitted_at))


def questionnaire_pb(view: QuestionnaireView) -> questionnaires_pb2.Questionnaire:
    q = view.questionnaire
    return questionnaires_pb2.Questionnaire(
        id=q.id, branch=q.branch, title=q.title, description=q.description, status=q.status,
        questions=[questionnaires_pb2.Question(id=x.id, text=x.text, kind=x.kind, options=list(x.options),
                                               required=x.required) for x in view.questions],
        my_answer=answer_pb(view.answer) if view.answer is not None else None, submitted_count=view.submitted_count,
        create_time=wire.timestamp(q.created_at), publish_time=wire.timestamp(q.published_at))


def todos_pb(page: Page[Todo], counts: dict[str, int]) -> todo_pb2.ListTodosResponse:
    return todo_pb2.ListTodosResponse(
        todos=[todo_pb2.TodoItem(kind=t.kind, record_id=t.record_id, path=t.path, title=t.title, status=t.status,
                                 since=wire.timestamp(t.since)) for t in page.items],
        counts=[todo_pb2.TodoCount(kind=k, count=n) for k, n in counts.items()], **wire.page_fields(page))
