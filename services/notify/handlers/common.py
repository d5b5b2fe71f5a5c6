"""Small helpers the use cases share: paging tokens, idempotent inserts, delivery tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Table
from sqlalchemy.orm import Session

from services.notify.queues import DeliveryTask

__all__ = ["DeliveryTask", "as_aware", "insert_ignoring_duplicates", "like_pattern"]


def insert_ignoring_duplicates(session: Session, table: Table, rows: Sequence[dict], returning=None) -> list:
    """INSERT ... ON CONFLICT DO NOTHING: what was already there stays, once."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).on_conflict_do_nothing()
    if returning is not None:
        return list(session.execute(statement.returning(returning), list(rows)).scalars())
    session.execute(statement, list(rows))
    return []


def as_aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def like_pattern(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
