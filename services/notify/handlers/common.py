"""Small helpers the use cases share: paging tokens, idempotent inserts, delivery tasks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class DeliveryTask:
    """Ask to send one delivery; ``attempt`` is how many attempts it had when asked, so a stale ask is dropped."""

    delivery_id: str
    attempt: int
    priority: str = "NORMAL"

    def payload(self) -> dict:
        return {"deliveryId": self.delivery_id, "attempt": self.attempt, "priority": self.priority}

    @classmethod
    def from_payload(cls, payload: dict) -> DeliveryTask:
        return cls(str(payload["deliveryId"]), int(payload.get("attempt", 0)), payload.get("priority") or "NORMAL")


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
