"""Documents at the gRPC boundary, for servicers: uploads in, attachments, downloads and verifications out.

A servicer turns its request's ``tongban.common.v1.FileUpload`` into an :class:`Upload`
with :func:`upload_of` (naming the field for refusals), calls the use case, and answers
with :func:`attachment_message`, :func:`file_body` or :func:`verification_message`.
"""

from __future__ import annotations

import grpc
from google.api import httpbody_pb2

from protos.common.v1 import common_pb2
from services.chassis.context import ServiceContext
from services.chassis.documents.attachments import (
    AttachmentRules,
    delete_attachment,
    download_attachment,
    list_attachments,
    upload_attachment,
)
from services.chassis.documents.content import Upload
from services.chassis.documents.signing import SigningTrust
from services.chassis.documents.store import AttachmentStore, StoredAttachment
from services.chassis.documents.verification import StatusLookup, Verification, verify_certificate
from services.chassis.http_metadata import set_download_filename
from services.chassis.wire import enum_value, timestamp


def upload_of(message: common_pb2.FileUpload, field: str = "file") -> Upload:
    return Upload(file_name=message.file_name, content=message.content, declared_type=message.content_type,
                  field=field)


def attachment_message(attachment: StoredAttachment) -> common_pb2.Attachment:
    return common_pb2.Attachment(
        id=attachment.id, file_name=attachment.file_name, content_type=attachment.content_type,
        size_bytes=attachment.size_bytes, sha256=attachment.sha256, uploaded_at=timestamp(attachment.uploaded_at),
        uploaded_by=attachment.uploaded_by or "", kind=attachment.kind)


def file_body(context: grpc.ServicerContext, file_name: str, content_type: str, data: bytes, *,
              inline: bool = False) -> httpbody_pb2.HttpBody:
    """A download: the bytes with their type, named by Content-Disposition at the gateway."""
    set_download_filename(context, file_name, inline=inline)
    return httpbody_pb2.HttpBody(content_type=content_type, data=data)


def verification_message(verification: Verification) -> common_pb2.DocumentVerification:
    check = verification.signature
    reference = check.reference
    statuses = common_pb2.DocumentVerification.RecordStatus
    return common_pb2.DocumentVerification(
        valid=verification.valid, signed=check.signed, intact=check.intact, trusted=check.trusted,
        signer=check.signer, signing_time=timestamp(check.signing_time),
        system=reference.system if reference else "", kind=reference.kind if reference else "",
        record_id=reference.record_id if reference else "", certificate_number=reference.number if reference else "",
        record_status=enum_value(statuses, verification.record_status or None), message=verification.message,
        timestamped=check.timestamped)


class AttachmentEndpoints:
    """The four attachment calls of one record type, for a servicer to delegate to (one line each)."""

    def __init__(self, context: ServiceContext, store: AttachmentStore, rules: AttachmentRules):
        self.context = context
        self.store = store
        self.rules = rules

    def upload(self, record_id: str, kind: str, file: common_pb2.FileUpload,
               field: str = "file") -> common_pb2.Attachment:
        stored = upload_attachment(self.context, self.store, self.rules, record_id, kind, upload_of(file, field))
        return attachment_message(stored)

    def list(self, record_id: str, kind: str = "") -> list[common_pb2.Attachment]:
        found = list_attachments(self.context, self.store, self.rules, record_id, kind or None)
        return [attachment_message(a) for a in found]

    def download(self, grpc_context: grpc.ServicerContext, record_id: str, attachment_id: str, *,
                 inline: bool = False) -> httpbody_pb2.HttpBody:
        found = download_attachment(self.context, self.store, self.rules, record_id, attachment_id)
        return file_body(grpc_context, found.attachment.file_name, found.attachment.content_type, found.content,
                         inline=inline)

    def delete(self, record_id: str, attachment_id: str) -> common_pb2.Attachment:
        return attachment_message(delete_attachment(self.context, self.store, self.rules, record_id, attachment_id))


def verify_endpoint(context: ServiceContext, trust: SigningTrust, status_of: StatusLookup,
                    file: common_pb2.FileUpload, field: str = "file") -> common_pb2.DocumentVerification:
    """``POST .../documents:verify`` of a system: the uploaded PDF checked and its record's status."""
    return verification_message(verify_certificate(context, trust, status_of, file.content, field))
