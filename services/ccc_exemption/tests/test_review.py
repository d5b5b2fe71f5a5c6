"""The bureau's posts: acceptance, first and final review, returns and corrections, paper comparison,
termination, 补录, and who may take each step."""

from __future__ import annotations

from typing import NamedTuple

import grpc
import pytest

from protos.ccc_exemption.v1 import applications_pb2 as pb
from protos.ccc_exemption.v1 import products_pb2 as products_pb
from protos.ccc_exemption.v1 import resources_pb2 as resources_pb
from protos.ccc_exemption.v1 import review_pb2 as review_pb
from protos.ccc_exemption.v1 import todo_pb2 as todo_pb
from services.ccc_exemption.tests.support import SHANGHAI, SHENZHEN

STATUS = pb.Application
STATUS_NAME = pb.Application.Status.Name


def test_a_returned_application_is_corrected_and_goes_back_to_the_same_post(ccc):
    enterprise = ccc.enterprise()
    application = ccc.submitted(enterprise)
    bureau = ccc.bureau(SHANGHAI)
    ccc.review(bureau, "ReviewAcceptance", application.id, "PASS")
    with ccc.new_notices("ccc_exemption.application.returned") as returned:
        back = ccc.review(bureau, "ReviewFirst", application.id, "RETURN", reason="请补充产品技术说明")
    assert back.status == STATUS.RETURNED and back.reason == "请补充产品技术说明" and not back.editable
    assert ccc.call(enterprise, "GetApplication", pb.GetApplicationRequest(id=application.id)).editable
    assert returned[0]["channels"] == ["IN_SITE", "SMS", "EMAIL"]
    assert returned[0]["params"]["postLabel"] == "初审岗"
    # The final-use location and the clause stay as they were; everything else may change.
    refusal = ccc.fails(enterprise, "UpdateApplication", pb.UpdateApplicationRequest(
        id=application.id, final_use_location_code="330106", exemption_clause="END_USER_REPAIR"))
    assert set(refusal.fields) == {"finalUseLocationCode", "exemptionClause"}
    corrected = ccc.call(enterprise, "UpdateApplication", pb.UpdateApplicationRequest(
        id=application.id, contact_name="李工", trade_mode="OTHER", final_use_location_code="310115"))
    assert corrected.contact_name == "李工"
    # Nor may a product's own final-use location move, edited or added.
    [product] = ccc.call(enterprise, "ListProducts", products_pb.ListProductsRequest(
        application_id=application.id)).products
    fields = products_pb.ProductFields(
        hs_code=product.hs_code, characteristics=product.characteristics, name=product.name, model=product.model,
        manufacturer=product.manufacturer, quantity="11", quantity_unit=product.quantity_unit,
        standard_quantity="11", final_use_location_code="330106")
    moved = ccc.fails(enterprise, "UpdateProduct", products_pb.UpdateProductRequest(
        application_id=application.id, id=product.id, product=fields))
    assert set(moved.fields) == {"product.finalUseLocationCode"}
    fields.final_use_location_code = ""
    kept = ccc.call(enterprise, "UpdateProduct", products_pb.UpdateProductRequest(
        application_id=application.id, id=product.id, product=fields))
    assert (kept.quantity, kept.final_use_location.code) == ("11", product.final_use_location.code)
    added = ccc.fails(enterprise, "CreateProduct", products_pb.CreateProductRequest(
        application_id=application.id, product=products_pb.ProductFields(
            **{**{f.name: v for f, v in fields.ListFields()}, "final_use_location_code": "330106"})))
    assert set(added.fields) == {"product.finalUseLocationCode"}
    again = ccc.call(enterprise, "SubmitApplication", pb.SubmitApplicationRequest(id=application.id))
    assert again.status == STATUS.ACCEPTING and again.post == resources_pb.FIRST_REVIEW
    history = ccc.call(enterprise, "GetApplication", pb.GetApplicationRequest(id=application.id)).history
    assert [step.action for step in history][-2:] == ["FIRST_REVIEW_RETURN", "RESUBMITTED"]
    assert history[-2].note == "请补充产品技术说明"


def test_a_post_acting_outside_its_post_is_refused_and_a_step_out_of_turn_says_where_it_is(ccc):
    application = ccc.submitted(ccc.enterprise())
    first_only = ccc.bureau(SHANGHAI, "FIRST_REVIEW")
    refusal = ccc.fails(first_only, "ReviewAcceptance", review_pb.ReviewRequest(
        id=application.id, decision=review_pb.ReviewRequest.PASS))
    assert refusal.code == grpc.StatusCode.PERMISSION_DENIED and refusal.reason == "POST_REQUIRED"
    early = ccc.fails(first_only, "ReviewFirst", review_pb.ReviewRequest(
        id=application.id, decision=review_pb.ReviewRequest.PASS))
    assert early.code == grpc.StatusCode.FAILED_PRECONDITION and "受理岗" in early.message
    elsewhere = ccc.fails(ccc.bureau(SHENZHEN), "ReviewAcceptance", review_pb.ReviewRequest(
        id=application.id, decision=review_pb.ReviewRequest.PASS))
    assert elsewhere.code == grpc.StatusCode.NOT_FOUND
    assert ccc.fails(ccc.enterprise(), "ReviewAcceptance", review_pb.ReviewRequest(
        id=application.id, decision=review_pb.ReviewRequest.PASS)).code == grpc.StatusCode.NOT_FOUND


def test_a_refusal_or_failure_needs_its_reason_and_the_enterprise_reads_it(ccc):
    enterprise = ccc.enterprise()
    application = ccc.submitted(enterprise)
    bureau = ccc.bureau(SHANGHAI)
    refusal = ccc.fails(bureau, "ReviewAcceptance", review_pb.ReviewRequest(
        id=application.id, decision=review_pb.ReviewRequest.FAIL))
    assert list(refusal.fields) == ["reason"]
    refused = ccc.review(bureau, "ReviewAcceptance", application.id, "FAIL", reason="不属于强制性产品认证目录")
    seen = ccc.call(enterprise, "GetApplication", pb.GetApplicationRequest(id=application.id))
    assert (refused.status, seen.status_label, seen.reason) == (STATUS.REJECTED, "拒绝受理", "不属于强制性产品认证目录")


def test_paper_comparison_is_asked_for_and_decided_by_the_post_that_asked(ccc):
    enterprise = ccc.enterprise()
    application = ccc.submitted(enterprise)
    bureau = ccc.bureau(SHANGHAI)
    ccc.review(bureau, "ReviewAcceptance", application.id, "PASS")
    asked = ccc.review(bureau, "ReviewFirst", application.id, "PAPER_COMPARISON",
                       paper_notice="请于5个工作日内携带合同原件到受理窗口")
    assert asked.status == STATUS.PAPER_COMPARISON and asked.status_label == "文件对比中_送纸质材料"
    assert asked.paper_notice.startswith("请于5个工作日内")
    final_only = ccc.bureau(SHANGHAI, "FINAL_REVIEW")
    assert ccc.fails(final_only, "ReviewComparison", review_pb.ReviewRequest(
        id=application.id, decision=review_pb.ReviewRequest.PASS)).code == grpc.StatusCode.PERMISSION_DENIED
    failed = ccc.review(bureau, "ReviewComparison", application.id, "FAIL", reason="合同原件与电子附件不一致")
    assert failed.status == STATUS.COMPARISON_FAILED and failed.status_label == "对比材料未通过"


def test_passing_every_post_issues_the_certificate_and_tells_the_enterprise(ccc):
    enterprise = ccc.enterprise()
    with ccc.new_notices("ccc_exemption.certificate.issued") as issued_notices:
        issued = ccc.issued(enterprise, products=2)
    assert issued.status == STATUS.ISSUED and issued.status_label == "已发证"
    assert issued.certificate_number.startswith("MB20") and SHANGHAI in issued.certificate_number
    assert issued_notices[0]["params"]["certificateNumber"] == issued.certificate_number


def test_any_review_post_terminates_and_the_enterprise_sees_who_and_when(ccc):
    enterprise = ccc.enterprise()
    application = ccc.submitted(enterprise)
    stopped = ccc.call(ccc.bureau(SHANGHAI, "ACCEPTANCE"), "TerminateApplication",
                       review_pb.TerminateApplicationRequest(id=application.id, reason="企业申请撤回"))
    assert stopped.status == STATUS.TERMINATED and stopped.status_label == "强制终止流程"
    seen = ccc.call(enterprise, "GetApplication", pb.GetApplicationRequest(id=application.id))
    assert seen.termination.bureau_name == "上海市出入境检验检疫局" and seen.termination.officer_name
    assert seen.termination.time.seconds > 0
    assert ccc.fails(ccc.bureau(SHANGHAI, "WRITE_OFF"), "TerminateApplication", review_pb.TerminateApplicationRequest(
        id=application.id, reason="x")).code == grpc.StatusCode.PERMISSION_DENIED


def test_a_bureau_entered_application_is_read_only_to_the_enterprise(ccc):
    enterprise = ccc.enterprise()
    acceptance = ccc.bureau(SHANGHAI, "ACCEPTANCE")
    entered = ccc.call(acceptance, "CreateApplication", pb.CreateApplicationRequest(
        declaration_accepted=True, exemption_clause="END_USER_REPAIR", trade_mode="GENERAL_TRADE",
        organization_id=enterprise.organization_id))
    assert entered.entered_by_bureau and entered.applicant_name == enterprise.name
    seen = ccc.call(enterprise, "GetApplication", pb.GetApplicationRequest(id=entered.id))
    assert not seen.editable
    refusal = ccc.fails(enterprise, "UpdateApplication", pb.UpdateApplicationRequest(id=entered.id,
                                                                                     contact_name="改"))
    assert refusal.code == grpc.StatusCode.FAILED_PRECONDITION and refusal.reason == "ENTERED_BY_BUREAU"
    ccc.call(acceptance, "UpdateApplication", pb.UpdateApplicationRequest(
        id=entered.id, final_use_location_code="310104", contact_name="赵工", contact_phone="13800001111"))
    ccc.add_product(acceptance, entered.id)
    submitted = ccc.call(acceptance, "SubmitApplication", pb.SubmitApplicationRequest(id=entered.id))
    assert submitted.bureau.code == SHANGHAI and submitted.status == STATUS.ACCEPTING


def test_each_post_sees_what_waits_at_it_in_its_to_do(ccc):
    bureau = ccc.bureau("320000")
    before = {t.kind + str(t.post): t.count for t in ccc.call(bureau, "ListTodos", todo_pb.ListTodosRequest()).todos}
    ccc.submitted(ccc.enterprise(), location="320102")
    after = {t.kind + str(t.post): t.count for t in ccc.call(bureau, "ListTodos", todo_pb.ListTodosRequest()).todos}
    assert after["APPLICATION1"] == before["APPLICATION1"] + 1
    listed = ccc.call(bureau, "ListApplications", pb.ListApplicationsRequest(post=1))
    assert listed.total_size == after["APPLICATION1"]
    only_follow_up = ccc.call(ccc.bureau("320000", "FOLLOW_UP"), "ListTodos", todo_pb.ListTodosRequest()).todos
    assert [t.kind for t in only_follow_up] == ["USE_RECORD"]


def test_cnca_sees_every_bureaus_submitted_applications_but_takes_no_step(ccc):
    enterprise = ccc.enterprise()
    draft = ccc.draft(enterprise)
    shenzhen = ccc.submitted(enterprise, location="440305")
    cnca = ccc.staff("CNCA", "ACCEPTANCE")
    assert ccc.call(cnca, "GetApplication", pb.GetApplicationRequest(id=shenzhen.id)).bureau.code == SHENZHEN
    assert ccc.fails(cnca, "GetApplication", pb.GetApplicationRequest(id=draft.id)).code == grpc.StatusCode.NOT_FOUND
    assert ccc.fails(cnca, "ReviewAcceptance", review_pb.ReviewRequest(
        id=shenzhen.id, decision=review_pb.ReviewRequest.PASS)).code == grpc.StatusCode.PERMISSION_DENIED



class Failure(NamedTuple):
    method: str
    # The posts that pass the application on to the one deciding.
    passed: tuple[str, ...]
    status: int
    # The list's status column (manual §2.2, item 6).
    label: str
    action: str
    template: str


REVIEW_FAILURES = {
    "first_review": Failure("ReviewFirst", ("ReviewAcceptance",), STATUS.FIRST_REVIEW_FAILED, "初审未通过",
                            "FIRST_REVIEW_FAIL", "ccc_exemption.application.first_review_failed"),
    "final_review": Failure("ReviewFinal", ("ReviewAcceptance", "ReviewFirst"), STATUS.FINAL_REVIEW_FAILED,
                            "终审未通过", "FINAL_REVIEW_FAIL", "ccc_exemption.application.final_review_failed"),
}
failures = pytest.mark.parametrize("failure", REVIEW_FAILURES.values(), ids=REVIEW_FAILURES.keys())


def _at(ccc, bureau, passed: tuple[str, ...]) -> tuple:
    enterprise = ccc.enterprise()
    application = ccc.submitted(enterprise)
    for method in passed:
        application = ccc.review(bureau, method, application.id, "PASS")
    return enterprise, application


def _waiting(ccc, bureau) -> dict[int, int]:
    return {t.post: t.count for t in ccc.call(bureau, "ListTodos", todo_pb.ListTodosRequest()).todos
            if t.kind == "APPLICATION"}


@failures
def test_a_review_failure_needs_its_reason_and_leaves_the_application_at_its_post_without_one(ccc, failure):
    bureau = ccc.bureau(SHANGHAI)
    _, application = _at(ccc, bureau, failure.passed)
    for reason in ("", "  \n "):
        refusal = ccc.fails(bureau, failure.method, review_pb.ReviewRequest(
            id=application.id, decision=review_pb.ReviewRequest.FAIL, reason=reason))
        assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and list(refusal.fields) == ["reason"]
    unchanged = ccc.call(bureau, "GetApplication", pb.GetApplicationRequest(id=application.id))
    assert (unchanged.status, unchanged.post) == (STATUS.ACCEPTING, application.post)


@failures
def test_a_review_failure_ends_the_application_and_the_enterprise_is_told_and_reads_why(ccc, failure):
    bureau = ccc.bureau(SHANGHAI)
    enterprise, application = _at(ccc, bureau, failure.passed)
    waiting = _waiting(ccc, bureau)
    with ccc.new_notices(failure.template) as told:
        failed = ccc.review(bureau, failure.method, application.id, "FAIL", reason="  产品不属于所申请的免办条款范围  ")
    assert (failed.status, failed.status_label) == (failure.status, failure.label)
    seen = ccc.call(enterprise, "GetApplication", pb.GetApplicationRequest(id=application.id))
    assert (seen.status_label, seen.reason) == (failure.label, "产品不属于所申请的免办条款范围")
    assert not seen.editable and not seen.certificate_id
    last = seen.history[-1]
    assert (last.action, last.to_state, last.note) == (
        failure.action, STATUS_NAME(failure.status), "产品不属于所申请的免办条款范围")
    [notice] = told
    assert notice["channels"] == ["IN_SITE", "SMS", "EMAIL"]
    assert notice["params"] == {"applicationNumber": application.number, "bureauName": "上海市出入境检验检疫局",
                                "reason": "产品不属于所申请的免办条款范围"}
    assert _waiting(ccc, bureau)[application.post] == waiting[application.post] - 1


@failures
def test_a_failed_application_takes_no_further_step_and_the_refusal_names_its_status(ccc, failure):
    bureau = ccc.bureau(SHANGHAI)
    enterprise, application = _at(ccc, bureau, failure.passed)
    ccc.review(bureau, failure.method, application.id, "FAIL", reason="材料与实物不符")
    steps = [(bureau, name, review_pb.ReviewRequest(id=application.id, decision=decision, reason="再审"))
             for name in ("ReviewAcceptance", "ReviewFirst", "ReviewComparison", "ReviewFinal")
             for decision in (review_pb.ReviewRequest.PASS, review_pb.ReviewRequest.FAIL)]
    steps += [(bureau, "TerminateApplication", review_pb.TerminateApplicationRequest(id=application.id, reason="终止")),
              (enterprise, "UpdateApplication", pb.UpdateApplicationRequest(id=application.id, contact_name="改")),
              (enterprise, "SubmitApplication", pb.SubmitApplicationRequest(id=application.id))]
    for actor, name, request in steps:
        refusal = ccc.fails(actor, name, request)
        assert refusal.code == grpc.StatusCode.FAILED_PRECONDITION, (name, request)
        assert refusal.metadata["status"] == STATUS_NAME(failure.status), (name, refusal)
        assert failure.label in refusal.message, (name, refusal)
    still = ccc.call(enterprise, "GetApplication", pb.GetApplicationRequest(id=application.id))
    assert (still.status, still.reason) == (failure.status, "材料与实物不符")
