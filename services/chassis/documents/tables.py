"""The attachment tables, in each service's own schema: ``define_attachment_tables(Base.metadata)``.

``attachments`` describes every file (its record, kind, name, type, size, SHA-256, who
uploaded it, where its bytes are); ``attachment_contents`` holds the bytes when the
database is the store. The first is always read without the second, so a list never
loads a file.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Index, LargeBinary, MetaData, String, Table

ATTACHMENTS_TABLE = "attachments"
CONTENTS_TABLE = "attachment_contents"
RECORD_INDEX = "ix_attachments_record"
RECORD_INDEX_COLUMNS = ("record_type", "record_id", "kind")


@dataclass(frozen=True)
class AttachmentTables:
    attachments: Table
    contents: Table

    @classmethod
    def of(cls, metadata: MetaData) -> AttachmentTables:
        """The tables :func:`define_attachment_tables` added to ``metadata``."""
        return cls(attachments=metadata.tables[ATTACHMENTS_TABLE], contents=metadata.tables[CONTENTS_TABLE])


def attachment_columns() -> list[Column]:
    """Fresh column objects each call: for the models' metadata and for the migration alike."""
    return [
        Column("id", String(32), primary_key=True),
        # The owning service's record: its type (``application``, ``certificate``...) and id.
        Column("record_type", String(64), nullable=False),
        Column("record_id", String(64), nullable=False),
        Column("kind", String(32), nullable=False),
        Column("file_name", String(255), nullable=False),
        Column("content_type", String(128), nullable=False),
        Column("size_bytes", BigInteger, nullable=False),
        Column("sha256", String(64), nullable=False),
        # ``database`` or ``s3``; the object key in the bucket for S3.
        Column("storage", String(16), nullable=False),
        Column("storage_key", String(512), nullable=False),
        Column("uploaded_by", String(64), nullable=True),
        Column("organization_id", String(64), nullable=True),
        Column("uploaded_at", DateTime(timezone=True), nullable=False),
    ]


def content_columns() -> list[Column]:
    return [
        Column("attachment_id", String(32), ForeignKey(f"{ATTACHMENTS_TABLE}.id", ondelete="CASCADE"),
               primary_key=True),
        Column("content", LargeBinary, nullable=False),
    ]


def define_attachment_tables(metadata: MetaData) -> AttachmentTables:
    """Add ``attachments`` and ``attachment_contents`` to a service's metadata (and so its migrations)."""
    attachments = Table(ATTACHMENTS_TABLE, metadata, *attachment_columns(), Index(RECORD_INDEX, *RECORD_INDEX_COLUMNS))
    contents = Table(CONTENTS_TABLE, metadata, *content_columns())
    return AttachmentTables(attachments=attachments, contents=contents)
