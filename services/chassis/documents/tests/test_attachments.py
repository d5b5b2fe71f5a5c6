"""Attachments over real gRPC: upload, list, download, delete, each refusal naming its field, visibility by record."""

from __future__ import annotations

import hashlib

import grpc
import pytest

from protos.common.v1 import common_pb2
from protos.testing.v1 import documents_pb2 as pb
from services.chassis.documents.content import MB, XLSX
from services.chassis.documents.tests import files
from services.chassis.documents.tests.service import add_record, token
from services.chassis.http_metadata import CONTENT_DISPOSITION_KEY


def upload(record_id: str, data: bytes, name: str = "采购合同.pdf",
           kind: str = "CONTRACT") -> pb.UploadAttachmentRequest:
    return pb.UploadAttachmentRequest(record_id=record_id, kind=kind, file=common_pb2.FileUpload(
        file_name=name, content_type="application/pdf", content=data))


def test_an_upload_is_listed_downloaded_with_its_name_and_deleted(documents):
    record = add_record(documents.context, "org-a")
    data = files.xlsx()
    stored = documents.call("UploadAttachment", upload(record, data, "货物清单.xlsx", "INVOICE"), token(documents))
    assert (stored.file_name, stored.content_type, stored.kind) == ("货物清单.xlsx", XLSX, "INVOICE")
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size_bytes == len(data)
    assert stored.uploaded_by == "user-org-a"

    listed = documents.call("ListAttachments", pb.ListAttachmentsRequest(record_id=record), token(documents))
    assert [a.id for a in listed.attachments] == [stored.id]
    body, call = documents.call("DownloadAttachment", pb.AttachmentRequest(record_id=record, attachment_id=stored.id),
                                token(documents), with_call=True)
    assert body.data == data and body.content_type == XLSX
    disposition = dict(call.trailing_metadata())[CONTENT_DISPOSITION_KEY]
    assert disposition.startswith("attachment;") and "%E8%B4%A7%E7%89%A9" in disposition

    documents.call("DeleteAttachment", pb.AttachmentRequest(record_id=record, attachment_id=stored.id),
                   token(documents))
    assert not documents.call("ListAttachments", pb.ListAttachmentsRequest(record_id=record),
                              token(documents)).attachments


def test_a_list_can_be_narrowed_to_one_kind(documents):
    record = add_record(documents.context, "org-a")
    for kind in ("CONTRACT", "INVOICE", "INVOICE"):
        documents.call("UploadAttachment", upload(record, files.MINIMAL_PDF, kind=kind), token(documents))
    listed = documents.call("ListAttachments", pb.ListAttachmentsRequest(record_id=record, kind="INVOICE"),
                            token(documents))
    assert [a.kind for a in listed.attachments] == ["INVOICE", "INVOICE"]


@pytest.mark.parametrize(("data", "kind", "words"), [
    (files.MINIMAL_PDF + b"0" * (5 * MB), "CONTRACT", "超过 5 MB"),
    (b"", "CONTRACT", "为空"),
    (files.EXECUTABLE, "CONTRACT", "可执行文件"),
    (files.MINIMAL_PDF, "PHOTO", "请上传 JPEG 图片、PNG 图片"),
    (files.image("PNG") + b"0" * MB, "PHOTO", "超过 1 MB"),
])
def test_a_refused_upload_names_the_file_field_and_keeps_nothing(documents, data, kind, words):
    record = add_record(documents.context, "org-a")
    refusal = documents.refused("UploadAttachment", upload(record, data, kind=kind), token(documents))
    assert refusal.code == grpc.StatusCode.INVALID_ARGUMENT
    assert list(refusal.fields) == ["file"] and words in refusal.fields["file"]
    assert not documents.call("ListAttachments", pb.ListAttachmentsRequest(record_id=record),
                              token(documents)).attachments


def test_an_unknown_kind_is_refused_naming_kind(documents):
    record = add_record(documents.context, "org-a")
    refusal = documents.refused("UploadAttachment", upload(record, files.MINIMAL_PDF, kind="RECEIPT"),
                                token(documents))
    assert list(refusal.fields) == ["kind"]


def test_another_organisations_attachment_is_not_found_naming_the_record(documents):
    record = add_record(documents.context, "org-a")
    stored = documents.call("UploadAttachment", upload(record, files.MINIMAL_PDF), token(documents))
    request = pb.AttachmentRequest(record_id=record, attachment_id=stored.id)
    for method in ("DownloadAttachment", "DeleteAttachment"):
        refusal = documents.refused(method, request, token(documents, "org-b"))
        assert refusal.code == grpc.StatusCode.NOT_FOUND
        assert refusal.metadata["field"] == "recordId"
    assert documents.refused("UploadAttachment", upload(record, files.MINIMAL_PDF),
                             token(documents, "org-b")).code == grpc.StatusCode.NOT_FOUND
    # Still there for its owner.
    assert documents.call("DownloadAttachment", request, token(documents)).data == files.MINIMAL_PDF


def test_an_attachment_is_found_only_under_its_own_record(documents):
    first, second = add_record(documents.context, "org-a"), add_record(documents.context, "org-a")
    stored = documents.call("UploadAttachment", upload(first, files.MINIMAL_PDF), token(documents))
    refusal = documents.refused("DownloadAttachment", pb.AttachmentRequest(record_id=second, attachment_id=stored.id),
                                token(documents))
    assert refusal.code == grpc.StatusCode.NOT_FOUND and refusal.metadata["field"] == "attachmentId"


def test_a_submitted_record_takes_no_more_attachments_but_shows_its_own(documents):
    record = add_record(documents.context, "org-a", status="SUBMITTED")
    refusal = documents.refused("UploadAttachment", upload(record, files.MINIMAL_PDF), token(documents))
    assert refusal.code == grpc.StatusCode.FAILED_PRECONDITION
    assert documents.call("ListAttachments", pb.ListAttachmentsRequest(record_id=record), token(documents))
