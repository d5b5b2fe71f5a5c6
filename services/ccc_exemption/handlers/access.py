"""Who may see and do what: enterprises (the service's scope), a CIQ bureau's posts, customs, CNCA.

A record the caller may not see is a 404 like a missing one; a post acting outside its post, on a
record it sees, is a 403. Every function takes the session of the caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_
from sqlalchemy.orm import Session

from services.ccc_exemption.domain.reference import CIQ, CNCA, CUSTOMS, POSTS, SCOPE, WRITE_OFF
from services.ccc_exemption.domain.states import DRAFT
from services.ccc_exemption.models import Application, Certificate
from services.chassis.auth import Caller, require_scope
from services.chassis.errors import NotFound, PermissionDenied

STAFF = "STAFF"


@dataclass(frozen=True)
class Staff:
    caller: Caller
    # CIQ, CUSTOMS or CNCA; ``code`` is the bureau's or the customs port's (district's) code.
    kind: str
    code: str

    def holds(self, post: str) -> bool:
        return self.caller.has_role(post)

    @property
    def agency(self) -> str:
        return self.caller.agency or ""

    @property
    def name(self) -> str:
        return str(self.caller.claims.get("name") or self.caller.account_id or "")

    @property
    def bureau(self) -> str | None:
        return self.code if self.kind == CIQ else None


@dataclass(frozen=True)
class Viewer:
    """An enterprise (``staff`` None) or a member of staff."""

    caller: Caller
    staff: Staff | None = None

    @property
    def organization_id(self) -> str | None:
        return None if self.staff else self.caller.organization_id


def staff_of(caller: Caller) -> Staff | None:
    if caller.kind != STAFF or not caller.agency:
        return None
    kind, _, code = caller.agency.partition(":")
    if kind == CNCA and not code:
        return Staff(caller, CNCA, "")
    if kind in (CIQ, CUSTOMS) and code:
        return Staff(caller, kind, code)
    return None


def require_viewer() -> Viewer:
    caller = require_scope(SCOPE)
    staff = staff_of(caller)
    if staff is None and (caller.kind == STAFF or not caller.organization_id):
        raise PermissionDenied("请以企业身份或检验检疫局工作人员身份登录", reason="NOT_A_PARTY")
    return Viewer(caller, staff)


def require_enterprise() -> Caller:
    viewer = require_viewer()
    if viewer.staff is not None:
        raise PermissionDenied("仅限企业用户操作", reason="ENTERPRISE_ONLY")
    return viewer.caller


def require_post(post: str) -> Staff:
    """A CIQ bureau's staff member holding ``post`` (customs staff for WRITE_OFF too)."""
    viewer = require_viewer()
    staff = viewer.staff
    kinds = (CIQ, CUSTOMS) if post == WRITE_OFF else (CIQ,)
    if staff is None or staff.kind not in kinds or not staff.holds(post):
        raise PermissionDenied(f"仅限检验检疫局{POSTS[post]}操作", reason="POST_REQUIRED", metadata={"post": post})
    return staff


def application_not_found() -> NotFound:
    return NotFound("申请单不存在或无权查看", reason="APPLICATION_NOT_FOUND", metadata={"field": "id"})


def certificate_not_found(field: str = "id") -> NotFound:
    return NotFound("免办证明不存在或无权查看", reason="CERTIFICATE_NOT_FOUND", metadata={"field": field})


def sees_application(viewer: Viewer, application: Application) -> bool:
    staff = viewer.staff
    if staff is None:
        return application.organization_id == viewer.caller.organization_id
    if staff.kind == CIQ and application.entered_by_bureau == staff.code:
        return True
    if application.status == DRAFT:
        return False
    return staff.kind == CNCA or (staff.kind == CIQ and application.bureau_code == staff.code)


def visible_applications(viewer: Viewer, query: Select[Any]) -> Select[Any]:
    staff = viewer.staff
    if staff is None:
        return query.where(Application.organization_id == viewer.caller.organization_id)
    if staff.kind == CNCA:
        return query.where(Application.status != DRAFT)
    if staff.kind == CIQ:
        return query.where(or_(Application.entered_by_bureau == staff.code,
                               (Application.bureau_code == staff.code) & (Application.status != DRAFT)))
    return query.where(Application.id.is_(None))


def load_application(session: Session, viewer: Viewer, application_id: str, *, lock: bool = False) -> Application:
    application = session.get(Application, application_id, with_for_update=lock) if application_id else None
    if application is None or not sees_application(viewer, application):
        raise application_not_found()
    return application


def sees_certificate(viewer: Viewer, certificate: Certificate) -> bool:
    """Enterprises their own; CNCA and customs every one; a bureau its own, and its WRITE_OFF post every
    bureau's (a write-off officer may write off certificates issued anywhere, manual §2.8)."""
    staff = viewer.staff
    if staff is None:
        return certificate.organization_id == viewer.caller.organization_id
    if staff.kind in (CNCA, CUSTOMS) or staff.holds(WRITE_OFF):
        return True
    return certificate.bureau_code == staff.code


def visible_certificates(viewer: Viewer, query: Select[Any]) -> Select[Any]:
    staff = viewer.staff
    if staff is None:
        return query.where(Certificate.organization_id == viewer.caller.organization_id)
    if staff.kind in (CNCA, CUSTOMS) or staff.holds(WRITE_OFF):
        return query
    return query.where(Certificate.bureau_code == staff.code)


def load_certificate(session: Session, viewer: Viewer, certificate_id: str, *, field: str = "id",
                     lock: bool = False) -> Certificate:
    certificate = session.get(Certificate, certificate_id, with_for_update=lock) if certificate_id else None
    if certificate is None or not sees_certificate(viewer, certificate):
        raise certificate_not_found(field)
    return certificate
