"""Certificates: creating, editing and finding them; review, printing and reissues; checks."""

from __future__ import annotations

from protos.origin_cert.v1 import (
    certificate_review_pb2,
    certificate_review_pb2_grpc,
    certificates_pb2,
    certificates_pb2_grpc,
    checks_pb2_grpc,
)
from services.chassis.documents.content import PDF
from services.chassis.documents.wire import AttachmentEndpoints, file_body, verify_endpoint
from services.chassis.wire import page_fields
from services.origin_cert.config import OriginCertContext
from services.origin_cert.grpc_api.base import Servicer, created
from services.origin_cert.handlers import certificate_edit, certificate_flow, certificates, checks, reissues
from services.origin_cert.handlers.documents import CERTIFICATE_DOCUMENTS, ISSUED_KINDS
from services.origin_cert.views import certificates as views


class CertificateServicer(Servicer, certificates_pb2_grpc.CertificateServiceServicer):
    def __init__(self, context: OriginCertContext):
        super().__init__(context)
        self._documents = AttachmentEndpoints(context, context.providers.store, CERTIFICATE_DOCUMENTS)

    def ListCertificateOptions(self, request, context):
        return views.options_pb(certificates.certificate_options(
            self._context, request.pre_review_id, request.destination_country, request.hs_code))

    def CreateCertificate(self, request, context):
        found = certificates.create_certificate(
            self._context, pre_review_id=request.pre_review_id, destination_country=request.destination_country,
            hs_code=request.hs_code, certificate_type=request.certificate_type.strip(),
            origin_criterion=request.origin_criterion.strip().upper())
        return created(context, views.certificate_pb(found))

    def CopyCertificate(self, request, context):
        found = certificates.copy_certificate(self._context, request.id, request.certificate_type.strip())
        return created(context, views.certificate_pb(found))

    def ListCertificates(self, request, context):
        page = certificates.list_certificates(self._context, views.query_of(request), request.page_size,
                                              request.page_token)
        return certificates_pb2.ListCertificatesResponse(certificates=[views.certificate_pb(v) for v in page.items],
                                                         **page_fields(page))

    def GetCertificate(self, request, context):
        return views.certificate_pb(certificates.get_certificate(self._context, request.id))

    def UpdateCertificate(self, request, context):
        return views.certificate_pb(certificate_edit.update_certificate(self._context, request.id,
                                                                        views.edit_input(request)))

    def DeleteCertificate(self, request, context):
        return views.certificate_pb(certificate_edit.delete_certificate(self._context, request.id))

    def UploadCertificateDocument(self, request, context):
        return created(context, self._documents.upload(request.id, request.kind, request.file))

    def ListCertificateDocuments(self, request, context):
        documents = [d for d in self._documents.list(request.id) if d.kind not in ISSUED_KINDS]
        return certificates_pb2.ListCertificateDocumentsResponse(documents=documents)

    def DownloadCertificateDocument(self, request, context):
        return self._documents.download(context, request.id, request.attachment_id)

    def DeleteCertificateDocument(self, request, context):
        return self._documents.delete(request.id, request.attachment_id)


class CertificateReviewServicer(Servicer, certificate_review_pb2_grpc.CertificateReviewServiceServicer):
    def SubmitCertificate(self, request, context):
        return views.certificate_pb(certificate_flow.submit_certificate(self._context, request.id))

    def WithdrawCertificate(self, request, context):
        return views.certificate_pb(certificate_flow.withdraw_certificate(self._context, request.id))

    def StartCertificateReview(self, request, context):
        return views.certificate_pb(certificate_flow.start_review(self._context, request.id))

    def ApproveCertificate(self, request, context):
        return views.certificate_pb(certificate_flow.approve_certificate(self._context, request.id,
                                                                         request.certificate_number))

    def RejectCertificate(self, request, context):
        return views.certificate_pb(certificate_flow.reject_certificate(self._context, request.id, request.reason))

    def PrintCertificate(self, request, context):
        pdf = certificate_flow.print_certificate(self._context, request.id)
        return file_body(context, pdf.file_name, PDF, pdf.content)

    def PreviewCertificate(self, request, context):
        pdf = certificate_flow.preview_certificate(self._context, request.id)
        return file_body(context, pdf.file_name, PDF, pdf.content, inline=True)

    def AmendCertificate(self, request, context):
        found = reissues.amend_certificate(self._context, request.id, request.reason, request.submit)
        return created(context, views.certificate_pb(found))

    def CreateLostReissue(self, request, context):
        reissue = reissues.create_lost_reissue(self._context, request.id, request.reason)
        return created(context, views.lost_reissue_pb(reissue, ""))

    def ListLostReissues(self, request, context):
        page = reissues.list_lost_reissues(self._context, request.status, request.page_size, request.page_token)
        return certificate_review_pb2.ListLostReissuesResponse(
            lost_reissues=[views.lost_reissue_pb(r, number) for r, number in page.items], **page_fields(page))

    def ApproveLostReissue(self, request, context):
        return views.lost_reissue_pb(*reissues.decide_lost_reissue(self._context, request.id, True, request.note))

    def RejectLostReissue(self, request, context):
        return views.lost_reissue_pb(*reissues.decide_lost_reissue(self._context, request.id, False, request.note))


class CheckServicer(Servicer, checks_pb2_grpc.CheckServiceServicer):
    def CheckCertificate(self, request, context):
        return views.check_pb(checks.check_certificate(self._context, request.number, request.check_code))

    def VerifyDocument(self, request, context):
        return verify_endpoint(self._context, self._context.providers.signer.trust, checks.certificate_status,
                               request.file)
