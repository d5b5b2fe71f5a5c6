"""Identity's old log of security events moves into the audit trail whole, the chain it joins holds, and back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text

from services.chassis import audit, migrations
from services.chassis.db import make_engine, make_session_factory
from services.identity.definition import DEFINITION

BEFORE = "88990614fa4b"
OLD_EVENTS = [
    ("2026-11-30 08:00:00", "acc-1", "LOGIN", "acc-1", "FAILURE", "203.0.113.9", "probe/1.0", "bad password"),
    ("2026-11-30 08:01:00", "acc-1", "LOGIN", "acc-1", "SUCCESS", "203.0.113.9", None, "entrance PLATFORM"),
    ("2026-11-30 09:00:00", "adm-1", "STAFF_UPDATED", "acc-2", "SUCCESS", None, None, '{"name": ["甲", "乙"]}'),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, postgres_database) -> str:
    return f"sqlite:///{tmp_path / 'identity.db'}" if request.param == "sqlite" else postgres_database("id_events")


def test_the_old_events_become_trail_rows_in_order_with_their_facts_and_the_old_table_goes(database_url):
    config = migrations.alembic_config(DEFINITION.metadata, DEFINITION.versions_dir, database_url)
    command.upgrade(config, BEFORE)
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            for at, actor, action, target, result, ip, agent, detail in OLD_EVENTS:
                connection.execute(text(
                    "INSERT INTO audit_events (at, actor_id, action, target, result, client_ip, user_agent, detail) "
                    "VALUES (:at, :actor, :action, :target, :result, :ip, :agent, :detail)"),
                    {"at": datetime.fromisoformat(at).replace(tzinfo=UTC), "actor": actor, "action": action,
                     "target": target, "result": result, "ip": ip, "agent": agent, "detail": detail})
        command.upgrade(config, "head")
        assert "audit_events" not in inspect(engine).get_table_names()
        trail = DEFINITION.tables.audit
        with make_session_factory(engine)() as session:
            rows = session.execute(trail.select().order_by(trail.c.sequence)).mappings().all()
            assert audit.verify(session, trail).ok
        assert [(r["action"], r["actor_id"], r["record_id"], r["result_code"], r["client_ip"]) for r in rows] == [
            ("event/LOGIN", "acc-1", "acc-1", "UNKNOWN", "203.0.113.9"),
            ("event/LOGIN", "acc-1", "acc-1", "OK", "203.0.113.9"),
            ("event/STAFF_UPDATED", "adm-1", "acc-2", "OK", None)]
        assert '"userAgent": "probe/1.0"' in rows[0]["detail"] and "bad password" in rows[0]["detail"]
        assert rows[2]["at"].replace(tzinfo=UTC) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        command.downgrade(config, BEFORE)
        with engine.connect() as connection:
            back = connection.execute(text("SELECT action, target, result, user_agent FROM audit_events ORDER BY id"))
            assert [tuple(r) for r in back] == [("LOGIN", "acc-1", "FAILURE", "probe/1.0"),
                                                ("LOGIN", "acc-1", "SUCCESS", None),
                                                ("STAFF_UPDATED", "acc-2", "SUCCESS", None)]
    finally:
        engine.dispose()
