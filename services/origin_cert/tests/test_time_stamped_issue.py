"""Issuing with a time-stamping authority configured: each certificate's signature carries its token, the public
check reports the authority's time, and nothing is issued while the authority does not answer."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest

from protos.common.v1 import common_pb2
from protos.origin_cert.v1 import certificate_review_pb2 as review_pb
from protos.origin_cert.v1 import certificates_pb2 as pb
from protos.origin_cert.v1 import checks_pb2
from services.chassis.documents.tests.tsa import stand_in_tsa
from services.origin_cert.tests.certificate_support import complete, drafted
from services.origin_cert.tests.support import OriginHarness

AUTHORITY_TIME = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def stamped(postgres_database, tmp_path_factory):
    folder = tmp_path_factory.mktemp("origin_tsa")
    with stand_in_tsa(folder, fixed_time=AUTHORITY_TIME) as tsa:
        harness = OriginHarness.started(postgres_database("origin_cert_tsa"), {
            "ORIGIN_CERT_SIGNING_DIR": str(folder / "signing"), "ORIGIN_CERT_TSA_URL": tsa.url,
            "ORIGIN_CERT_TSA_TRUST_FILE": str(tsa.trust_file)})
        try:
            yield harness, tsa
        finally:
            harness.close()


def test_a_certificate_is_issued_only_with_its_time_stamp_which_the_public_check_reports(stamped):
    origin, tsa = stamped
    admin = origin.organization("stamped")
    pre_review, draft = drafted(origin, admin)
    origin.call(admin, "UpdateCertificate", complete(draft.id, pre_review.id))
    origin.call(admin, "SubmitCertificate", review_pb.CertificateActionRequest(id=draft.id))
    officer = origin.officer("BEIJING", "VISA_OFFICER")
    tsa.answering = False
    refused = origin.fails(officer, "ApproveCertificate", review_pb.ApproveCertificateRequest(id=draft.id))
    assert (refused.code, refused.reason) == (grpc.StatusCode.UNAVAILABLE, "TSA_UNAVAILABLE")
    kept = origin.call(admin, "GetCertificate", pb.GetCertificateRequest(id=draft.id))
    assert (kept.status, kept.number) == ("SUBMITTED", "")  # nothing of the approval was written
    tsa.answering = True
    approved = origin.call(officer, "ApproveCertificate", review_pb.ApproveCertificateRequest(id=draft.id))
    assert approved.status == "APPROVED" and approved.number
    pdf = origin.call(admin, "PrintCertificate", review_pb.CertificateActionRequest(id=draft.id)).data
    checked = origin.call(None, "VerifyDocument", checks_pb2.VerifyDocumentRequest(file=common_pb2.FileUpload(
        file_name="c.pdf", content_type="application/pdf", content=pdf)))
    assert checked.valid and checked.timestamped and checked.certificate_number == approved.number
    assert checked.signing_time.ToDatetime(tzinfo=UTC) == AUTHORITY_TIME
