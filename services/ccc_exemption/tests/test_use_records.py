"""Use records: user units, returns and destructions; positive whole numbers within what remains; FOLLOW_UP
approves or, with an opinion, rejects (the quantity given back to what remains)."""

from __future__ import annotations

import grpc

from protos.ccc_exemption.v1 import certificates_pb2 as certificates_pb
from protos.ccc_exemption.v1 import use_records_pb2 as pb
from protos.common.v1 import common_pb2
from services.ccc_exemption.tests.support import PDF, SHANGHAI, SHENZHEN


def _certificate(ccc, enterprise):
    application = ccc.issued(enterprise)
    return ccc.call(enterprise, "GetCertificate", certificates_pb.GetCertificateRequest(id=application.certificate_id))


def _fields(product, quantity: str, kind=pb.USER_UNIT, **extra) -> pb.UseRecordFields:
    return pb.UseRecordFields(kind=kind, certificate_product_id=product.id, quantity=quantity, **extra)


def test_a_user_unit_record_defaults_its_address_and_is_approved_by_follow_up(ccc):
    enterprise = ccc.enterprise()
    certificate = _certificate(ccc, enterprise)
    product = certificate.products[0]
    saved = ccc.call(enterprise, "CreateUseRecord", pb.CreateUseRecordRequest(
        certificate_id=certificate.id, record=_fields(product, "4", user_unit_name="上海某研究所")))
    assert saved.status == pb.UseRecord.SAVED and saved.address.startswith("上海市浦东新区")
    assert saved.contact_phone == "13916001234" and saved.remaining_quantity == "6"
    ccc.call(enterprise, "UploadUseRecordAttachment", pb.UploadUseRecordAttachmentRequest(
        certificate_id=certificate.id, use_record_id=saved.id,
        file=common_pb2.FileUpload(file_name="receipt.pdf", content=PDF)))
    submitted = ccc.call(enterprise, "SubmitUseRecord", pb.UseRecordRequest(certificate_id=certificate.id,
                                                                           id=saved.id))
    assert submitted.status == pb.UseRecord.SUBMITTED and len(submitted.attachments) == 1
    assert ccc.fails(enterprise, "UpdateUseRecord", pb.UpdateUseRecordRequest(
        certificate_id=certificate.id, id=saved.id, record=_fields(product, "1"))).code == \
        grpc.StatusCode.FAILED_PRECONDITION
    follow_up = ccc.bureau(SHANGHAI, "FOLLOW_UP")
    waiting = ccc.call(follow_up, "ListBureauUseRecords", pb.ListBureauUseRecordsRequest(
        status=pb.UseRecord.SUBMITTED))
    assert saved.id in {r.id for r in waiting.use_records}
    approved = ccc.call(follow_up, "ApproveUseRecord", pb.ReviewUseRecordRequest(certificate_id=certificate.id,
                                                                                 id=saved.id))
    assert approved.status == pb.UseRecord.APPROVED
    assert ccc.fails(ccc.bureau(SHANGHAI, "WRITE_OFF"), "ApproveUseRecord", pb.ReviewUseRecordRequest(
        certificate_id=certificate.id, id=saved.id)).code == grpc.StatusCode.PERMISSION_DENIED


def test_quantities_are_positive_whole_numbers_within_what_remains(ccc):
    enterprise = ccc.enterprise()
    certificate = _certificate(ccc, enterprise)
    product = certificate.products[0]
    for quantity in ("0", "1.5", "-2", "11"):
        refusal = ccc.fails(enterprise, "CreateUseRecord", pb.CreateUseRecordRequest(
            certificate_id=certificate.id, record=_fields(product, quantity, pb.DESTRUCTION)))
        assert list(refusal.fields) == ["record.quantity"], quantity
    ccc.call(enterprise, "CreateUseRecord", pb.CreateUseRecordRequest(
        certificate_id=certificate.id, record=_fields(product, "7", pb.RETURN_SHIPMENT), submit=True))
    refusal = ccc.fails(enterprise, "CreateUseRecord", pb.CreateUseRecordRequest(
        certificate_id=certificate.id, record=_fields(product, "4", pb.DESTRUCTION)))
    assert "剩余数量（3）" in refusal.fields["record.quantity"]


def test_records_are_listed_by_kind(ccc):
    enterprise = ccc.enterprise()
    certificate = _certificate(ccc, enterprise)
    product = certificate.products[0]
    for kind in (pb.USER_UNIT, pb.RETURN_SHIPMENT, pb.DESTRUCTION):
        ccc.call(enterprise, "CreateUseRecord", pb.CreateUseRecordRequest(
            certificate_id=certificate.id, record=_fields(product, "1", kind)))
    returns = ccc.call(enterprise, "ListUseRecords", pb.ListUseRecordsRequest(certificate_id=certificate.id,
                                                                              kind=pb.RETURN_SHIPMENT))
    assert returns.total_size == 1 and returns.use_records[0].kind == pb.RETURN_SHIPMENT


def _submitted(ccc, enterprise, quantity: str, kind=pb.USER_UNIT):
    certificate = _certificate(ccc, enterprise)
    product = certificate.products[0]
    record = ccc.call(enterprise, "CreateUseRecord", pb.CreateUseRecordRequest(
        certificate_id=certificate.id, record=_fields(product, quantity, kind), submit=True))
    return certificate, product, record


def test_follow_up_rejects_a_record_only_with_an_opinion_which_the_enterprise_reads_and_is_told(ccc):
    enterprise = ccc.enterprise()
    certificate, _, record = _submitted(ccc, enterprise, "4")
    follow_up = ccc.bureau(SHANGHAI, "FOLLOW_UP")
    request = pb.ReviewUseRecordRequest(certificate_id=certificate.id, id=record.id)
    for opinion in ("", " \n "):
        request.opinion = opinion
        refusal = ccc.fails(follow_up, "RejectUseRecord", request)
        assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and list(refusal.fields) == ["opinion"]
    assert ccc.call(enterprise, "GetUseRecord", pb.UseRecordRequest(
        certificate_id=certificate.id, id=record.id)).status == pb.UseRecord.SUBMITTED
    request.opinion = " 使用单位与附件中的收货单位不一致 "
    with ccc.new_notices("ccc_exemption.use_record.rejected") as told:
        rejected = ccc.call(follow_up, "RejectUseRecord", request)
    assert rejected.status == pb.UseRecord.REJECTED and rejected.review_time.seconds > 0
    seen = ccc.call(enterprise, "ListUseRecords", pb.ListUseRecordsRequest(certificate_id=certificate.id))
    assert [(r.id, r.status, r.review_opinion) for r in seen.use_records] == [
        (record.id, pb.UseRecord.REJECTED, "使用单位与附件中的收货单位不一致")]
    [notice] = told
    assert notice["channels"] == ["IN_SITE", "SMS", "EMAIL"]
    assert notice["params"] == {"certificateNumber": certificate.number, "bureauName": "上海市出入境检验检疫局",
                                "kind": "使用单位", "opinion": "使用单位与附件中的收货单位不一致"}
    listed = ccc.call(follow_up, "ListBureauUseRecords", pb.ListBureauUseRecordsRequest(status=pb.UseRecord.REJECTED))
    assert record.id in {r.id for r in listed.use_records}


def test_a_rejected_record_gives_its_quantity_back_for_a_new_record(ccc):
    enterprise = ccc.enterprise()
    certificate, product, record = _submitted(ccc, enterprise, "7", pb.RETURN_SHIPMENT)
    assert record.remaining_quantity == "3"
    over = ccc.fails(enterprise, "CreateUseRecord", pb.CreateUseRecordRequest(
        certificate_id=certificate.id, record=_fields(product, "4", pb.DESTRUCTION)))
    assert list(over.fields) == ["record.quantity"]
    rejected = ccc.call(ccc.bureau(SHANGHAI, "FOLLOW_UP"), "RejectUseRecord", pb.ReviewUseRecordRequest(
        certificate_id=certificate.id, id=record.id, opinion="缺少退运报关单"))
    assert rejected.remaining_quantity == "10"
    again = ccc.call(enterprise, "CreateUseRecord", pb.CreateUseRecordRequest(
        certificate_id=certificate.id, record=_fields(product, "10", pb.RETURN_SHIPMENT), submit=True))
    assert again.status == pb.UseRecord.SUBMITTED and again.remaining_quantity == "0"


def test_a_rejected_record_is_neither_edited_resubmitted_nor_reviewed_again(ccc):
    enterprise = ccc.enterprise()
    certificate, product, record = _submitted(ccc, enterprise, "2")
    follow_up = ccc.bureau(SHANGHAI, "FOLLOW_UP")
    ccc.call(follow_up, "RejectUseRecord", pb.ReviewUseRecordRequest(
        certificate_id=certificate.id, id=record.id, opinion="附件不清晰"))
    by_enterprise = [
        ("UpdateUseRecord", pb.UpdateUseRecordRequest(certificate_id=certificate.id, id=record.id,
                                                      record=_fields(product, "1"), submit=True)),
        ("SubmitUseRecord", pb.UseRecordRequest(certificate_id=certificate.id, id=record.id)),
        ("UploadUseRecordAttachment", pb.UploadUseRecordAttachmentRequest(
            certificate_id=certificate.id, use_record_id=record.id,
            file=common_pb2.FileUpload(file_name="receipt.pdf", content=PDF)))]
    review = pb.ReviewUseRecordRequest(certificate_id=certificate.id, id=record.id, opinion="复核")
    for actor, method, request in [(enterprise, *step) for step in by_enterprise] + [
            (follow_up, "ApproveUseRecord", review), (follow_up, "RejectUseRecord", review)]:
        refusal = ccc.fails(actor, method, request)
        assert refusal.code == grpc.StatusCode.FAILED_PRECONDITION, method
        assert refusal.metadata["status"] == "REJECTED" and "审核不通过" in refusal.message, (method, refusal)
    kept = ccc.call(enterprise, "GetUseRecord", pb.UseRecordRequest(certificate_id=certificate.id, id=record.id))
    assert (kept.status, kept.quantity, kept.review_opinion) == (pb.UseRecord.REJECTED, "2", "附件不清晰")


def test_only_a_submitted_record_of_its_own_bureau_is_reviewed(ccc):
    enterprise = ccc.enterprise()
    certificate = _certificate(ccc, enterprise)
    saved = ccc.call(enterprise, "CreateUseRecord", pb.CreateUseRecordRequest(
        certificate_id=certificate.id, record=_fields(certificate.products[0], "1")))
    early = ccc.fails(ccc.bureau(SHANGHAI, "FOLLOW_UP"), "RejectUseRecord", pb.ReviewUseRecordRequest(
        certificate_id=certificate.id, id=saved.id, opinion="未提交"))
    assert early.code == grpc.StatusCode.NOT_FOUND  # until submitted it is the enterprise's draft
    ccc.call(enterprise, "SubmitUseRecord", pb.UseRecordRequest(certificate_id=certificate.id, id=saved.id))
    other = pb.ReviewUseRecordRequest(certificate_id=certificate.id, id=saved.id, opinion="非本局")
    # Another bureau's FOLLOW_UP post does not see the certificate; its WRITE_OFF post would (manual §2.8).
    assert ccc.fails(ccc.bureau(SHENZHEN, "FOLLOW_UP"), "RejectUseRecord", other).code == grpc.StatusCode.NOT_FOUND
    seeing = ccc.fails(ccc.bureau(SHENZHEN, "FOLLOW_UP", "WRITE_OFF"), "RejectUseRecord", other)
    assert (seeing.code, seeing.reason) == (grpc.StatusCode.PERMISSION_DENIED, "BUREAU_ONLY")
    # Refused for who asks before what is asked: an empty opinion from a post that may not review tells it nothing.
    other.opinion = ""
    assert ccc.fails(ccc.bureau(SHENZHEN, "FOLLOW_UP"), "RejectUseRecord", other).code == grpc.StatusCode.NOT_FOUND
    assert ccc.fails(ccc.bureau(SHENZHEN, "FOLLOW_UP", "WRITE_OFF"), "RejectUseRecord", other).code == \
        grpc.StatusCode.PERMISSION_DENIED
    assert ccc.call(enterprise, "GetUseRecord", pb.UseRecordRequest(
        certificate_id=certificate.id, id=saved.id)).status == pb.UseRecord.SUBMITTED


def test_staff_see_a_use_record_only_once_it_is_submitted(ccc):
    enterprise = ccc.enterprise()
    certificate = _certificate(ccc, enterprise)
    saved = ccc.call(enterprise, "CreateUseRecord", pb.CreateUseRecordRequest(
        certificate_id=certificate.id, record=_fields(certificate.products[0], "3", user_unit_name="上海某研究所")))
    attachment = ccc.call(enterprise, "UploadUseRecordAttachment", pb.UploadUseRecordAttachmentRequest(
        certificate_id=certificate.id, use_record_id=saved.id,
        file=common_pb2.FileUpload(file_name="receipt.pdf", content=PDF)))
    record = pb.UseRecordRequest(certificate_id=certificate.id, id=saved.id)
    listing = pb.ListUseRecordsRequest(certificate_id=certificate.id)
    download = pb.UseRecordAttachmentRequest(certificate_id=certificate.id, use_record_id=saved.id,
                                             attachment_id=attachment.id)
    # The certificate's issuing bureau sees the certificate, all posts of it; not the enterprise's draft.
    bureau = ccc.bureau(SHANGHAI)
    assert ccc.fails(bureau, "GetUseRecord", record).code == grpc.StatusCode.NOT_FOUND
    assert ccc.fails(bureau, "DownloadUseRecordAttachment", download).code == grpc.StatusCode.NOT_FOUND
    listed = ccc.call(bureau, "ListUseRecords", listing)
    assert (list(listed.use_records), listed.total_size) == ([], 0)
    assert [r.id for r in ccc.call(enterprise, "ListUseRecords", listing).use_records] == [saved.id]
    ccc.call(enterprise, "SubmitUseRecord", record)
    assert ccc.call(bureau, "GetUseRecord", record).status == pb.UseRecord.SUBMITTED
    assert ccc.call(bureau, "DownloadUseRecordAttachment", download).data == PDF
    assert [r.id for r in ccc.call(bureau, "ListUseRecords", listing).use_records] == [saved.id]
