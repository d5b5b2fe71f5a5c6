"""The attachment tables in a service's revision: ``create_attachment_tables(op)``, and its downgrade.

Built from the same column definitions as :func:`~services.chassis.documents.tables.define_attachment_tables`,
so schema and models cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from services.chassis.documents.tables import (
    ATTACHMENTS_TABLE,
    CONTENTS_TABLE,
    RECORD_INDEX,
    RECORD_INDEX_COLUMNS,
    attachment_columns,
    content_columns,
)


def create_attachment_tables(op: Any) -> None:
    op.create_table(ATTACHMENTS_TABLE, *attachment_columns())
    op.create_index(RECORD_INDEX, ATTACHMENTS_TABLE, list(RECORD_INDEX_COLUMNS))
    op.create_table(CONTENTS_TABLE, *content_columns())


def drop_attachment_tables(op: Any) -> None:
    op.drop_table(CONTENTS_TABLE)
    op.drop_index(RECORD_INDEX, table_name=ATTACHMENTS_TABLE)
    op.drop_table(ATTACHMENTS_TABLE)
