"""已备案检验机构查询 (manual §1.2): filed institutions by name or certificate number, with the disposal
each stands under and its end date. A revoked filing is no longer accepted, so it is absent. Public.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select

from services.chassis.db import contains
from services.chassis.paging import Page, paginate
from services.inspection.config import InspectionContext
from services.inspection.domain.fields import today
from services.inspection.domain.states import ACCEPTED
from services.inspection.handlers.standing import binding, binding_disposals
from services.inspection.models import Disposal, Filing


@dataclass(frozen=True)
class FiledInstitution:
    filing: Filing
    # The disposal in force, if any: its kind is the status shown, its end date beside it.
    disposal: Disposal | None


def list_institutions(context: InspectionContext, name: str, certificate_number: str, available_only: bool,
                      page_size: int, page_token: str) -> Page[FiledInstitution]:
    """``available_only``: only those an enterprise may commission now (the dropdown of 装运前检验机构)."""
    on = today()
    with context.unit_of_work(read_only=True) as uow:
        query = select(Filing).where(Filing.status == ACCEPTED)
        if name.strip():
            query = query.where(contains(Filing.name, name.strip()))
        if certificate_number.strip():
            query = query.where(contains(Filing.certificate_number, certificate_number.strip()))
        if available_only:
            query = query.where(~exists().where(Disposal.organization_id == Filing.organization_id, binding(on)))
        page = paginate(uow.session, query.order_by(Filing.certificate_number, Filing.id), page_size, page_token)
        disposals = binding_disposals(uow.session, [f.organization_id for f in page.items], on)
        return Page([FiledInstitution(f, disposals.get(f.organization_id)) for f in page.items],
                    page.next_page_token, page.total_size)
