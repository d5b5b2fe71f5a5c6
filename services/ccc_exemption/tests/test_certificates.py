"""Certificates: the signed PDF and its QR code, the public check, verification, and modification."""

from __future__ import annotations

import grpc
import pypdfium2
import zxingcpp

from protos.ccc_exemption.v1 import applications_pb2 as applications_pb
from protos.ccc_exemption.v1 import certificates_pb2 as pb
from protos.ccc_exemption.v1 import writeoffs_pb2 as writeoffs_pb
from protos.common.v1 import common_pb2
from services.ccc_exemption.tests.support import SHANGHAI, SHENZHEN

CHECK = pb.CertificateCheck
VERIFIED = common_pb2.DocumentVerification


def _issued(ccc, enterprise, **kwargs):
    application = ccc.issued(enterprise, **kwargs)
    return ccc.call(enterprise, "GetCertificate", pb.GetCertificateRequest(id=application.certificate_id))


def _pdf(ccc, actor, certificate_id: str) -> bytes:
    return ccc.call(actor, "DownloadCertificate", pb.GetCertificateRequest(id=certificate_id)).data


def _qr(data: bytes) -> str:
    image = pypdfium2.PdfDocument(data)[0].render(scale=2).to_pil()
    return next(r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode)


def _verify(ccc, data: bytes) -> common_pb2.DocumentVerification:
    return ccc.call(None, "VerifyDocument", pb.VerifyDocumentRequest(file=common_pb2.FileUpload(
        file_name="c.pdf", content=data)))


def test_the_certificate_pdf_is_signed_and_its_qr_code_opens_the_public_check(ccc):
    enterprise = ccc.enterprise()
    certificate = _issued(ccc, enterprise, products=2)
    assert certificate.version == 1 and len(certificate.products) == 2 and certificate.check_code
    data = _pdf(ccc, enterprise, certificate.id)
    url = _qr(data)
    assert url.endswith(f"/v1/ccc/certificate-checks/{certificate.number}?checkCode={certificate.check_code}")
    answer = _verify(ccc, data)
    assert answer.valid and answer.certificate_number == certificate.number and answer.kind == "CCC_EXEMPTION"
    assert answer.record_status == VERIFIED.VALID
    check = ccc.call(None, "CheckCertificate", pb.CheckCertificateRequest(
        number=certificate.number, check_code=certificate.check_code.lower()))
    assert check.status == CHECK.VALID and check.applicant_name == enterprise.name and len(check.products) == 2
    wrong = ccc.fails(None, "CheckCertificate", pb.CheckCertificateRequest(number=certificate.number,
                                                                           check_code="ZZZZZZZZ"))
    assert wrong.code == grpc.StatusCode.NOT_FOUND


def test_one_changed_byte_fails_verification(ccc):
    enterprise = ccc.enterprise()
    data = bytearray(_pdf(ccc, enterprise, _issued(ccc, enterprise).id))
    data[len(data) // 2] ^= 0x01
    assert not _verify(ccc, bytes(data)).valid


def test_another_organisation_cannot_see_the_certificate(ccc):
    certificate = _issued(ccc, ccc.enterprise())
    other = ccc.enterprise("别家")
    assert ccc.fails(other, "GetCertificate", pb.GetCertificateRequest(id=certificate.id)).code == \
        grpc.StatusCode.NOT_FOUND
    assert ccc.fails(other, "DownloadCertificate", pb.GetCertificateRequest(id=certificate.id)).code == \
        grpc.StatusCode.NOT_FOUND


def test_a_confirmed_modification_is_the_next_version_and_the_old_pdf_is_amended(ccc):
    enterprise = ccc.enterprise()
    certificate = _issued(ccc, enterprise)
    old_pdf = _pdf(ccc, enterprise, certificate.id)
    change = ccc.bureau(SHANGHAI, "CERT_CHANGE")
    assert ccc.fails(ccc.bureau(SHANGHAI, "FINAL_REVIEW"), "OpenModification", pb.OpenModificationRequest(
        id=certificate.id)).code == grpc.StatusCode.PERMISSION_DENIED
    opened = ccc.call(change, "OpenModification", pb.OpenModificationRequest(id=certificate.id, note="企业来电"))
    assert opened.status == pb.Modification.OPEN
    product = certificate.products[0]
    ccc.call(enterprise, "UpdateModification", pb.UpdateModificationRequest(
        id=certificate.id, valid_until="2030-12-31", products=[pb.ModifiedProduct(
            certificate_product_id=product.id, model="IPC-610H-V2", quantity="8")]))
    refusal = ccc.fails(enterprise, "SubmitModification", pb.ModificationRequest(id=certificate.id))
    assert list(refusal.fields) == ["reason"]
    ccc.call(enterprise, "UpdateModification", pb.UpdateModificationRequest(id=certificate.id, reason="型号笔误"))
    submitted = ccc.call(enterprise, "SubmitModification", pb.ModificationRequest(id=certificate.id))
    assert submitted.status == pb.Modification.SUBMITTED
    sent_back = ccc.call(change, "SendBackModification", pb.SendBackModificationRequest(id=certificate.id,
                                                                                        reason="请附说明"))
    assert sent_back.status == pb.Modification.SENT_BACK
    ccc.call(enterprise, "SubmitModification", pb.ModificationRequest(id=certificate.id))
    confirmed = ccc.call(change, "ConfirmModification", pb.ModificationRequest(id=certificate.id))
    assert confirmed.status == pb.Modification.CONFIRMED and confirmed.version == 2
    now = ccc.call(enterprise, "GetCertificate", pb.GetCertificateRequest(id=certificate.id))
    assert (now.version, now.valid_until, now.products[0].model, now.products[0].quantity) == (
        2, "2030-12-31", "IPC-610H-V2", "8")
    assert now.check_code != certificate.check_code
    assert _verify(ccc, old_pdf).record_status == VERIFIED.AMENDED
    assert _verify(ccc, _pdf(ccc, enterprise, certificate.id)).valid
    old = ccc.call(None, "CheckCertificate", pb.CheckCertificateRequest(number=certificate.number,
                                                                         check_code=certificate.check_code))
    assert old.status == CHECK.AMENDED


def test_no_modification_once_write_off_has_begun(ccc):
    enterprise = ccc.enterprise()
    certificate = _issued(ccc, enterprise)
    product = certificate.products[0]
    ccc.call(ccc.bureau(SHENZHEN, "WRITE_OFF"), "CreateWriteOff", writeoffs_pb.CreateWriteOffRequest(
        certificate_id=certificate.id, items=[writeoffs_pb.WriteOffItem(
            certificate_product_id=product.id, quantity="1", standard_quantity="1")]))
    refusal = ccc.fails(ccc.bureau(SHANGHAI, "CERT_CHANGE"), "OpenModification",
                        pb.OpenModificationRequest(id=certificate.id))
    assert refusal.code == grpc.StatusCode.FAILED_PRECONDITION and refusal.reason == "WRITE_OFF_BEGUN"


def test_a_submitted_application_prints_as_a_pdf(ccc):
    enterprise = ccc.enterprise()
    application = ccc.submitted(enterprise)
    body = ccc.call(enterprise, "PrintApplication", applications_pb.GetApplicationRequest(id=application.id))
    assert body.content_type == "application/pdf" and body.data.startswith(b"%PDF")
    text = pypdfium2.PdfDocument(body.data)[0].get_textpage().get_text_range()
    assert application.number in text and "免于办理强制性产品认证申请书" in text
    draft = ccc.draft(enterprise)
    assert ccc.fails(enterprise, "PrintApplication", applications_pb.GetApplicationRequest(id=draft.id)).code == \
        grpc.StatusCode.FAILED_PRECONDITION
