"""security events in the audit trail

Identity's own log of security events (audit_events) becomes event rows of the chassis audit trail,
hash-chained with every call's row. The rows it held are carried over first, oldest first, each with
its own time, actor, address and result, then the table goes.

Revision ID: 273059d929ea
Revises: 88990614fa4b
Create Date: 2026-12-03 07:40:00.000000
"""
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from services.chassis import audit
from services.chassis.audit import EVENT_PREFIX

revision: str = '273059d929ea'
down_revision: str | Sequence[str] | None = '88990614fa4b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (("ix_audit_events_action", ["action"]), ("ix_audit_events_actor", ["actor_id", "at"]),
            ("ix_audit_events_at", ["at"]), ("ix_audit_events_target", ["target"]))


def _event_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=True),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
    ]


def _events_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table("audit_events", metadata, *_event_columns())


def _row_of(event: sa.RowMapping) -> dict:
    """The trail's row for one of the old events (its result kept: the old log had no code for a failure)."""
    return {
        "at": event["at"], "actor_id": event["actor_id"], "actor_kind": None, "actor_roles": "",
        "organization_id": None, "agency": None, "client_ip": event["client_ip"], "request_id": None,
        "action": EVENT_PREFIX + event["action"], "record_type": "", "record_id": event["target"] or "",
        "result_code": "OK" if event["result"] == "SUCCESS" else "UNKNOWN", "result_reason": "",
        "detail": json.dumps({"detail": event["detail"][:audit.DETAIL_LIMIT // 2],
                              "userAgent": event["user_agent"] or ""}, ensure_ascii=False, sort_keys=True),
    }


def upgrade() -> None:
    metadata = sa.MetaData()
    events = _events_table(metadata)
    trail = audit.define_audit_table(metadata)
    session = Session(bind=op.get_bind())
    after = 0
    while True:  # in batches: a long-running platform's log never sits in memory at once
        batch = session.execute(sa.select(events).where(events.c.id > after).order_by(events.c.id).limit(1000)
                                ).mappings().all()
        for event in batch:
            audit.append(session, trail, _row_of(event))
        if len(batch) < 1000:
            break
        after = batch[-1]["id"]
    session.flush()
    for name, _columns in _INDEXES:
        op.drop_index(name, table_name="audit_events")
    op.drop_table("audit_events")


def downgrade() -> None:
    """The old table again, holding the trail's event rows (which stay in the trail: it is append-only)."""
    op.create_table("audit_events", *_event_columns())
    for name, columns in _INDEXES:
        op.create_index(name, "audit_events", columns)
    metadata = sa.MetaData()
    events, trail = _events_table(metadata), audit.define_audit_table(metadata)
    rows = op.get_bind().execute(sa.select(trail).where(trail.c.action.startswith(EVENT_PREFIX, autoescape=True))
                                 .order_by(trail.c.sequence)).mappings().all()
    for row in rows:
        detail = json.loads(row["detail"] or "{}")
        op.get_bind().execute(sa.insert(events), [{
            "at": row["at"], "actor_id": row["actor_id"], "action": row["action"].removeprefix(EVENT_PREFIX)[:48],
            "target": row["record_id"] or None, "result": "SUCCESS" if row["result_code"] == "OK" else "FAILURE",
            "client_ip": row["client_ip"], "user_agent": detail.get("userAgent") or None,
            "detail": detail.get("detail", "")}])
