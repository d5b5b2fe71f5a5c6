"""Oversight: quality issues and replies, document and on-site checks with repeated supplements, the three
disposals and how they bind commissions, re-filing and the public query."""

from __future__ import annotations

from datetime import timedelta

import grpc
from sqlalchemy import update

from protos.inspection.v1 import checks_pb2, disposals_pb2, quality_issues_pb2, reference_pb2
from protos.inspection.v1 import commissions_pb2 as commission_pb
from protos.inspection.v1 import resources_pb2 as resources_pb
from services.inspection.domain.fields import today
from services.inspection.jobs import end_expired_disposals
from services.inspection.models import Disposal
from services.inspection.tests.commission_support import commission_request, pdf, submitted
from services.inspection.tests.filing_support import filed, filing_request


def test_customs_records_a_quality_issue_that_the_institution_answers(inspection):
    institution, filing = filed(inspection, name="质量检验机构")
    customs = inspection.customs("2200")
    mark = inspection.mark()
    issue = inspection.act(customs, "CreateQualityIssue", quality_issues_pb2.CreateQualityIssueRequest(
        filing_id=filing.id, title="检验报告缺少铭牌照片", description="业务WT001的检验报告未附设备铭牌照片"))
    assert issue.status == quality_issues_pb2.QualityIssue.OPEN and issue.number.startswith("ZL")
    [raised] = inspection.notices("inspection.quality_issue.raised", after=mark)
    assert raised["recipients"][0]["organizationId"] == institution.organization_id
    inspection.act(institution, "UploadQualityIssueAttachment", pdf("MATERIAL", issue.id, "photos.pdf"))
    answered = inspection.act(institution, "ReplyQualityIssue", quality_issues_pb2.ReplyQualityIssueRequest(
        id=issue.id, reply="已补拍铭牌照片并完善检验流程"))
    assert answered.status == quality_issues_pb2.QualityIssue.REPLIED
    [to_customs] = inspection.notices("inspection.quality_issue.replied", after=mark)
    assert to_customs["recipients"] == [{"agency": "CUSTOMS:2200"}]
    read = inspection.act(customs, "GetQualityIssue", quality_issues_pb2.GetQualityIssueRequest(id=issue.id))
    assert read.reply == "已补拍铭牌照片并完善检验流程"
    found = inspection.act(institution, "ListQualityIssues", quality_issues_pb2.ListQualityIssuesRequest(text="铭牌"))
    assert [q.id for q in found.quality_issues] == [issue.id]
    again = inspection.fails(institution, "ReplyQualityIssue", quality_issues_pb2.ReplyQualityIssueRequest(
        id=issue.id, reply="再次回复"))
    assert again.code == grpc.StatusCode.FAILED_PRECONDITION


def test_another_institutions_oversight_records_are_missing_to_it(inspection):
    _, filing = filed(inspection, name="被查检验机构")
    issue = inspection.act(inspection.customs(), "CreateQualityIssue", quality_issues_pb2.CreateQualityIssueRequest(
        filing_id=filing.id, title="问题", description="描述"))
    other = inspection.institution("其他检验机构")
    refusal = inspection.fails(other, "GetQualityIssue", quality_issues_pb2.GetQualityIssueRequest(id=issue.id))
    assert refusal.code == grpc.StatusCode.NOT_FOUND
    assert not inspection.act(other, "ListQualityIssues", quality_issues_pb2.ListQualityIssuesRequest()).quality_issues
    enterprise = inspection.enterprise()
    assert inspection.fails(enterprise, "CreateQualityIssue", quality_issues_pb2.CreateQualityIssueRequest(
        filing_id=filing.id, title="问题", description="描述")).code == grpc.StatusCode.PERMISSION_DENIED


def test_a_document_check_goes_round_until_customs_passes_it(inspection):
    institution, filing = filed(inspection, name="文件检查机构")
    customs = inspection.customs()
    mark = inspection.mark()
    check = inspection.act(customs, "CreateCheck", checks_pb2.CreateCheckRequest(
        filing_id=filing.id, kind=checks_pb2.DOCUMENT, title="2026年度文件检查", requirements="提交近一年检验记录"))
    assert check.status == checks_pb2.Check.PENDING_SUBMISSION
    assert inspection.notices("inspection.check.requested", after=mark)
    empty = inspection.fails(institution, "SubmitCheck", checks_pb2.SubmitCheckRequest(id=check.id, text="见附件"))
    assert set(empty.fields) == {"attachments"}
    inspection.act(institution, "UploadCheckAttachment", pdf("MATERIAL", check.id, "records.pdf"))
    inspection.act(institution, "SubmitCheck", checks_pb2.SubmitCheckRequest(id=check.id, text="见附件"))
    more = inspection.act(customs, "RequireCheckSupplement", resources_pb.OpinionRequest(
        id=check.id, opinion="缺少三月份记录"))
    assert more.status == checks_pb2.Check.SUPPLEMENT_REQUIRED
    assert inspection.notices("inspection.check.supplement_required", after=mark)
    stale = inspection.fails(institution, "SubmitCheck", checks_pb2.SubmitCheckRequest(id=check.id, text="同上"))
    assert set(stale.fields) == {"attachments"}
    inspection.act(institution, "UploadCheckAttachment", pdf("MATERIAL", check.id, "march.pdf"))
    inspection.act(institution, "SubmitCheck", checks_pb2.SubmitCheckRequest(id=check.id, text="已补充三月份记录"))
    passed = inspection.act(customs, "PassCheck", resources_pb.OpinionRequest(id=check.id))
    assert passed.status == checks_pb2.Check.PASSED and passed.rounds == 2
    assert [s.action for s in passed.steps] == ["SUBMIT", "REQUIRE_SUPPLEMENT", "SUBMIT", "PASS"]
    assert inspection.notices("inspection.check.passed", after=mark)
    done = inspection.fails(customs, "PassCheck", resources_pb.OpinionRequest(id=check.id))
    assert done.code == grpc.StatusCode.FAILED_PRECONDITION


def test_an_onsite_check_records_its_result_and_a_required_supplement_is_submitted(inspection):
    institution, filing = filed(inspection, name="实地检查机构")
    customs = inspection.customs()
    needs_opinion = inspection.fails(customs, "CreateCheck", checks_pb2.CreateCheckRequest(
        filing_id=filing.id, kind=checks_pb2.ONSITE, title="实地检查", requirements="现场核查",
        onsite_result=checks_pb2.CreateCheckRequest.REQUIRE_SUPPLEMENT))
    assert set(needs_opinion.fields) == {"opinion"}
    check = inspection.act(customs, "CreateCheck", checks_pb2.CreateCheckRequest(
        filing_id=filing.id, kind=checks_pb2.ONSITE, title="实地检查", requirements="现场核查",
        onsite_result=checks_pb2.CreateCheckRequest.REQUIRE_SUPPLEMENT, opinion="设备校准证书过期"))
    assert check.status == checks_pb2.Check.SUPPLEMENT_REQUIRED
    inspection.act(institution, "UploadCheckAttachment", pdf("MATERIAL", check.id, "calibration.pdf"))
    submitted_check = inspection.act(institution, "SubmitCheck", checks_pb2.SubmitCheckRequest(
        id=check.id, text="已重新校准"))
    assert submitted_check.status == checks_pb2.Check.SUBMITTED
    clean = inspection.act(customs, "CreateCheck", checks_pb2.CreateCheckRequest(
        filing_id=filing.id, kind=checks_pb2.ONSITE, title="复查", requirements="现场复查",
        onsite_result=checks_pb2.CreateCheckRequest.PASS))
    assert clean.status == checks_pb2.Check.PASSED


def _institutions(inspection, name: str) -> list:
    found = inspection.act(None, "ListInstitutions", reference_pb2.ListInstitutionsRequest(name=name))
    return list(found.institutions)


def test_not_recognized_refuses_commissions_and_refiling_and_shows_in_the_public_query(inspection):
    institution, filing = filed(inspection, name="不予认可检验机构")
    enterprise = inspection.enterprise()
    waiting = submitted(inspection, enterprise, filing.id)
    ends = (today() + timedelta(days=90)).isoformat()
    mark = inspection.mark()
    disposal = inspection.act(inspection.customs(), "CreateDisposal", disposals_pb2.CreateDisposalRequest(
        filing_id=filing.id, kind=disposals_pb2.NOT_RECOGNIZED, reason="检验结果严重失实", ends_on=ends))
    assert disposal.status == disposals_pb2.Disposal.IN_FORCE
    [imposed] = inspection.notices("inspection.disposal.imposed", after=mark)
    assert ends in imposed["params"]["period"]

    refused = inspection.fails(enterprise, "CreateCommission", commission_request(filing.id))
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION and refused.reason == "INSTITUTION_DISPOSED"
    assert "在处置时间范围内无法被企业委托受理" in refused.message and ends in refused.message
    not_taken = inspection.fails(institution, "AcceptCommission", commission_pb.AcceptCommissionRequest(id=waiting.id))
    assert not_taken.reason == "INSTITUTION_DISPOSED"
    [shown] = _institutions(inspection, "不予认可检验机构")
    assert (shown.disposal_status, shown.disposal_ends_on) == ("不予认可装运前检验结果", ends)
    assert not inspection.act(None, "ListInstitutions", reference_pb2.ListInstitutionsRequest(
        name="不予认可检验机构", available_only=True)).institutions
    refiling = inspection.fails(institution, "CreateFiling", filing_request())
    assert refiling.message == "不予认可处置期间不予重新备案"


def test_a_not_recognized_period_ends_by_itself_once_its_last_day_is_past(inspection):
    institution, filing = filed(inspection, name="期满检验机构")
    disposal = inspection.act(inspection.customs(), "CreateDisposal", disposals_pb2.CreateDisposalRequest(
        filing_id=filing.id, kind=disposals_pb2.NOT_RECOGNIZED, reason="结果失实",
        ends_on=(today() + timedelta(days=1)).isoformat()))
    with inspection.context.engine.begin() as connection:
        connection.execute(update(Disposal).where(Disposal.id == disposal.id)
                           .values(ends_on=today() - timedelta(days=1)))
    # Past its last day it binds nobody, even before the job has run.
    assert _institutions(inspection, "期满检验机构")[0].disposal_status == "正常"
    mark = inspection.mark()
    assert end_expired_disposals(inspection.context) >= 1
    assert end_expired_disposals(inspection.context) == 0
    assert len(inspection.notices("inspection.disposal.ended", after=mark)) == 1
    ended = inspection.act(institution, "GetDisposal", disposals_pb2.GetDisposalRequest(id=disposal.id))
    assert ended.status == disposals_pb2.Disposal.ENDED


def test_rectification_binds_until_its_materials_are_approved_and_it_is_lifted(inspection):
    institution, filing = filed(inspection, name="整改检验机构")
    customs, enterprise = inspection.customs(), inspection.enterprise()
    deadline = (today() + timedelta(days=30)).isoformat()
    disposal = inspection.act(customs, "CreateDisposal", disposals_pb2.CreateDisposalRequest(
        filing_id=filing.id, kind=disposals_pb2.RECTIFICATION, reason="质量管理体系运行不到位", ends_on=deadline))
    assert _institutions(inspection, "整改检验机构")[0].disposal_status == "限期整改"
    refused = inspection.fails(enterprise, "CreateCommission", commission_request(filing.id))
    assert "限期整改" in refused.message
    assert inspection.fails(institution, "CreateFiling", filing_request()).message == "请完成限期整改后重新备案"
    early = inspection.fails(customs, "LiftDisposal", resources_pb.OpinionRequest(id=disposal.id))
    assert early.code == grpc.StatusCode.FAILED_PRECONDITION

    inspection.act(institution, "UploadDisposalAttachment", pdf("MATERIAL", disposal.id, "rectification.pdf"))
    inspection.act(institution, "SubmitDisposalMaterials", disposals_pb2.SubmitDisposalMaterialsRequest(
        id=disposal.id, text="已完成整改"))
    back = inspection.act(customs, "RequireDisposalSupplement", resources_pb.OpinionRequest(
        id=disposal.id, opinion="请补充内审记录"))
    assert back.status == disposals_pb2.Disposal.IN_FORCE
    inspection.act(institution, "UploadDisposalAttachment", pdf("MATERIAL", disposal.id, "audit.pdf"))
    inspection.act(institution, "SubmitDisposalMaterials", disposals_pb2.SubmitDisposalMaterialsRequest(
        id=disposal.id, text="已补充内审记录"))
    mark = inspection.mark()
    lifted = inspection.act(customs, "LiftDisposal", resources_pb.OpinionRequest(id=disposal.id, opinion="整改合格"))
    assert lifted.status == disposals_pb2.Disposal.LIFTED
    assert inspection.notices("inspection.disposal.lifted", after=mark)
    assert _institutions(inspection, "整改检验机构")[0].disposal_status == "正常"
    assert inspection.act(enterprise, "CreateCommission", commission_request(filing.id)).status == \
        commission_pb.Commission.DRAFT


def test_a_revoked_filing_leaves_the_public_query_and_its_institution_may_file_again(inspection):
    institution, filing = filed(inspection, name="撤销检验机构")
    disposal = inspection.act(inspection.customs(), "CreateDisposal", disposals_pb2.CreateDisposalRequest(
        filing_id=filing.id, kind=disposals_pb2.REVOKE_FILING, reason="以欺骗手段取得备案"))
    assert disposal.status == disposals_pb2.Disposal.EXECUTED
    assert not _institutions(inspection, "撤销检验机构")
    refused = inspection.fails(inspection.enterprise(), "CreateCommission", commission_request(filing.id))
    assert set(refused.fields) == {"filingId"}
    again = inspection.act(institution, "CreateFiling", filing_request("撤销检验机构"))
    assert again.id != filing.id
    cannot_lift = inspection.fails(inspection.customs(), "LiftDisposal", resources_pb.OpinionRequest(id=disposal.id))
    assert cannot_lift.code == grpc.StatusCode.FAILED_PRECONDITION


def test_a_disposal_needs_its_kind_reason_and_end_date(inspection):
    _, filing = filed(inspection, name="处置校验机构")
    refusal = inspection.fails(inspection.customs(), "CreateDisposal", disposals_pb2.CreateDisposalRequest(
        filing_id=filing.id, kind=disposals_pb2.NOT_RECOGNIZED))
    assert set(refusal.fields) == {"reason", "endsOn"}
    past = inspection.fails(inspection.customs(), "CreateDisposal", disposals_pb2.CreateDisposalRequest(
        filing_id=filing.id, kind=disposals_pb2.RECTIFICATION, reason="原因", ends_on="2001-01-01"))
    assert set(past.fields) == {"endsOn"}
