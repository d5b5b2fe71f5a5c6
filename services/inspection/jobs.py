"""Scheduled work (``jobs``, a CronJob in Kubernetes): not-recognised periods that have run out end.

Idempotent: a disposal ends once (a guarded UPDATE), and its institution is told in the same unit of
work, so a second run, or two at once, tell nobody twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from services.chassis.db import utcnow
from services.inspection import events
from services.inspection.config import InspectionContext
from services.inspection.domain.fields import today
from services.inspection.domain.oversight import DISPOSAL_KINDS, NOT_RECOGNIZED
from services.inspection.domain.states import DISPOSAL, ENDED
from services.inspection.models import Disposal

log = logging.getLogger(__name__)


def end_expired_disposals(context: InspectionContext, on: date | None = None) -> int:
    """End every not-recognised disposal whose last day is before ``on`` (today); answers how many ended."""
    on = on or today()
    with context.unit_of_work() as uow:
        session = uow.session
        ended = DISPOSAL.update_returning(
            session, Disposal, ENDED, Disposal.kind == NOT_RECOGNIZED, Disposal.ends_on < on,
            returning=[Disposal.id], closed_at=utcnow())
        ids = [row.id for row in ended]
        for disposal in session.scalars(select(Disposal).where(Disposal.id.in_(ids))) if ids else ():
            uow.publish(events.notice_to_organization("inspection.disposal.ended", disposal.organization_id, {
                "institutionName": disposal.institution_name, "disposalNumber": disposal.number,
                "disposalKind": DISPOSAL_KINDS[disposal.kind], "endsOn": disposal.ends_on.isoformat()}))
        uow.commit()
    return len(ids)


def jobs_command(context: InspectionContext, _argv: Sequence[str]) -> int:
    ended = end_expired_disposals(context)
    log.info("inspection jobs: %d not-recognised disposals ended", ended)
    return 0
