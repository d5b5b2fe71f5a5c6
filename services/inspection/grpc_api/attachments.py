"""The four attachment calls of a record type, for a servicer to delegate to (one line each)."""

from __future__ import annotations

import grpc

from protos.common.v1 import common_pb2
from protos.inspection.v1 import resources_pb2
from services.chassis.documents.wire import attachment_message, file_body, upload_of
from services.inspection.config import InspectionContext
from services.inspection.handlers import attachments
from services.inspection.handlers.attachments import Holder


class AttachmentCalls:
    def __init__(self, context: InspectionContext, holder: Holder):
        self._context = context
        self._holder = holder

    def upload(self, request: resources_pb2.UploadAttachmentRequest) -> common_pb2.Attachment:
        stored = attachments.upload(self._context, self._holder, request.id, request.kind, upload_of(request.file))
        return attachment_message(stored)

    def list(self, request: resources_pb2.ListAttachmentsRequest) -> resources_pb2.AttachmentList:
        found = attachments.attachments(self._context, self._holder, request.id, request.kind)
        return resources_pb2.AttachmentList(attachments=[attachment_message(a) for a in found])

    def download(self, request: resources_pb2.AttachmentRequest, context: grpc.ServicerContext):
        found = attachments.download(self._context, self._holder, request.id, request.attachment_id)
        return file_body(context, found.attachment.file_name, found.attachment.content_type, found.content)

    def delete(self, request: resources_pb2.AttachmentRequest) -> common_pb2.Attachment:
        return attachment_message(attachments.remove(self._context, self._holder, request.id, request.attachment_id))
