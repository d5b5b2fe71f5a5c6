"""Whether an institution stands under a disposal now: what commissions, re-filing and the public query obey.

Every function takes the session of the caller's unit of work; none opens its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from services.chassis.errors import FailedPrecondition
from services.inspection.domain.oversight import BINDING_STATES, NOT_RECOGNIZED, RECTIFICATION, commission_refusal
from services.inspection.models import Disposal


def binding(on: date) -> Any:
    """The SQL condition of a disposal that shuts its institution out on ``on``."""
    return or_(
        and_(Disposal.kind == NOT_RECOGNIZED, Disposal.status.in_(BINDING_STATES[NOT_RECOGNIZED]),
             or_(Disposal.ends_on.is_(None), Disposal.ends_on >= on)),
        and_(Disposal.kind == RECTIFICATION, Disposal.status.in_(BINDING_STATES[RECTIFICATION])),
    )


def binding_disposals(session: Session, organization_ids: Iterable[str], on: date) -> dict[str, Disposal]:
    """Organisation -> the disposal it stands under (a not-recognised one first, then the latest)."""
    wanted = set(organization_ids)
    if not wanted:
        return {}
    found: dict[str, Disposal] = {}
    query = (select(Disposal).where(Disposal.organization_id.in_(wanted), binding(on))
             .order_by((Disposal.kind == NOT_RECOGNIZED).desc(), Disposal.created_at.desc()))
    for disposal in session.scalars(query):
        found.setdefault(disposal.organization_id, disposal)
    return found


def binding_disposal(session: Session, organization_id: str, on: date) -> Disposal | None:
    return binding_disposals(session, [organization_id], on).get(organization_id)


def refuse_if_disposed(session: Session, organization_id: str, on: date, field: str = "filingId") -> None:
    """A commission may not go to (nor be taken by) an institution under a disposal: the manual's words."""
    disposal = binding_disposal(session, organization_id, on)
    if disposal is not None:
        raise FailedPrecondition(commission_refusal(disposal.kind, disposal.ends_on), reason="INSTITUTION_DISPOSED",
                                 metadata={"field": field, "disposalKind": disposal.kind,
                                           "endsOn": disposal.ends_on.isoformat() if disposal.ends_on else ""})
