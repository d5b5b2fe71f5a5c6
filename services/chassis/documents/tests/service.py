"""A small service on the chassis documents pieces, served over real gRPC for the documents tests.

Records belong to an organisation and take attachments while DRAFT; certificates are the
sample certificates, issued (rendered, signed, kept as an attachment) under a fresh number.
It stands in for what ccc_exemption, origin_cert and inspection will do with the same calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, insert, select, update
from sqlalchemy.orm import Session

from protos.testing.v1 import documents_pb2 as pb
from protos.testing.v1 import documents_pb2_grpc
from services.chassis.auth import current_caller
from services.chassis.context import ServiceContext, ServiceDefinition
from services.chassis.db import new_id
from services.chassis.documents.attachments import AttachmentRules
from services.chassis.documents.certificates.common import CertificateReference, new_check_code
from services.chassis.documents.config import DocumentsConfig
from services.chassis.documents.content import MB, PDF, AttachmentKind, AttachmentKinds, Upload, check_upload
from services.chassis.documents.samples import render_sample
from services.chassis.documents.signing import CertificateSigner, signer_from_config
from services.chassis.documents.store import AttachmentStore
from services.chassis.documents.tables import define_attachment_tables
from services.chassis.documents.wire import AttachmentEndpoints, attachment_message, verify_endpoint
from services.chassis.errors import FailedPrecondition, NotFound
from services.chassis.outbox import define_message_tables
from services.chassis.server import ServiceBinding

SYSTEM = "origin_cert"
METADATA = MetaData()
define_message_tables(METADATA)
TABLES = define_attachment_tables(METADATA)
RECORDS = Table("test_records", METADATA, Column("id", String(32), primary_key=True),
                Column("organization_id", String(64), nullable=False), Column("status", String(16), nullable=False))
CERTIFICATES = Table("test_certificates", METADATA, Column("id", String(32), primary_key=True),
                     Column("number", String(32), nullable=False), Column("kind", String(32), nullable=False),
                     Column("check_code", String(16), nullable=False), Column("status", String(16), nullable=False),
                     Column("pdf_id", String(32), nullable=False))

KINDS = AttachmentKinds.of([AttachmentKind("CONTRACT", "合同"), AttachmentKind("INVOICE", "发票"),
                            AttachmentKind("BILL_OF_LADING", "提/运单"),
                            AttachmentKind("PHOTO", "照片", max_bytes=1 * MB, types=frozenset({"image/jpeg",
                                                                                              "image/png"}))])
CERTIFICATE_KIND = AttachmentKind("CERTIFICATE", "证书", max_bytes=16 * MB, types=frozenset({PDF}))


def record_access(session: Session, record_id: str, *, change: bool) -> None:
    row = session.execute(select(RECORDS).where(RECORDS.c.id == record_id)).first()
    if row is None or row.organization_id != current_caller().organization_id:
        raise NotFound("记录不存在", reason="RECORD_NOT_FOUND", metadata={"field": "recordId"})
    if change and row.status != "DRAFT":
        raise FailedPrecondition("已提交的记录不能再修改附件", reason="RECORD_NOT_EDITABLE")


def certificate_status(session: Session, reference: CertificateReference) -> str | None:
    return session.scalar(select(CERTIFICATES.c.status).where(CERTIFICATES.c.id == reference.record_id,
                                                                CERTIFICATES.c.number == reference.number))


RULES = AttachmentRules("record", KINDS, record_access)
CERTIFICATE_RULES = AttachmentRules("certificate", AttachmentKinds.of([CERTIFICATE_KIND]),
                                    lambda session, record_id, change: None)


@dataclass
class DocumentsProviders:
    store: AttachmentStore
    signer: CertificateSigner


DocumentsContext = ServiceContext[DocumentsConfig, DocumentsProviders]


def providers(context: DocumentsContext) -> DocumentsProviders:
    return DocumentsProviders(AttachmentStore.from_config(TABLES, context.config), signer_from_config(context.config))


def add_record(context: ServiceContext, organization_id: str, status: str = "DRAFT") -> str:
    record_id = new_id()
    with context.unit_of_work() as uow:
        uow.session.execute(insert(RECORDS).values(id=record_id, organization_id=organization_id, status=status))
        uow.commit()
    return record_id


def issue_certificate(context: DocumentsContext, kind: str) -> tuple[Mapping[str, Any], Any]:
    """Render, sign and keep a certificate; answers its row and its stored PDF."""
    certificate_id, number, code = new_id(), f"T{new_id()[:12].upper()}", new_check_code()
    reference = CertificateReference(SYSTEM, kind, certificate_id, number)
    signed = context.providers.signer.sign(render_sample(kind, number, code, context.config.public_url), reference)
    checked = check_upload(Upload(f"{number}.pdf", signed), CERTIFICATE_KIND)
    row = {"id": certificate_id, "number": number, "kind": kind, "check_code": code, "status": "VALID"}
    with context.unit_of_work() as uow:
        pdf = context.providers.store.add(uow.session, record_type="certificate", record_id=certificate_id,
                                          kind="CERTIFICATE", file=checked, uploaded_by=None, organization_id=None)
        uow.session.execute(insert(CERTIFICATES).values(**row, pdf_id=pdf.id))
        uow.commit()
    return row, pdf


class DocumentsTestServicer(documents_pb2_grpc.DocumentsTestServiceServicer):
    def __init__(self, context: DocumentsContext):
        self.context = context
        self.attachments = AttachmentEndpoints(context, context.providers.store, RULES)
        self.certificates = AttachmentEndpoints(context, context.providers.store, CERTIFICATE_RULES)

    def UploadAttachment(self, request, context):
        return self.attachments.upload(request.record_id, request.kind, request.file)

    def ListAttachments(self, request, context):
        return pb.ListAttachmentsResponse(attachments=self.attachments.list(request.record_id, request.kind))

    def DownloadAttachment(self, request, context):
        return self.attachments.download(context, request.record_id, request.attachment_id)

    def DeleteAttachment(self, request, context):
        return self.attachments.delete(request.record_id, request.attachment_id)

    def IssueCertificate(self, request, context):
        row, pdf = issue_certificate(self.context, request.kind)
        return pb.IssuedCertificate(id=row["id"], number=row["number"], kind=row["kind"], check_code=row["check_code"],
                                    status=row["status"], pdf=attachment_message(pdf))

    def DownloadCertificate(self, request, context):
        with self.context.unit_of_work(read_only=True) as uow:
            pdf_id = uow.session.scalar(select(CERTIFICATES.c.pdf_id).where(CERTIFICATES.c.id == request.id))
        if pdf_id is None:
            raise NotFound("证书不存在")
        return self.certificates.download(context, request.id, pdf_id, inline=True)

    def SetCertificateStatus(self, request, context):
        with self.context.unit_of_work() as uow:
            uow.session.execute(update(CERTIFICATES).where(CERTIFICATES.c.id == request.id)
                                .values(status=request.status))
            uow.commit()
        return pb.IssuedCertificate(id=request.id, status=request.status)

    def VerifyDocument(self, request, context):
        return verify_endpoint(self.context, self.context.providers.signer.trust, certificate_status, request.file)


DEFINITION: ServiceDefinition[DocumentsConfig, DocumentsProviders] = ServiceDefinition(
    name=SYSTEM, metadata=METADATA, bindings=lambda context: [ServiceBinding.of(DocumentsTestServicer(context))],
    config=lambda environ: DocumentsConfig.from_env(SYSTEM, environ), providers=providers)


def token(harness: Any, organization: str = "org-a") -> str:
    """A bearer token for a member of ``organization`` (the issuer's own routes want a signed-in caller)."""
    return harness.minter.mint(f"user-{organization}", org=organization, scopes=("origin_cert",))
