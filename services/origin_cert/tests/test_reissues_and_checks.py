"""Amend and reissue, lost and reissue (§1.4.4) with the manual's refusals; the public and customs checks and
the verification of a signed PDF (§1.6)."""

from __future__ import annotations

import grpc

from protos.common.v1 import common_pb2
from protos.origin_cert.v1 import certificate_review_pb2 as review_pb
from protos.origin_cert.v1 import certificates_pb2 as pb
from protos.origin_cert.v1 import checks_pb2
from services.chassis.documents.tests import pdfs
from services.origin_cert.tests.certificate_support import complete, drafted, issued, printed


def _act(request_id: str, reason: str = "") -> review_pb.CertificateActionRequest:
    return review_pb.CertificateActionRequest(id=request_id, reason=reason)


def test_amend_needs_an_approved_certificate_keeps_type_and_invoice_and_its_approval_voids_the_original(origin):
    admin = origin.organization("amender")
    pre_review, draft = drafted(origin, admin)
    origin.call(admin, "UpdateCertificate", complete(draft.id, pre_review.id))
    origin.call(admin, "SubmitCertificate", _act(draft.id))
    early = origin.fails(admin, "AmendCertificate", review_pb.AmendCertificateRequest(id=draft.id, reason="改港口"))
    assert early.reason == "CERTIFICATE_NOT_APPROVED" and early.message == "审核通过的证书才可发起改证重发"
    officer = origin.officer("BEIJING", "VISA_OFFICER")
    original = origin.call(officer, "ApproveCertificate", review_pb.ApproveCertificateRequest(id=draft.id))
    assert "reason" in origin.fails(admin, "AmendCertificate", review_pb.AmendCertificateRequest(id=draft.id)).fields
    amendment = origin.call(admin, "AmendCertificate", review_pb.AmendCertificateRequest(id=draft.id,
                                                                                         reason="卸货港有误"))
    assert (amendment.status, amendment.amends_id, amendment.invoice_number) == ("DRAFT", original.id,
                                                                                 original.invoice_number)
    assert amendment.certificate_type == original.certificate_type and len(amendment.goods) == 1
    fixed = origin.fails(admin, "UpdateCertificate", complete(amendment.id, pre_review.id, invoice_number="INV-9"))
    assert fixed.fields["invoiceNumber"] == "改证重发不可修改发票号"
    origin.call(admin, "UpdateCertificate", complete(amendment.id, pre_review.id, port_of_discharge="YOKOHAMA"))
    preview = origin.call(admin, "PreviewCertificate", _act(amendment.id))
    assert "YOKOHAMA" in pdfs.page_text(preview.data)
    assert origin.fails(admin, "AmendCertificate", review_pb.AmendCertificateRequest(
        id=draft.id, reason="again")).reason == "AMENDMENT_OPEN"
    origin.call(admin, "SubmitCertificate", _act(amendment.id))
    with origin.new_notices("origin_cert.certificate.voided") as told:
        approved = origin.call(officer, "ApproveCertificate", review_pb.ApproveCertificateRequest(id=amendment.id))
    old = origin.call(admin, "GetCertificate", pb.GetCertificateRequest(id=original.id))
    assert (old.status, old.amended_by_id) == ("VOIDED", approved.id) and approved.number != original.number
    assert told[0]["params"]["number"] == original.number and "改证重发" in told[0]["params"]["reason"]


def test_an_amendment_may_be_sent_at_once(origin):
    admin = origin.organization("quick-amend")
    original = issued(origin, admin)
    sent = origin.call(admin, "AmendCertificate", review_pb.AmendCertificateRequest(
        id=original.id, reason="数量有误", submit=True))
    assert sent.status == "SUBMITTED" and sent.amend_reason == "数量有误"


def test_lost_and_reissue_prints_a_copy_once_then_refuses_and_stops_after_an_approved_amendment(origin):
    admin = origin.organization("loser")
    unprinted = issued(origin, admin)
    not_yet = origin.fails(admin, "CreateLostReissue", review_pb.CreateLostReissueRequest(id=unprinted.id,
                                                                                          reason="丢失"))
    assert not_yet.reason == "CERTIFICATE_NOT_PRINTED" and "已完成打印" in not_yet.message
    certificate = printed(origin, admin)
    with origin.new_notices("origin_cert.lost_reissue.requested") as asked:
        reissue = origin.call(admin, "CreateLostReissue", review_pb.CreateLostReissueRequest(
            id=certificate.id, reason="快递途中遗失"))
    assert reissue.status == "PENDING" and asked[0]["recipients"] == [{"agency": "CCPIT:BEIJING"}]
    assert origin.fails(admin, "CreateLostReissue", review_pb.CreateLostReissueRequest(
        id=certificate.id, reason="again")).reason == "REISSUE_PENDING"
    officer = origin.officer("BEIJING", "VISA_OFFICER")
    pending = origin.call(officer, "ListLostReissues", review_pb.ListLostReissuesRequest(status="PENDING"))
    assert reissue.id in [r.id for r in pending.lost_reissues]
    with origin.new_notices("origin_cert.lost_reissue.approved") as told:
        origin.call(officer, "ApproveLostReissue", review_pb.DecideLostReissueRequest(id=reissue.id))
    assert told[0]["params"] == {"number": certificate.number}
    copy = origin.call(admin, "PrintCertificate", _act(certificate.id))
    text = pdfs.page_text(copy.data)
    assert "CERTIFIED TRUE COPY" in text and certificate.number in text
    after = origin.call(admin, "GetCertificate", pb.GetCertificateRequest(id=certificate.id))
    assert after.print_status == "COPY_PRINTED" and after.number == certificate.number
    assert after.print_number and after.print_number in text
    once = origin.fails(admin, "PrintCertificate", _act(certificate.id))
    assert once.reason == "COPY_ALREADY_PRINTED"
    assert origin.fails(admin, "CreateLostReissue", review_pb.CreateLostReissueRequest(
        id=certificate.id, reason="又丢了")).reason == "ALREADY_REISSUED"
    amendment = origin.call(admin, "AmendCertificate", review_pb.AmendCertificateRequest(
        id=certificate.id, reason="失证后改证", submit=True))
    origin.call(officer, "ApproveCertificate", review_pb.ApproveCertificateRequest(id=amendment.id))
    amended = origin.fails(admin, "CreateLostReissue", review_pb.CreateLostReissueRequest(
        id=certificate.id, reason="原证书遗失"))
    assert amended.reason == "CERTIFICATE_AMENDED" and amended.message == "改证重发审核通过，原证书不可发起失证重发"


def test_the_public_check_needs_the_right_code_and_leaks_nothing_without_it_customs_see_more(origin):
    admin = origin.organization("checked")
    certificate = printed(origin, admin)
    public = origin.call(None, "CheckCertificate", checks_pb2.CheckCertificateRequest(
        number=certificate.number, check_code=certificate.check_code.lower()))
    assert public.genuine and public.record_status == "VALID" and not public.detailed
    assert public.exporter_name == "CHECKED IMPORT AND EXPORT CO., LTD." and public.goods[0].hs_code == "940521"
    assert not public.importer_name and not public.goods[0].fob_value
    wrong = origin.fails(None, "CheckCertificate", checks_pb2.CheckCertificateRequest(
        number=certificate.number, check_code="WRONG123"))
    unknown = origin.fails(None, "CheckCertificate", checks_pb2.CheckCertificateRequest(
        number="R269999999999", check_code="WRONG123"))
    assert wrong.code == unknown.code == grpc.StatusCode.NOT_FOUND
    assert (wrong.message, wrong.fields, wrong.metadata) == (unknown.message, unknown.fields, unknown.metadata)
    assert certificate.number not in wrong.message
    assert "checkCode" in origin.fails(None, "CheckCertificate", checks_pb2.CheckCertificateRequest(
        number=certificate.number)).fields
    customs = origin.call(origin.customs(), "CheckCertificate", checks_pb2.CheckCertificateRequest(
        number=certificate.number))
    assert customs.detailed and customs.importer_name == "TOKYO LIGHTING TRADING K.K."
    assert customs.goods[0].fob_value == "18400" and customs.print_status == "PRINTED" and customs.print_number


def test_a_signed_pdf_verifies_until_its_certificate_is_amended_and_a_changed_byte_fails(origin):
    admin = origin.organization("verifier")
    certificate = issued(origin, admin)
    pdf = origin.call(admin, "PrintCertificate", _act(certificate.id)).data

    def verify(data: bytes):
        return origin.call(None, "VerifyDocument", checks_pb2.VerifyDocumentRequest(file=common_pb2.FileUpload(
            file_name="c.pdf", content_type="application/pdf", content=data)))

    result = verify(pdf)
    assert result.valid and result.system == "origin_cert" and result.certificate_number == certificate.number
    assert result.kind == "ORIGIN_RCEP" and result.record_id == certificate.id
    tampered = bytearray(pdf)
    index = tampered.index(b"TOKYO") if b"TOKYO" in tampered else len(tampered) // 3
    tampered[index] ^= 0x01
    assert not verify(bytes(tampered)).valid
    amendment = origin.call(admin, "AmendCertificate", review_pb.AmendCertificateRequest(
        id=certificate.id, reason="更正", submit=True))
    origin.call(origin.officer("BEIJING", "VISA_OFFICER"), "ApproveCertificate",
                review_pb.ApproveCertificateRequest(id=amendment.id))
    later = verify(pdf)
    assert not later.valid and later.intact and later.record_status == common_pb2.DocumentVerification.AMENDED
    check = origin.call(None, "CheckCertificate", checks_pb2.CheckCertificateRequest(
        number=certificate.number, check_code=certificate.check_code))
    assert check.record_status == "AMENDED" and "改证重发" in check.message


def test_a_given_certificate_number_is_used_once(origin):
    admin = origin.organization("numbered")
    pre_review, draft = drafted(origin, admin)
    origin.call(admin, "UpdateCertificate", complete(draft.id, pre_review.id))
    origin.call(admin, "SubmitCertificate", _act(draft.id))
    officer = origin.officer("BEIJING", "VISA_OFFICER")
    bad = origin.fails(officer, "ApproveCertificate", review_pb.ApproveCertificateRequest(
        id=draft.id, certificate_number="r 1"))
    assert "certificateNumber" in bad.fields
    taken = issued(origin, admin).number
    clash = origin.fails(officer, "ApproveCertificate", review_pb.ApproveCertificateRequest(
        id=draft.id, certificate_number=taken))
    assert clash.code == grpc.StatusCode.ALREADY_EXISTS
    given = origin.call(officer, "ApproveCertificate", review_pb.ApproveCertificateRequest(
        id=draft.id, certificate_number="R26110099999"))
    assert given.number == "R26110099999"
    rejected_twice = origin.fails(officer, "RejectCertificate", _act(draft.id, "太晚"))
    assert rejected_twice.code == grpc.StatusCode.FAILED_PRECONDITION
