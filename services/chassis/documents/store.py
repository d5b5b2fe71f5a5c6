"""Where attachments live: rows in the service's own database, bytes there too or in an S3-compatible bucket.

Every method takes the session of the caller's unit of work and never opens one. With
the database as the store the bytes commit or vanish with the rows. With S3 an object is
written at once and removed again if the unit of work ends without committing; an
object whose row was deleted is removed only after the commit, so a rolled-back delete
loses nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, event, insert, select
from sqlalchemy.orm import Session, SessionTransaction

from services.chassis.db import aware, new_id, utcnow
from services.chassis.documents.config import DocumentsConfig
from services.chassis.documents.content import CheckedFile
from services.chassis.documents.tables import AttachmentTables


class ContentMismatch(RuntimeError):
    """The stored bytes no longer have the SHA-256 recorded when they were uploaded."""


@dataclass(frozen=True)
class StoredAttachment:
    id: str
    record_type: str
    record_id: str
    kind: str
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    storage: str
    storage_key: str
    uploaded_by: str | None
    organization_id: str | None
    uploaded_at: datetime

    @classmethod
    def of_row(cls, row: Any) -> StoredAttachment:
        values = dict(row._mapping)
        values["uploaded_at"] = aware(values["uploaded_at"])
        return cls(**values)


class BlobStore(Protocol):
    name: str

    def key_for(self, attachment_id: str, record_type: str, record_id: str) -> str: ...

    def put(self, session: Session, attachment_id: str, key: str, content: bytes, content_type: str) -> None: ...

    def get(self, session: Session, attachment_id: str, key: str) -> bytes: ...

    def delete(self, session: Session, attachment_id: str, key: str) -> None: ...


class DatabaseBlobs:
    """The bytes in ``attachment_contents``, in the same transaction as their row."""

    name = "database"

    def __init__(self, tables: AttachmentTables):
        self._contents = tables.contents

    def key_for(self, attachment_id: str, record_type: str, record_id: str) -> str:
        return attachment_id

    def put(self, session: Session, attachment_id: str, key: str, content: bytes, content_type: str) -> None:
        session.execute(insert(self._contents).values(attachment_id=attachment_id, content=content))

    def get(self, session: Session, attachment_id: str, key: str) -> bytes:
        column = self._contents.c
        content = session.scalar(select(column.content).where(column.attachment_id == attachment_id))
        if content is None:
            raise ContentMismatch(f"attachment {attachment_id} has no stored content")
        return bytes(content)

    def delete(self, session: Session, attachment_id: str, key: str) -> None:
        session.execute(delete(self._contents).where(self._contents.c.attachment_id == attachment_id))


class S3Blobs:
    """The bytes as objects in a bucket of any S3-compatible store, through boto3."""

    name = "s3"

    def __init__(self, client: Any, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_config(cls, config: DocumentsConfig) -> S3Blobs:
        import boto3

        client = boto3.client("s3", endpoint_url=config.s3_endpoint_url)
        return cls(client, config.s3_bucket or "", config.s3_prefix)

    def key_for(self, attachment_id: str, record_type: str, record_id: str) -> str:
        return f"{self.prefix}{record_type}/{record_id}/{attachment_id}"

    def put(self, session: Session, attachment_id: str, key: str, content: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=content, ContentType=content_type)
        after_transaction(session, discarded=lambda: self._remove(key))

    def get(self, session: Session, attachment_id: str, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def delete(self, session: Session, attachment_id: str, key: str) -> None:
        after_transaction(session, committed=lambda: self._remove(key))

    def _remove(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


_HOOKS = "tongban_documents_hooks"


def after_transaction(session: Session, *, committed: Callable[[], None] | None = None,
                      discarded: Callable[[], None] | None = None) -> None:
    """Run ``committed`` once the session's transaction commits, or ``discarded`` once it ends without."""
    hooks = session.info.get(_HOOKS)
    if hooks is None:
        hooks = session.info[_HOOKS] = {"committed": [], "discarded": [], "did_commit": False}
        event.listen(session, "after_commit", _note_commit)
        event.listen(session, "after_transaction_end", _run_hooks)
    if committed is not None:
        hooks["committed"].append(committed)
    if discarded is not None:
        hooks["discarded"].append(discarded)


def _note_commit(session: Session) -> None:
    session.info[_HOOKS]["did_commit"] = True


def _run_hooks(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    hooks = session.info.get(_HOOKS)
    if not hooks:
        return
    chosen = hooks["committed"] if hooks["did_commit"] else hooks["discarded"]
    hooks.update(committed=[], discarded=[], did_commit=False)
    for hook in chosen:
        hook()


class AttachmentStore:
    """The attachments of one service: rows in its ``attachments`` table, bytes in ``blobs``."""

    def __init__(self, tables: AttachmentTables, blobs: BlobStore):
        self.tables = tables
        self.blobs = blobs
        # Rows written before the service moved to a bucket still find their bytes in the database.
        self._by_name: dict[str, BlobStore] = {"database": DatabaseBlobs(tables), blobs.name: blobs}

    @classmethod
    def from_config(cls, tables: AttachmentTables, config: DocumentsConfig) -> AttachmentStore:
        blobs: BlobStore = S3Blobs.from_config(config) if config.store == "s3" else DatabaseBlobs(tables)
        return cls(tables, blobs)

    def add(self, session: Session, *, record_type: str, record_id: str, kind: str, file: CheckedFile,
            uploaded_by: str | None, organization_id: str | None) -> StoredAttachment:
        attachment_id = new_id()
        values = {
            "id": attachment_id, "record_type": record_type, "record_id": record_id, "kind": kind,
            "file_name": file.file_name, "content_type": file.content_type, "size_bytes": file.size_bytes,
            "sha256": file.sha256, "storage": self.blobs.name,
            "storage_key": self.blobs.key_for(attachment_id, record_type, record_id),
            "uploaded_by": uploaded_by, "organization_id": organization_id, "uploaded_at": utcnow(),
        }
        session.execute(insert(self.tables.attachments).values(**values))
        self.blobs.put(session, attachment_id, values["storage_key"], file.content, file.content_type)
        return StoredAttachment(**values)

    def list(self, session: Session, record_type: str, record_id: str,
             kind: str | None = None) -> list[StoredAttachment]:
        table = self.tables.attachments
        query = select(table).where(table.c.record_type == record_type, table.c.record_id == record_id)
        if kind:
            query = query.where(table.c.kind == kind)
        rows = session.execute(query.order_by(table.c.uploaded_at, table.c.id))
        return [StoredAttachment.of_row(row) for row in rows]

    def find(self, session: Session, record_type: str, record_id: str, attachment_id: str) -> StoredAttachment | None:
        """The attachment if it belongs to that record; None otherwise (another record's id finds nothing)."""
        table = self.tables.attachments
        row = session.execute(select(table).where(table.c.id == attachment_id, table.c.record_type == record_type,
                                                  table.c.record_id == record_id)).first()
        return StoredAttachment.of_row(row) if row is not None else None

    def content(self, session: Session, attachment: StoredAttachment) -> bytes:
        """The bytes, checked against the SHA-256 recorded at upload."""
        data = self._by_name[attachment.storage].get(session, attachment.id, attachment.storage_key)
        if hashlib.sha256(data).hexdigest() != attachment.sha256:
            raise ContentMismatch(f"attachment {attachment.id}: stored content does not match its SHA-256")
        return data

    def remove(self, session: Session, attachment: StoredAttachment) -> None:
        self._by_name[attachment.storage].delete(session, attachment.id, attachment.storage_key)
        session.execute(delete(self.tables.attachments).where(self.tables.attachments.c.id == attachment.id))

    def remove_record(self, session: Session, record_type: str, record_id: str) -> int:
        """Every attachment of a record (a deleted draft); answers how many."""
        attachments = self.list(session, record_type, record_id)
        for attachment in attachments:
            self.remove(session, attachment)
        return len(attachments)
