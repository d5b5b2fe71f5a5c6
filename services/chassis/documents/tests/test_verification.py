"""Verification over real gRPC and through the gateway: a certificate issued by the service, checked as uploaded."""

from __future__ import annotations

import io

import grpc
import pytest

from gateway.app import create_app
from gateway.config import GatewaySettings
from protos.common.v1 import common_pb2
from protos.testing.v1 import documents_pb2 as pb
from protos.testing.v1 import documents_pb2_grpc  # noqa: F401  (registers the service for the gateway)
from services.chassis.documents.certificates.common import KINDS
from services.chassis.documents.content import MB
from services.chassis.documents.samples import render_sample
from services.chassis.documents.tests import files, pdfs
from services.chassis.documents.tests.service import add_record, token
from services.chassis.grpc_client import ChannelFactory

STATUS = common_pb2.DocumentVerification.RecordStatus


def verify(documents, data: bytes) -> common_pb2.DocumentVerification:
    return documents.call("VerifyDocument", pb.VerifyDocumentRequest(
        file=common_pb2.FileUpload(file_name="证书.pdf", content=data)))


def issued_pdf(documents, kind: str) -> tuple[pb.IssuedCertificate, bytes]:
    issued = documents.call("IssueCertificate", pb.IssueCertificateRequest(kind=kind), token(documents))
    body = documents.call("DownloadCertificate", pb.GetCertificateRequest(id=issued.id), token(documents))
    return issued, body.data


@pytest.mark.parametrize("kind", KINDS)
def test_an_issued_certificate_verifies_as_valid_with_its_record_and_signer(documents, kind):
    issued, data = issued_pdf(documents, kind)
    answer = verify(documents, data)
    assert answer.valid and answer.signed and answer.intact and answer.trusted
    assert (answer.record_id, answer.certificate_number, answer.kind, answer.system) == (
        issued.id, issued.number, kind, "origin_cert")
    assert answer.record_status == STATUS.Value("VALID")
    assert "certificate signer" in answer.signer and answer.signing_time.seconds > 0
    assert issued.number in answer.message and "真实有效" in answer.message
    [url] = pdfs.qr_texts(pdfs.page_image(data))
    assert url.endswith(f"/{issued.number}?checkCode={issued.check_code}")


@pytest.mark.parametrize(("status", "words"), [("AMENDED", "取代"), ("WITHDRAWN", "撤回"), ("VOIDED", "作废")])
def test_a_signed_pdf_of_a_record_no_longer_standing_is_not_valid_and_says_why(documents, status, words):
    issued, data = issued_pdf(documents, "ORIGIN_FORM_E")
    documents.call("SetCertificateStatus", pb.SetCertificateStatusRequest(id=issued.id, status=status),
                   token(documents))
    answer = verify(documents, data)
    assert answer.intact and not answer.valid
    assert answer.record_status == STATUS.Value(status) and words in answer.message


def test_one_flipped_byte_makes_verification_answer_invalid(documents):
    _, data = issued_pdf(documents, "CCC_EXEMPTION")
    tampered = bytearray(data)
    tampered[len(data) // 3] ^= 0x20
    answer = verify(documents, bytes(tampered))
    assert not answer.valid and not answer.intact
    assert answer.message


def test_an_unsigned_or_unreadable_pdf_is_not_valid_and_says_why(documents):
    unsigned = verify(documents, render_sample("ORIGIN_RCEP"))
    assert not unsigned.valid and not unsigned.signed and "没有电子签名" in unsigned.message
    broken = verify(documents, files.MINIMAL_PDF)
    assert not broken.valid and broken.message


def test_what_is_not_a_pdf_is_refused_naming_the_field(documents):
    for data in (b"", files.image("PNG")):
        refusal = documents.refused("VerifyDocument", pb.VerifyDocumentRequest(file=common_pb2.FileUpload(
            file_name="x.pdf", content=data)))
        assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT and list(refusal.fields) == ["file"]


@pytest.fixture
def gateway(documents):
    channels = ChannelFactory.static({"testing": documents.address, "identity": documents.identity.address})
    settings = GatewaySettings(rate_limit_per_second=0.0, jwks_refetch_seconds=0.0, max_body_bytes=8 * MB)
    yield create_app(settings, [pb], channels).test_client()
    channels.close()


def test_through_the_gateway_the_part_filename_reaches_the_store_and_the_download_names_it(documents, gateway):
    record = add_record(documents.context, "org-a")
    headers = {"Authorization": f"Bearer {documents.minter.mint('u-1', org='org-a')}"}
    # Made once: a .docx is a zip whose entries carry the time they were written.
    content = files.docx()
    response = gateway.post(f"/v1/testing/records/{record}/attachments", headers=headers,
                            content_type="multipart/form-data",
                            data={"kind": "CONTRACT", "file": (io.BytesIO(content), "购销合同 2026.docx",
                                                               "application/octet-stream")})
    assert response.status_code == 200, response.get_data(as_text=True)
    stored = response.get_json()
    assert stored["fileName"] == "购销合同 2026.docx" and stored["contentType"].endswith("wordprocessingml.document")
    download = gateway.get(f"/v1/testing/records/{record}/attachments/{stored['id']}", headers=headers)
    assert download.data == content
    assert "filename*=UTF-8''%E8%B4%AD%E9%94%80" in download.headers["Content-Disposition"]


def test_through_the_gateway_a_too_large_attachment_is_a_400_naming_the_field(documents, gateway):
    record = add_record(documents.context, "org-a")
    headers = {"Authorization": f"Bearer {documents.minter.mint('u-1', org='org-a')}"}
    big = files.MINIMAL_PDF + b"0" * (5 * MB + 1)
    response = gateway.post(f"/v1/testing/records/{record}/attachments", headers=headers,
                            content_type="multipart/form-data",
                            data={"kind": "CONTRACT", "file": (io.BytesIO(big), "合同.pdf", "application/pdf")})
    assert response.status_code == 400
    [bad] = [d for d in response.get_json()["details"] if d["@type"].endswith("BadRequest")]
    assert bad["fieldViolations"][0]["field"] == "file" and "5 MB" in bad["fieldViolations"][0]["description"]
    too_big = gateway.post(f"/v1/testing/records/{record}/attachments", headers=headers,
                           content_type="multipart/form-data",
                           data={"kind": "CONTRACT", "file": (io.BytesIO(b"0" * 9 * MB), "a.pdf")})
    assert too_big.status_code == 413


def test_through_the_gateway_anyone_can_verify_a_certificate(documents, gateway):
    _, data = issued_pdf(documents, "ORIGIN_GENERAL")
    response = gateway.post("/v1/testing/documents:verify", content_type="multipart/form-data",
                            data={"file": (io.BytesIO(data), "certificate.pdf", "application/pdf")})
    assert response.status_code == 200
    body = response.get_json()
    assert body["valid"] is True and body["recordStatus"] == "VALID"
