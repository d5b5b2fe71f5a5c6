"""Verifications (§1.5), the FTA tariff query (§1.7), questionnaires (§1.9) and the to-do lists."""

from __future__ import annotations

import grpc

from protos.common.v1 import common_pb2
from protos.origin_cert.v1 import (
    certificate_review_pb2,
    enterprise_pb2,
    pre_reviews_pb2,
    questionnaires_pb2,
    tariffs_pb2,
    todo_pb2,
    verifications_pb2,
)
from services.chassis.documents.tests.files import MINIMAL_PDF
from services.origin_cert.tests.certificate_support import complete, drafted, issued
from services.origin_cert.tests.test_pre_reviews import lamp


def test_a_verification_is_answered_with_evidence_and_closed_with_its_result(origin):
    admin, other = origin.organization("verified"), origin.organization("verified-other")
    certificate = issued(origin, admin)
    officer = origin.officer("BEIJING")
    with origin.new_notices("origin_cert.verification.opened") as told:
        opened = origin.call(officer, "CreateVerification", verifications_pb2.CreateVerificationRequest(
            certificate_number=certificate.number, requester="日本海关", questions="请提供LED芯片采购发票",
            due_date="2099-01-31"))
    assert opened.status == "OPEN" and told[0]["params"]["dueDate"] == "2099-01-31"
    assert origin.fails(officer, "CreateVerification", verifications_pb2.CreateVerificationRequest(
        certificate_id=certificate.id, questions="again")).reason == "VERIFICATION_OPEN"
    assert origin.fails(other, "GetVerification", verifications_pb2.GetVerificationRequest(
        id=opened.id)).code == grpc.StatusCode.NOT_FOUND
    empty = origin.fails(admin, "RespondToVerification", verifications_pb2.RespondToVerificationRequest(
        id=opened.id, note="见附件"))
    assert "evidence" in empty.fields
    origin.call(admin, "UploadVerificationEvidence", verifications_pb2.UploadVerificationEvidenceRequest(
        id=opened.id, kind="PURCHASE_RECORD", file=common_pb2.FileUpload(file_name="发票.pdf", content=MINIMAL_PDF)))
    with origin.new_notices("origin_cert.verification.answered") as asked:
        answered = origin.call(admin, "RespondToVerification", verifications_pb2.RespondToVerificationRequest(
            id=opened.id, note="采购发票见附件"))
    assert answered.status == "EVIDENCE_SUBMITTED" and len(answered.evidence) == 1
    assert asked[0]["recipients"] == [{"agency": "CCPIT:BEIJING"}]
    bad = origin.fails(officer, "CloseVerification", verifications_pb2.DecideVerificationRequest(
        id=opened.id, result="MAYBE", note="x"))
    assert "result" in bad.fields
    with origin.new_notices("origin_cert.verification.closed") as closed_notice:
        closed = origin.call(officer, "CloseVerification", verifications_pb2.DecideVerificationRequest(
            id=opened.id, result="CONFIRMED", note="原产地属实"))
    assert (closed.status, closed.result) == ("CLOSED", "CONFIRMED")
    assert closed_notice[0]["params"]["result"] == "原产地真实"
    mine = origin.call(admin, "ListVerifications", verifications_pb2.ListVerificationsRequest())
    assert [v.id for v in mine.verifications] == [opened.id]


def test_the_fta_query_lists_the_mfn_and_each_agreements_rate_best_first(origin):
    to_vietnam = origin.call(None, "QueryTariffs", tariffs_pb2.QueryTariffsRequest(
        origin_country="CN", destination_country="VN", hs_code="9405210090"))
    assert to_vietnam.mfn.rate == "25" and to_vietnam.importing_country == "VN"
    assert [(r.agreement, r.rate) for r in to_vietnam.rates] == [("ASEAN", "0"), ("RCEP", "15")]
    assert to_vietnam.best_agreement == "ASEAN" and to_vietnam.rates[0].saving == "25"
    assert "LED" in to_vietnam.description
    into_china = origin.call(None, "QueryTariffs", tariffs_pb2.QueryTariffsRequest(
        origin_country="AU", destination_country="CN", hs_code="220421"))
    assert [r.agreement for r in into_china.rates] == ["AUSTRALIA"] and into_china.mfn.rate == "14"
    neither = origin.fails(None, "QueryTariffs", tariffs_pb2.QueryTariffsRequest(
        origin_country="JP", destination_country="VN", hs_code="940521"))
    assert "必须有一方是中国" in neither.fields["destinationCountry"]
    short = origin.fails(None, "QueryTariffs", tariffs_pb2.QueryTariffsRequest(
        origin_country="CN", destination_country="JP", hs_code="94"))
    assert "hsCode" in short.fields
    found = origin.call(None, "SearchHsCodes", tariffs_pb2.SearchHsCodesRequest(query="台灯"))
    assert {h.code for h in found.hs_codes} >= {"940521"}


def test_a_questionnaire_is_published_to_the_branchs_enterprises_saved_and_submitted(origin):
    admin, elsewhere = origin.organization("surveyed"), origin.organization("surveyed-sh", filed_with="SHANGHAI")
    officer = origin.officer("BEIJING")
    draft = origin.call(officer, "CreateQuestionnaire", questionnaires_pb2.CreateQuestionnaireRequest(
        title="2026年原产地证书使用情况调查", questions=[
            questionnaires_pb2.Question(text="主要出口市场", kind="SINGLE", options=["日本", "东盟", "其他"],
                                        required=True),
            questionnaires_pb2.Question(text="意见建议", kind="TEXT")]))
    assert [q.id for q in draft.questions] == ["q1", "q2"] and draft.status == "DRAFT"
    hidden = origin.call(admin, "ListQuestionnaires", questionnaires_pb2.ListQuestionnairesRequest())
    assert draft.id not in [q.id for q in hidden.questionnaires]
    with origin.new_notices("origin_cert.questionnaire.published") as told:
        origin.call(officer, "PublishQuestionnaire", questionnaires_pb2.QuestionnaireActionRequest(id=draft.id))
    told_orgs = {r["organizationId"] for n in told for r in n["recipients"]}
    assert admin.organization_id in told_orgs and elsewhere.organization_id not in told_orgs
    assert origin.fails(elsewhere, "GetQuestionnaire", questionnaires_pb2.QuestionnaireActionRequest(
        id=draft.id)).code == grpc.StatusCode.NOT_FOUND
    saved = origin.call(admin, "SaveAnswer", questionnaires_pb2.SaveAnswerRequest(id=draft.id, answers=[
        questionnaires_pb2.Answer(question_id="q2", values=["希望简化流程"])]))
    assert saved.status == "DRAFT"
    missing = origin.fails(admin, "SubmitAnswer", questionnaires_pb2.SaveAnswerRequest(id=draft.id, answers=[
        questionnaires_pb2.Answer(question_id="q2", values=["希望简化流程"])]))
    assert "answers[q1]" in missing.fields
    wrong = origin.fails(admin, "SaveAnswer", questionnaires_pb2.SaveAnswerRequest(id=draft.id, answers=[
        questionnaires_pb2.Answer(question_id="q1", values=["美国"])]))
    assert "answers[q1]" in wrong.fields
    submitted = origin.call(admin, "SubmitAnswer", questionnaires_pb2.SaveAnswerRequest(id=draft.id, answers=[
        questionnaires_pb2.Answer(question_id="q1", values=["日本"]),
        questionnaires_pb2.Answer(question_id="q2", values=["希望简化流程"])]))
    assert submitted.status == "SUBMITTED"
    assert origin.fails(admin, "SaveAnswer", questionnaires_pb2.SaveAnswerRequest(id=draft.id)).reason == \
        "ANSWER_SUBMITTED"
    answers = origin.call(officer, "ListAnswers", questionnaires_pb2.ListAnswersRequest(id=draft.id))
    assert [a.organization_id for a in answers.answers] == [admin.organization_id]
    assert origin.fails(admin, "PublishQuestionnaire", questionnaires_pb2.QuestionnaireActionRequest(
        id=draft.id)).code == grpc.StatusCode.PERMISSION_DENIED


def test_the_to_do_lists_show_each_actor_what_waits_for_them(origin):
    admin = origin.organization("todo", filed_with="SICHUAN")
    visa = origin.officer("SICHUAN", "VISA_OFFICER")
    reviewer = origin.officer("SICHUAN", "PRE_REVIEWER")
    submitted = origin.call(admin, "CreatePreReview", lamp(submit=True))
    waiting = origin.call(reviewer, "ListTodos", todo_pb2.ListTodosRequest())
    assert [(t.kind, t.record_id) for t in waiting.todos] == [("PRE_REVIEW_REVIEW", submitted.id)]
    origin.call(reviewer, "ApprovePreReview", pre_reviews_pb2.PreReviewActionRequest(id=submitted.id))
    pre_review_id = submitted.id
    certificate = origin.call(admin, "CreateCertificate", _create(pre_review_id))
    origin.call(admin, "UpdateCertificate", complete(certificate.id, pre_review_id))
    origin.call(admin, "SubmitCertificate", certificate_review_pb2.CertificateActionRequest(id=certificate.id))
    to_sign = origin.call(visa, "ListTodos", todo_pb2.ListTodosRequest())
    assert ("CERTIFICATE_REVIEW", certificate.id) in [(t.kind, t.record_id) for t in to_sign.todos]
    assert {c.kind: c.count for c in to_sign.counts}["CERTIFICATE_REVIEW"] == 1
    beijing = origin.call(origin.officer("BEIJING", "VISA_OFFICER"), "ListTodos",
                          todo_pb2.ListTodosRequest(kind="CERTIFICATE_REVIEW", page_size=200))
    assert certificate.id not in [t.record_id for t in beijing.todos]
    origin.call(visa, "RejectCertificate", certificate_review_pb2.CertificateActionRequest(
        id=certificate.id, reason="发票日期有误"))
    mine = origin.call(admin, "ListTodos", todo_pb2.ListTodosRequest())
    assert ("CERTIFICATE_REJECTED", certificate.id) in [(t.kind, t.record_id) for t in mine.todos]
    assert "kind" in origin.fails(admin, "ListTodos", todo_pb2.ListTodosRequest(kind="CERTIFICATE_REVIEW")).fields


def _create(pre_review_id: str):
    from protos.origin_cert.v1 import certificates_pb2

    return certificates_pb2.CreateCertificateRequest(pre_review_id=pre_review_id, destination_country="JP",
                                                     certificate_type="RCEP", origin_criterion="RVC")


def test_a_pre_review_follows_its_enterprise_to_the_new_branch(origin):
    admin = origin.organization("follow")
    pre_review, _draft = drafted(origin, admin)
    migration = origin.call(admin, "CreateBranchMigration", enterprise_pb2.CreateBranchMigrationRequest(
        to_branch="FUJIAN", reason="迁址"))
    origin.call(origin.officer("FUJIAN"), "ApproveBranchMigration",
                enterprise_pb2.DecideBranchMigrationRequest(id=migration.id))
    seen = origin.call(origin.officer("FUJIAN"), "GetPreReview", pre_reviews_pb2.GetPreReviewRequest(id=pre_review.id))
    assert seen.id == pre_review.id
    assert origin.fails(origin.officer("BEIJING"), "GetPreReview", pre_reviews_pb2.GetPreReviewRequest(
        id=pre_review.id)).code == grpc.StatusCode.NOT_FOUND
