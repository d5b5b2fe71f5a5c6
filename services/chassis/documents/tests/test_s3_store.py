"""The S3 backend against a real S3-compatible server on localhost (moto's), through boto3 as in production."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from protos.common.v1 import common_pb2
from protos.testing.v1 import documents_pb2 as pb
from services.chassis.documents.content import AttachmentKind, Upload, check_upload
from services.chassis.documents.tests import files
from services.chassis.documents.tests.service import TABLES, add_record
from services.chassis.testing import free_port

BUCKET = "tongban-origin-cert"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "stand-in", "AWS_SECRET_ACCESS_KEY": "stand-in", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket=BUCKET)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_an_attachment_makes_the_round_trip_through_the_bucket(start_documents, s3, s3_endpoint):
    documents = start_documents(ORIGIN_CERT_ATTACHMENT_STORE="s3", ORIGIN_CERT_S3_BUCKET=BUCKET,
                                ORIGIN_CERT_S3_PREFIX="attachments/", S3_ENDPOINT_URL=s3_endpoint)
    record = add_record(documents.context, "org-a")
    token = documents.minter.mint("user-a", org="org-a")
    data = files.image("PNG")
    stored = documents.call("UploadAttachment", pb.UploadAttachmentRequest(
        record_id=record, kind="PHOTO", file=common_pb2.FileUpload(file_name="现场照片.png", content=data)), token)
    key = f"attachments/record/{record}/{stored.id}"
    assert keys(s3) == [key]
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == data
    with documents.context.engine.connect() as connection:
        assert connection.execute(TABLES.contents.select()).first() is None  # the bytes are not in the database

    request = pb.AttachmentRequest(record_id=record, attachment_id=stored.id)
    assert documents.call("DownloadAttachment", request, token).data == data
    documents.call("DeleteAttachment", request, token)
    assert keys(s3) == []


def add_contract(documents, uow):
    checked = check_upload(Upload("a.pdf", files.MINIMAL_PDF), AttachmentKind("CONTRACT", "合同"))
    return documents.context.providers.store.add(uow.session, record_type="record", record_id="r1", kind="CONTRACT",
                                                 file=checked, uploaded_by=None, organization_id=None)


def test_an_object_written_in_a_unit_of_work_that_does_not_commit_is_removed(start_documents, s3, s3_endpoint):
    documents = start_documents(ORIGIN_CERT_ATTACHMENT_STORE="s3", ORIGIN_CERT_S3_BUCKET=BUCKET,
                                S3_ENDPOINT_URL=s3_endpoint)
    with documents.context.unit_of_work() as uow:
        add_contract(documents, uow)
        assert len(keys(s3)) == 1
    assert keys(s3) == []


def test_a_delete_that_is_rolled_back_keeps_the_object(start_documents, s3, s3_endpoint):
    documents = start_documents(ORIGIN_CERT_ATTACHMENT_STORE="s3", ORIGIN_CERT_S3_BUCKET=BUCKET,
                                S3_ENDPOINT_URL=s3_endpoint)
    store = documents.context.providers.store
    with documents.context.unit_of_work() as uow:
        stored = add_contract(documents, uow)
        uow.commit()
    with documents.context.unit_of_work() as uow:
        store.remove(uow.session, stored)
    assert len(keys(s3)) == 1
    with documents.context.unit_of_work(read_only=True) as uow:
        assert store.content(uow.session, stored) == files.MINIMAL_PDF
