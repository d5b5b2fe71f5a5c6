"""Filing: drafted, filled, applied for, sent back for supplements, accepted with a certificate number;
changes approved or rejected; every refusal the manual and the issue name."""

from __future__ import annotations

import grpc

from protos.common.v1 import common_pb2 as common_pb
from protos.inspection.v1 import filings_pb2 as pb
from protos.inspection.v1 import resources_pb2 as resources_pb
from services.chassis.documents.tests.files import EXECUTABLE, MINIMAL_PDF
from services.inspection.tests.filing_support import applied, filed, filing_request, fill_sub_tables


def test_an_institution_drafts_fills_applies_is_asked_for_supplements_and_is_accepted(inspection):
    institution, customs = inspection.institution("汉堡检验公司"), inspection.customs()
    draft = inspection.act(institution, "CreateFiling", filing_request("汉堡检验公司"))
    assert draft.status == pb.Filing.DRAFT and draft.application_number.startswith("BA")
    assert draft.certificate_number == "" and draft.id_number == "C01**0T47"
    fill_sub_tables(inspection, institution, draft.id)
    mark = inspection.mark()
    submitted = inspection.act(institution, "SubmitFiling", pb.SubmitFilingRequest(id=draft.id))
    assert submitted.status == pb.Filing.SUBMITTED
    [to_customs] = inspection.notices("inspection.filing.submitted", after=mark)
    assert to_customs["recipients"] == [{"agency": "CUSTOMS:0000"}]

    supplement = inspection.act(customs, "RequestFilingSupplement", resources_pb.OpinionRequest(
        id=draft.id, opinion="请补充检测设备的校准证书"))
    assert supplement.status == pb.Filing.SUPPLEMENT_REQUIRED
    [notice] = inspection.notices("inspection.filing.supplement_required", after=mark)
    assert notice["params"]["notice"] == "请补充检测设备的校准证书"
    assert notice["recipients"] == [{"organizationId": institution.organization_id, "scope": "inspection"}]
    assert set(notice["channels"]) == {"IN_SITE", "SMS", "EMAIL"}

    edited = inspection.act(institution, "UpdateFiling", pb.UpdateFilingRequest(id=draft.id, phone="+49 40 1111111"))
    assert edited.phone == "+49 40 1111111" and edited.name == "汉堡检验公司"
    inspection.act(institution, "SubmitFiling", pb.SubmitFilingRequest(id=draft.id))
    accepted = inspection.act(customs, "AcceptFiling", pb.AcceptFilingRequest(id=draft.id))
    assert accepted.status == pb.Filing.ACCEPTED and accepted.certificate_number.startswith("ZJB")
    [told] = inspection.notices("inspection.filing.accepted", after=mark)
    assert told["params"]["certificateNumber"] == accepted.certificate_number
    assert len(accepted.departments) == 1 and len(accepted.equipment) == 1 and len(accepted.certifications) == 1


def test_each_accepted_filing_gets_the_next_certificate_number_of_the_year(inspection):
    _, first = filed(inspection, name="第一检验机构")
    _, second = filed(inspection, name="第二检验机构")
    assert int(second.certificate_number[-4:]) == int(first.certificate_number[-4:]) + 1
    given = inspection.act(inspection.customs(), "AcceptFiling", pb.AcceptFilingRequest(
        id=applied(inspection, inspection.institution("编号机构")).id, certificate_number="ZJB-DE-0099"))
    assert given.certificate_number == "ZJB-DE-0099"
    taken = inspection.fails(inspection.customs(), "AcceptFiling", pb.AcceptFilingRequest(
        id=applied(inspection, inspection.institution("重号机构")).id, certificate_number="ZJB-DE-0099"))
    assert taken.code == grpc.StatusCode.ALREADY_EXISTS and taken.metadata["field"] == "certificateNumber"


def test_bad_fields_of_a_draft_are_refused_each_named(inspection):
    institution = inspection.institution()
    refusal = inspection.fails(institution, "CreateFiling", filing_request(
        phone="call me", email="not-an-email", id_type=pb.ID_CARD, id_number="110101199003077770", country="XX",
        address=""))
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(refusal.fields) == {"phone", "email", "idNumber", "country", "address"}
    assert "校验位" in refusal.fields["idNumber"]


def test_a_filing_cannot_be_applied_for_without_its_sub_tables(inspection):
    institution = inspection.institution()
    draft = inspection.act(institution, "CreateFiling", filing_request())
    refusal = inspection.fails(institution, "SubmitFiling", pb.SubmitFilingRequest(id=draft.id))
    assert set(refusal.fields) == {"departments", "equipment", "certifications"}


def test_sub_table_rows_are_checked_and_removed_while_the_filing_is_a_draft(inspection):
    institution = inspection.institution()
    draft = inspection.act(institution, "CreateFiling", filing_request())
    bad = inspection.fails(institution, "AddPastInspection", pb.AddPastInspectionRequest(
        id=draft.id, year=2001, goods_category="", batch_count=-1, goods_value="1e5", currency="USD"))
    assert set(bad.fields) == {"year", "goodsCategory", "batchCount", "goodsValue"}
    row = inspection.act(institution, "AddPastInspection", pb.AddPastInspectionRequest(
        id=draft.id, year=2025, goods_category="金属加工机床", batch_count=40, goods_value="1250000.50",
        currency="EUR"))
    assert row.goods_value == "1250000.50"
    inspection.act(institution, "DeletePastInspection", pb.DeleteRowRequest(id=draft.id, row_id=row.id))
    assert not inspection.act(institution, "GetFiling", pb.GetFilingRequest(id=draft.id)).inspections
    gone = inspection.fails(institution, "DeletePastInspection", pb.DeleteRowRequest(id=draft.id, row_id=row.id))
    assert gone.code == grpc.StatusCode.NOT_FOUND


def test_a_submitted_filing_is_no_longer_edited(inspection):
    institution = inspection.institution()
    submitted = applied(inspection, institution)
    refusal = inspection.fails(institution, "UpdateFiling", pb.UpdateFilingRequest(id=submitted.id,
                                                                                  phone="+1 555 1234"))
    assert refusal.code == grpc.StatusCode.FAILED_PRECONDITION and "已申请" in refusal.message
    twice = inspection.fails(institution, "SubmitFiling", pb.SubmitFilingRequest(id=submitted.id))
    assert twice.code == grpc.StatusCode.FAILED_PRECONDITION and twice.reason == "FILING_STATE_INVALID"


def test_another_institutions_filing_is_missing_to_it(inspection):
    owner, other = inspection.institution(), inspection.institution("其他机构")
    draft = inspection.act(owner, "CreateFiling", filing_request())
    for method, request in (("GetFiling", pb.GetFilingRequest(id=draft.id)),
                            ("UpdateFiling", pb.UpdateFilingRequest(id=draft.id, phone="+1 555 1234")),
                            ("SubmitFiling", pb.SubmitFilingRequest(id=draft.id))):
        assert inspection.fails(other, method, request).code == grpc.StatusCode.NOT_FOUND
    assert draft.id not in {f.id for f in inspection.act(other, "ListFilings", pb.ListFilingsRequest()).filings}


def test_customs_actions_are_refused_to_an_institution_and_to_an_enterprise(inspection):
    institution = inspection.institution()
    submitted = applied(inspection, institution)
    for actor in (institution, inspection.enterprise()):
        refusal = inspection.fails(actor, "AcceptFiling", pb.AcceptFilingRequest(id=submitted.id))
        assert refusal.code == grpc.StatusCode.PERMISSION_DENIED and refusal.reason == "CUSTOMS_ONLY"


def test_only_an_overseas_institution_files_and_only_once(inspection):
    refusal = inspection.fails(inspection.enterprise(), "CreateFiling", filing_request())
    assert refusal.code == grpc.StatusCode.PERMISSION_DENIED and refusal.reason == "INSTITUTION_ONLY"
    institution = inspection.institution()
    inspection.act(institution, "CreateFiling", filing_request())
    again = inspection.fails(institution, "CreateFiling", filing_request())
    assert again.code == grpc.StatusCode.ALREADY_EXISTS and "未完成的备案申请" in again.message


def test_a_refused_filing_lets_the_institution_file_anew(inspection):
    institution = inspection.institution()
    submitted = applied(inspection, institution)
    refused = inspection.act(inspection.customs(), "RefuseFiling", resources_pb.OpinionRequest(id=submitted.id,
                                                                                     opinion="资质不符合要求"))
    assert refused.status == pb.Filing.NOT_ACCEPTED and refused.review_opinion == "资质不符合要求"
    assert inspection.act(institution, "CreateFiling", filing_request()).status == pb.Filing.DRAFT
    no_reason = inspection.fails(inspection.customs(), "RefuseFiling", resources_pb.OpinionRequest(id=submitted.id))
    assert set(no_reason.fields) == {"opinion"}


def test_an_approved_change_takes_effect_and_a_rejected_one_leaves_the_filing_as_it_was(inspection):
    institution, accepted = filed(inspection, name="变更检验机构")
    customs = inspection.customs()
    change = inspection.act(institution, "CreateFilingChange", pb.CreateFilingChangeRequest(
        id=accepted.id, address="Neuer Wall 10, 20354 Hamburg", phone=accepted.phone))
    assert change.status == pb.FilingChange.PENDING
    assert [(c.field, c.new_value) for c in change.changes] == [("address", "Neuer Wall 10, 20354 Hamburg")]
    assert inspection.act(institution, "GetFiling", pb.GetFilingRequest(id=accepted.id)).pending_change_id == change.id
    second = inspection.fails(institution, "CreateFilingChange", pb.CreateFilingChangeRequest(id=accepted.id,
                                                                                             email="a@b.de"))
    assert second.code == grpc.StatusCode.ALREADY_EXISTS
    mark = inspection.mark()
    approved = inspection.act(customs, "ApproveFilingChange", resources_pb.OpinionRequest(id=change.id))
    assert approved.status == pb.FilingChange.APPROVED
    now = inspection.act(institution, "GetFiling", pb.GetFilingRequest(id=accepted.id))
    assert now.address == "Neuer Wall 10, 20354 Hamburg" and now.pending_change_id == ""
    assert inspection.notices("inspection.filing_change.approved", after=mark)

    rejected_change = inspection.act(institution, "CreateFilingChange", pb.CreateFilingChangeRequest(
        id=accepted.id, email="new@example.de"))
    rejected = inspection.act(customs, "RejectFilingChange", resources_pb.OpinionRequest(id=rejected_change.id,
                                                                               opinion="邮箱未经核实"))
    assert rejected.status == pb.FilingChange.REJECTED
    assert inspection.act(institution, "GetFiling", pb.GetFilingRequest(id=accepted.id)).email == accepted.email
    decided = inspection.fails(customs, "ApproveFilingChange", resources_pb.OpinionRequest(id=rejected_change.id))
    assert decided.code == grpc.StatusCode.FAILED_PRECONDITION


def test_only_an_accepted_filing_files_a_change_and_only_of_something_new(inspection):
    institution = inspection.institution()
    draft = inspection.act(institution, "CreateFiling", filing_request())
    refusal = inspection.fails(institution, "CreateFilingChange", pb.CreateFilingChangeRequest(id=draft.id,
                                                                                              email="x@y.de"))
    assert refusal.code == grpc.StatusCode.FAILED_PRECONDITION
    filed_institution, accepted = filed(inspection, name="未变更机构")
    same = inspection.fails(filed_institution, "CreateFilingChange", pb.CreateFilingChangeRequest(
        id=accepted.id, email=accepted.email))
    assert same.code == grpc.StatusCode.INVALID_ARGUMENT


def test_an_institution_lists_its_changes_and_customs_lists_all(inspection):
    institution, accepted = filed(inspection, name="列表机构")
    change = inspection.act(institution, "CreateFilingChange", pb.CreateFilingChangeRequest(
        id=accepted.id, contact_name="Neue Kontaktperson"))
    own = inspection.act(institution, "ListFilingChanges", pb.ListFilingChangesRequest())
    assert [c.id for c in own.filing_changes] == [change.id]
    pending = inspection.act(inspection.customs(), "ListFilingChanges", pb.ListFilingChangesRequest(
        status=pb.FilingChange.PENDING, page_size=200))
    assert change.id in {c.id for c in pending.filing_changes}
    other = inspection.institution("旁观机构")
    assert inspection.fails(other, "GetFilingChange", pb.GetFilingChangeRequest(id=change.id)).code == \
        grpc.StatusCode.NOT_FOUND


def test_filing_materials_are_kept_while_the_filing_is_edited_and_seen_by_customs(inspection):
    institution = inspection.institution()
    draft = inspection.act(institution, "CreateFiling", filing_request())
    upload = resources_pb.UploadAttachmentRequest(id=draft.id, kind="QUALIFICATION", file=common_pb.FileUpload(
        file_name="accreditation.pdf", content_type="application/pdf", content=MINIMAL_PDF))
    stored = inspection.act(institution, "UploadFilingAttachment", upload)
    assert stored.kind == "QUALIFICATION" and stored.content_type == "application/pdf"
    exe = inspection.fails(institution, "UploadFilingAttachment", resources_pb.UploadAttachmentRequest(
        id=draft.id, kind="OTHER", file=common_pb.FileUpload(file_name="x.pdf", content=EXECUTABLE)))
    assert set(exe.fields) == {"file"}
    fill_sub_tables(inspection, institution, draft.id)
    inspection.act(institution, "SubmitFiling", pb.SubmitFilingRequest(id=draft.id))
    late = inspection.fails(institution, "UploadFilingAttachment", upload)
    assert late.code == grpc.StatusCode.FAILED_PRECONDITION
    listed = inspection.act(inspection.customs(), "ListFilingAttachments",
                             resources_pb.ListAttachmentsRequest(id=draft.id))
    assert [a.id for a in listed.attachments] == [stored.id]
    other = inspection.fails(inspection.institution("他人"), "ListFilingAttachments",
                             resources_pb.ListAttachmentsRequest(id=draft.id))
    assert other.code == grpc.StatusCode.NOT_FOUND


def test_an_institutions_id_number_is_stored_encrypted_and_answered_masked(inspection):
    from sqlalchemy import text

    institution = inspection.institution("加密检验机构")
    created = inspection.act(institution, "CreateFiling", filing_request("加密检验机构", id_number="E98765432"))
    assert created.id_number == "E98**5432"
    with inspection.context.engine.connect() as connection:
        stored = connection.execute(text("SELECT id_number FROM filings WHERE id = :id"), {"id": created.id}).scalar()
    assert b"E98765432" not in bytes(stored)
