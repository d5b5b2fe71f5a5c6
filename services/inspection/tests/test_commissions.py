"""Commissions: the enterprise's fields, goods and documents; the institution accepts, returns and completes;
who sees what; the refusals the issue names."""

from __future__ import annotations

import grpc

from protos.inspection.v1 import commissions_pb2 as pb
from protos.inspection.v1 import resources_pb2 as resources_pb
from services.inspection.tests.commission_support import commission_request, drafted, goods_request, pdf, submitted
from services.inspection.tests.filing_support import applied, filed


def test_totals_are_computed_from_the_goods_lines_never_entered(inspection):
    _, filing = filed(inspection, name="合计检验机构")
    enterprise = inspection.enterprise()
    draft = inspection.act(enterprise, "CreateCommission", commission_request(filing.id))
    assert draft.status == pb.Commission.DRAFT and draft.number.startswith("WT")
    assert draft.entry_customs.name == "上海海关" and draft.usage.name == "生产自用"
    assert draft.institution_name == "合计检验机构" and draft.enterprise_name == "示范进口企业有限公司"
    first = inspection.act(enterprise, "AddGoods", goods_request(draft.id))
    assert first.amount == "250001.00"
    inspection.act(enterprise, "AddGoods", goods_request(draft.id, name="激光切割机", hs_code="8456110090",
                                                          quantity="1.5", unit_price="80000"))
    now = inspection.act(enterprise, "GetCommission", pb.GetCommissionRequest(id=draft.id))
    assert (now.total_quantity, now.total_amount, now.currency) == ("3.500", "370001.00", "EUR")
    inspection.act(enterprise, "DeleteGoods", pb.DeleteGoodsRequest(id=draft.id, goods_id=first.id))
    after = inspection.act(enterprise, "GetCommission", pb.GetCommissionRequest(id=draft.id))
    assert (after.total_quantity, after.total_amount) == ("1.500", "120000.00")


def test_goods_lines_share_one_currency_and_bad_fields_are_named(inspection):
    _, filing = filed(inspection, name="币制检验机构")
    enterprise = inspection.enterprise()
    draft = inspection.act(enterprise, "CreateCommission", commission_request(filing.id))
    inspection.act(enterprise, "AddGoods", goods_request(draft.id))
    mixed = inspection.fails(enterprise, "AddGoods", goods_request(draft.id, currency="USD"))
    assert set(mixed.fields) == {"currency"}
    bad = inspection.fails(enterprise, "AddGoods", goods_request(draft.id, hs_code="8462", quantity="0",
                                                                 unit_price="abc", manufacture_year=1800))
    assert set(bad.fields) == {"hsCode", "quantity", "unitPrice", "manufactureYear"}


def test_contacts_and_dropdowns_are_checked_each_named(inspection):
    _, filing = filed(inspection, name="校验检验机构")
    refusal = inspection.fails(inspection.enterprise(), "CreateCommission", commission_request(
        filing.id, contact_mobile="1234", contact_email="nobody", contact_phone="x", entry_customs="9999",
        usage="", consignee=""))
    assert set(refusal.fields) == {"contactMobile", "contactEmail", "contactPhone", "entryCustoms", "usage",
                                   "consignee"}
    unknown = inspection.fails(inspection.enterprise(), "CreateCommission", commission_request("no-such-filing"))
    assert set(unknown.fields) == {"filingId"}


def test_an_institution_whose_filing_is_not_accepted_cannot_be_chosen(inspection):
    institution = inspection.institution()
    pending = applied(inspection, institution)
    refusal = inspection.fails(inspection.enterprise(), "CreateCommission", commission_request(pending.id))
    assert set(refusal.fields) == {"filingId"}


def test_a_commission_needs_goods_and_a_document_before_it_is_submitted(inspection):
    _, filing = filed(inspection, name="材料检验机构")
    enterprise = inspection.enterprise()
    draft = inspection.act(enterprise, "CreateCommission", commission_request(filing.id))
    refusal = inspection.fails(enterprise, "SubmitCommission", pb.SubmitCommissionRequest(id=draft.id))
    assert set(refusal.fields) == {"goods", "attachments"}


def test_the_institution_returns_the_enterprise_corrects_and_it_is_accepted_and_completed(inspection):
    institution, filing = filed(inspection, name="全流程检验机构")
    enterprise = inspection.enterprise("流程进口企业")
    mark = inspection.mark()
    sent = submitted(inspection, enterprise, filing.id)
    assert sent.status == pb.Commission.SUBMITTED
    [received] = inspection.notices("inspection.commission.received", after=mark)
    assert received["recipients"] == [{"organizationId": institution.organization_id, "scope": "inspection"}]

    listed = inspection.act(institution, "ListCommissions", pb.ListCommissionsRequest(enterprise_name="流程"))
    assert [c.id for c in listed.commissions] == [sent.id]
    returned = inspection.act(institution, "ReturnCommission", pb.ReturnCommissionRequest(
        id=sent.id, reason="请补充装箱单"))
    assert returned.status == pb.Commission.SUPPLEMENT and returned.return_reason == "请补充装箱单"
    [told] = inspection.notices("inspection.commission.returned", after=mark)
    assert told["recipients"][0]["organizationId"] == enterprise.organization_id
    assert told["params"]["reason"] == "请补充装箱单"

    inspection.act(enterprise, "UploadCommissionAttachment", pdf("PACKING_LIST", sent.id, "packing.pdf"))
    inspection.act(enterprise, "UpdateCommission", pb.UpdateCommissionRequest(id=sent.id, contact_name="李经理"))
    again = inspection.act(enterprise, "SubmitCommission", pb.SubmitCommissionRequest(id=sent.id))
    assert again.status == pb.Commission.SUBMITTED and again.contact_name == "李经理"
    taken = inspection.act(institution, "AcceptCommission", pb.AcceptCommissionRequest(id=sent.id))
    assert taken.status == pb.Commission.IN_PROGRESS
    assert inspection.notices("inspection.commission.accepted", after=mark)

    no_result = inspection.fails(institution, "CompleteCommission", pb.CompleteCommissionRequest(
        id=sent.id, certificate_number="PSI-2026-001", valid_until="2027-06-30"))
    assert set(no_result.fields) == {"file"}
    result = pdf("RESULT", sent.id, "result.pdf")
    done = inspection.act(institution, "CompleteCommission", pb.CompleteCommissionRequest(
        id=sent.id, certificate_number="PSI-2026-001", valid_until="2027-06-30", file=result.file))
    assert done.status == pb.Commission.COMPLETED and done.result_certificate_number == "PSI-2026-001"
    [completed] = inspection.notices("inspection.commission.completed", after=mark)
    assert completed["params"]["validUntil"] == "2027-06-30"
    listed = inspection.act(enterprise, "ListCommissionAttachments", resources_pb.ListAttachmentsRequest(id=sent.id))
    kinds = {a.kind for a in listed.attachments}
    assert kinds == {"CONTRACT", "PACKING_LIST", "RESULT"}


def test_an_action_not_allowed_in_the_commissions_state_is_refused(inspection):
    institution, filing = filed(inspection, name="状态检验机构")
    enterprise = inspection.enterprise()
    draft = drafted(inspection, enterprise, filing.id)
    refusal = inspection.fails(institution, "AcceptCommission", pb.AcceptCommissionRequest(id=draft.id))
    assert refusal.code == grpc.StatusCode.NOT_FOUND  # a draft is not yet the institution's to see
    sent = inspection.act(enterprise, "SubmitCommission", pb.SubmitCommissionRequest(id=draft.id))
    early = inspection.fails(institution, "CompleteCommission", pb.CompleteCommissionRequest(
        id=sent.id, certificate_number="X-1", valid_until="2027-01-01"))
    assert early.code == grpc.StatusCode.FAILED_PRECONDITION and early.reason == "COMMISSION_STATE_INVALID"
    locked = inspection.fails(enterprise, "AddGoods", goods_request(sent.id))
    assert locked.code == grpc.StatusCode.FAILED_PRECONDITION


def test_another_enterprises_commission_is_missing_to_it(inspection):
    _, filing = filed(inspection, name="可见性检验机构")
    owner, other = inspection.enterprise("甲企业"), inspection.enterprise("乙企业")
    sent = submitted(inspection, owner, filing.id)
    for method, request in (("GetCommission", pb.GetCommissionRequest(id=sent.id)),
                            ("UpdateCommission", pb.UpdateCommissionRequest(id=sent.id, consignee="乙")),
                            ("AddGoods", goods_request(sent.id))):
        assert inspection.fails(other, method, request).code == grpc.StatusCode.NOT_FOUND
    assert not inspection.act(other, "ListCommissions", pb.ListCommissionsRequest()).commissions
    stranger = inspection.institution("无关检验机构")
    assert inspection.fails(stranger, "AcceptCommission", pb.AcceptCommissionRequest(id=sent.id)).code == \
        grpc.StatusCode.NOT_FOUND


def test_the_sides_may_not_act_for_each_other(inspection):
    institution, filing = filed(inspection, name="角色检验机构")
    enterprise = inspection.enterprise()
    sent = submitted(inspection, enterprise, filing.id)
    assert inspection.fails(enterprise, "AcceptCommission", pb.AcceptCommissionRequest(id=sent.id)).code == \
        grpc.StatusCode.PERMISSION_DENIED
    assert inspection.fails(institution, "UploadCommissionAttachment", pdf("CONTRACT", sent.id)).code == \
        grpc.StatusCode.PERMISSION_DENIED
    assert inspection.fails(institution, "CreateCommission", commission_request(filing.id)).reason == \
        "ENTERPRISE_ONLY"
    customs_view = inspection.act(inspection.customs(), "GetCommission", pb.GetCommissionRequest(id=sent.id))
    assert customs_view.number == sent.number


def test_the_enterprise_queries_its_commissions_by_the_manuals_fields(inspection):
    _, filing = filed(inspection, name="查询检验机构")
    enterprise = inspection.enterprise()
    sent = submitted(inspection, enterprise, filing.id)
    other = inspection.act(enterprise, "CreateCommission", commission_request(filing.id, destination="440000",
                                                                               usage="02"))

    def ids(**query):
        return [c.id for c in inspection.act(enterprise, "ListCommissions",
                                              pb.ListCommissionsRequest(**query)).commissions]
    assert ids(number=sent.number) == [sent.id]
    assert ids(destination="440000") == [other.id]
    assert ids(usage="02", status=pb.Commission.DRAFT) == [other.id]
    assert set(ids(filing_id=filing.id, consignee="示范机械")) == {sent.id, other.id}
    assert ids(entry_customs="2200", status=pb.Commission.SUBMITTED) == [sent.id]
    assert ids(created_from="2000-01-01", created_to="2000-12-31") == []
    bad = inspection.fails(enterprise, "ListCommissions", pb.ListCommissionsRequest(created_from="yesterday"))
    assert set(bad.fields) == {"createdFrom"}


def test_amounts_too_large_for_a_commission_and_unknown_enum_numbers_are_bad_fields(inspection):
    _, filing = filed(inspection, name="上限检验机构")
    enterprise = inspection.enterprise()
    draft = inspection.act(enterprise, "CreateCommission", commission_request(filing.id))
    huge = inspection.fails(enterprise, "AddGoods", goods_request(draft.id, quantity="9999999999", unit_price="5000"))
    assert set(huge.fields) == {"unitPrice"}
    unknown = inspection.fails(enterprise, "ListCommissions", pb.ListCommissionsRequest(status=42))
    assert set(unknown.fields) == {"status"}


def test_an_anonymous_caller_is_refused_before_its_fields_are_judged(inspection):
    refusal = inspection.fails(None, "CompleteCommission", pb.CompleteCommissionRequest(id="x", valid_until="bad"))
    assert refusal.code == grpc.StatusCode.UNAUTHENTICATED
