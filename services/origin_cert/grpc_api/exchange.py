"""Parties (制单资料), verifications, questionnaires and the to-do list."""

from __future__ import annotations

from protos.origin_cert.v1 import (
    parties_pb2,
    parties_pb2_grpc,
    questionnaires_pb2,
    questionnaires_pb2_grpc,
    todo_pb2_grpc,
    verifications_pb2,
    verifications_pb2_grpc,
)
from services.chassis.documents.wire import AttachmentEndpoints
from services.chassis.wire import page_fields
from services.origin_cert.config import OriginCertContext
from services.origin_cert.grpc_api.base import Servicer, created
from services.origin_cert.handlers import parties, questionnaires, todo, verifications
from services.origin_cert.views import exchange as views
from services.origin_cert.views.common import day_value


class PartyServicer(Servicer, parties_pb2_grpc.PartyServiceServicer):
    def CreateParty(self, request, context):
        return created(context, views.party_pb(parties.create_party(self._context, views.party_input(request))))

    def ListParties(self, request, context):
        page = parties.list_parties(self._context, request.kind.strip().upper(), request.name, request.page_size,
                                    request.page_token)
        return parties_pb2.ListPartiesResponse(parties=[views.party_pb(p) for p in page.items], **page_fields(page))

    def GetParty(self, request, context):
        return views.party_pb(parties.get_party(self._context, request.id))

    def UpdateParty(self, request, context):
        return views.party_pb(parties.update_party(self._context, request.id, views.party_input(request)))

    def DeleteParty(self, request, context):
        return views.party_pb(parties.delete_party(self._context, request.id))


class VerificationServicer(Servicer, verifications_pb2_grpc.VerificationServiceServicer):
    def __init__(self, context: OriginCertContext):
        super().__init__(context)
        self._evidence = AttachmentEndpoints(context, context.providers.store, verifications.EVIDENCE)

    def CreateVerification(self, request, context):
        found = verifications.create_verification(
            self._context, certificate_id=request.certificate_id.strip(),
            certificate_number=request.certificate_number, requester=request.requester, questions=request.questions,
            due_date=day_value(request.due_date, "dueDate"))
        return created(context, views.verification_pb(found))

    def ListVerifications(self, request, context):
        page = verifications.list_verifications(self._context, request.status, request.page_size, request.page_token)
        return verifications_pb2.ListVerificationsResponse(
            verifications=[views.verification_pb(verifications.VerificationView(v)) for v in page.items],
            **page_fields(page))

    def GetVerification(self, request, context):
        return views.verification_pb(verifications.get_verification(self._context, request.id))

    def UploadVerificationEvidence(self, request, context):
        return created(context, self._evidence.upload(request.id, request.kind, request.file))

    def DownloadVerificationEvidence(self, request, context):
        return self._evidence.download(context, request.id, request.attachment_id)

    def DeleteVerificationEvidence(self, request, context):
        return self._evidence.delete(request.id, request.attachment_id)

    def RespondToVerification(self, request, context):
        return views.verification_pb(verifications.respond(self._context, request.id, request.note))

    def ReopenVerification(self, request, context):
        return views.verification_pb(verifications.decide(self._context, request.id, close=False,
                                                          result=request.result, note=request.note))

    def CloseVerification(self, request, context):
        return views.verification_pb(verifications.decide(self._context, request.id, close=True,
                                                          result=request.result.strip().upper(), note=request.note))


class QuestionnaireServicer(Servicer, questionnaires_pb2_grpc.QuestionnaireServiceServicer):
    def CreateQuestionnaire(self, request, context):
        found = questionnaires.create_questionnaire(self._context, request.title, request.description,
                                                    views.questions_in(request))
        return created(context, views.questionnaire_pb(found))

    def PublishQuestionnaire(self, request, context):
        return views.questionnaire_pb(questionnaires.publish_questionnaire(self._context, request.id))

    def CloseQuestionnaire(self, request, context):
        return views.questionnaire_pb(questionnaires.close_questionnaire(self._context, request.id))

    def ListQuestionnaires(self, request, context):
        page = questionnaires.list_questionnaires(self._context, request.status, request.page_size,
                                                  request.page_token)
        return questionnaires_pb2.ListQuestionnairesResponse(
            questionnaires=[views.questionnaire_pb(q) for q in page.items], **page_fields(page))

    def GetQuestionnaire(self, request, context):
        return views.questionnaire_pb(questionnaires.get_questionnaire(self._context, request.id))

    def SaveAnswer(self, request, context):
        return views.answer_pb(questionnaires.save_answer(self._context, request.id, views.answers_in(request),
                                                          submit=False))

    def SubmitAnswer(self, request, context):
        return views.answer_pb(questionnaires.save_answer(self._context, request.id, views.answers_in(request),
                                                          submit=True))

    def ListAnswers(self, request, context):
        page = questionnaires.list_answers(self._context, request.id, request.page_size, request.page_token)
        return questionnaires_pb2.ListAnswersResponse(answers=[views.answer_pb(a) for a in page.items],
                                                      **page_fields(page))


class TodoServicer(Servicer, todo_pb2_grpc.TodoServiceServicer):
    def ListTodos(self, request, context):
        return views.todos_pb(*todo.list_todos(self._context, request.kind.strip(), request.page_size,
                                               request.page_token))
