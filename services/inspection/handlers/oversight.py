"""What the four oversight records share (manual §1.5–1.8): customs opens one against a filed institution;
the institution sees only its own, customs every one; both list them by text, creation day and status.

Every function that reads takes the session of the caller's unit of work; none opens its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from services.chassis.db import contains, new_id, utcnow
from services.chassis.errors import InvalidArgument
from services.chassis.paging import Page, paginate
from services.inspection.config import InspectionContext
from services.inspection.domain import numbers
from services.inspection.domain.states import ACCEPTED
from services.inspection.handlers.access import Viewer, missing, require_viewer
from services.inspection.handlers.periods import created_between
from services.inspection.models import Filing

T = TypeVar("T")


@dataclass(frozen=True)
class OversightQuery:
    # A part of the record's text (问题、检查或处置内容, 回复内容).
    text: str = ""
    status: str = ""
    filing_id: str = ""
    # 创建时间: yyyy-mm-dd, both days included (in China).
    created_from: str = ""
    created_to: str = ""


def filed(session: Session, filing_id: str, *, lock: bool = False) -> Filing:
    """The institution customs names: an accepted filing."""
    filing = session.get(Filing, filing_id, with_for_update=lock) if filing_id else None
    if filing is None or filing.status != ACCEPTED:
        raise InvalidArgument.for_field("filingId", "请选择已备案的检验机构")
    return filing


def opened(model: type[T], prefix: str, filing: Filing, viewer: Viewer, **values: Any) -> T:
    """A new record of ``model`` against the institution, numbered and signed by the customs office."""
    return model(id=new_id(), number=numbers.record_number(prefix), filing_id=filing.id,  # type: ignore[call-arg]
                 organization_id=filing.organization_id, institution_name=filing.name, agency=viewer.agency,
                 created_by=viewer.account_id, created_at=utcnow(), **values)


def visible(session: Session, viewer: Viewer, model: type[T], record_id: str, what: str, reason: str, *,
            lock: bool = False) -> T:
    """Customs sees every record; an institution its own; to anyone else it is missing."""
    record = session.get(model, record_id, with_for_update=lock) if record_id else None
    if record is None or not (viewer.customs or record.organization_id == viewer.organization_id):  # type: ignore
        raise missing(what, reason)
    return record


def listed(context: InspectionContext, model: Any, text_columns: Sequence[Any], query: OversightQuery,
           page_size: int, page_token: str, *, narrow: Select[Any] | None = None) -> Page[Any]:
    viewer = require_viewer()
    statement = created_between(narrow if narrow is not None else select(model), model.created_at,
                                query.created_from, query.created_to, "创建时间")
    if not viewer.customs:
        statement = statement.where(model.organization_id == viewer.organization_id)
    if query.text.strip():
        statement = statement.where(or_(*(contains(column, query.text.strip()) for column in text_columns)))
    if query.status:
        statement = statement.where(model.status == query.status)
    if query.filing_id:
        statement = statement.where(model.filing_id == query.filing_id)
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, statement.order_by(model.created_at.desc(), model.id), page_size, page_token)


def shown(context: InspectionContext, find: Callable[[Session, Viewer, str], T], record_id: str) -> T:
    """One record for whoever may see it (a query: read-only)."""
    with context.unit_of_work(read_only=True) as uow:
        return find(uow.session, require_viewer(), record_id)
