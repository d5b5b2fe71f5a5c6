"""What several use cases write beside their change: serial numbers, an application's steps, China's today."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from services.ccc_exemption.models import Application, ApplicationStep, Counter
from services.chassis.db import insert_ignoring_duplicates, utcnow

CHINA = ZoneInfo("Asia/Shanghai")


def china_today(moment: datetime | None = None) -> date:
    return (moment or utcnow()).astimezone(CHINA).date()


def next_serial(session: Session, name: str) -> int:
    """The next number of a series: one guarded increment, so two transactions never take the same one."""
    insert_ignoring_duplicates(session, Counter.__table__, [{"name": name, "value": 0}])
    return session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
                           .returning(Counter.value)).scalar_one()


def record_step(session: Session, application: Application, action: str, *, actor_id: str | None,
                actor_name: str, from_state: str, note: str = "") -> None:
    session.add(ApplicationStep(application_id=application.id, actor_id=actor_id or "", actor_name=actor_name,
                                action=action, from_state=from_state, to_state=application.status, note=note,
                                at=utcnow()))
