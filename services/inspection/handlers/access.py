"""Who is calling: customs staff (``CUSTOMS:<code>``), an institution or an enterprise, or the public.

Routes that take no login (the public queries) call nothing here. Everything else needs the
``inspection`` scope; a record the caller may not see is answered as missing (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.auth import Caller, require_scope
from services.chassis.errors import FailedPrecondition, NotFound, PermissionDenied
from services.inspection.domain.actors import SCOPE, STAFF, is_customs_agency
from services.inspection.domain.states import ACCEPTED
from services.inspection.models import Filing


@dataclass(frozen=True)
class Viewer:
    """A caller of a non-public route: customs staff, or a member acting for an organisation."""

    caller: Caller
    customs: bool

    @property
    def organization_id(self) -> str:
        return self.caller.organization_id or ""

    @property
    def account_id(self) -> str:
        return self.caller.account_id or ""

    @property
    def agency(self) -> str:
        return self.caller.agency or ""


def require_viewer() -> Viewer:
    caller = require_scope(SCOPE)
    if caller.kind == STAFF:
        if not is_customs_agency(caller.agency):
            raise PermissionDenied("仅限海关工作人员或检验机构、委托企业使用本系统", reason="NOT_CUSTOMS")
        return Viewer(caller, customs=True)
    if not caller.organization_id:
        raise PermissionDenied("请以检验机构或委托企业身份登录", reason="ORGANIZATION_REQUIRED")
    return Viewer(caller, customs=False)


def require_customs() -> Viewer:
    viewer = require_viewer()
    if not viewer.customs:
        raise PermissionDenied("仅限海关工作人员操作", reason="CUSTOMS_ONLY")
    return viewer


def require_member() -> Viewer:
    """An institution or an enterprise, acting for its organisation (never customs)."""
    viewer = require_viewer()
    if viewer.customs:
        raise PermissionDenied("仅限检验机构或委托企业操作", reason="ORGANIZATION_ONLY")
    return viewer


def missing(what: str, reason: str, field: str = "id") -> NotFound:
    """The answer for a record that does not exist, or that the caller may not see."""
    return NotFound(f"{what}不存在或无权查看", reason=reason, metadata={"field": field})


def filed_institution(session: Session, viewer: Viewer, *, lock: bool = False) -> Filing:
    """The caller's accepted filing: what makes it an institution others may commission and oversee."""
    query = select(Filing).where(Filing.organization_id == viewer.organization_id, Filing.status == ACCEPTED)
    filing = session.scalars(query.with_for_update() if lock else query).first()
    if filing is None:
        raise FailedPrecondition("本机构尚未完成备案（备案申请未受理）", reason="FILING_NOT_ACCEPTED")
    return filing
