"""Use records: user units, returns and destructions; positive whole numbers within what remains; FOLLOW_UP reviews."""

from __future__ import annotations

import grpc

from protos.ccc_exemption.v1 import certificates_pb2 as certificates_pb
from protos.ccc_exemption.v1 import use_records_pb2 as pb
from protos.common.v1 import common_pb2
from services.ccc_exemption.tests.support import PDF, SHANGHAI


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
