"""Who may do what: enterprises (the service's scope), the office, the operating body, local authorities.

Every function that reads takes the session of the caller's unit of work; none opens its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.chassis.auth import Caller, require_scope
from services.chassis.divisions import region_prefix
from services.chassis.errors import FailedPrecondition, NotFound, PermissionDenied
from services.rare_earth.domain.agencies import LOCAL_AUTHORITY, OFFICE, OPERATOR, SCOPE, region_of
from services.rare_earth.domain.enterprises import PARENT_TYPES, registration_gate_message
from services.rare_earth.domain.states import APPROVED
from services.rare_earth.models import Affiliation, Enterprise

STAFF_KINDS = frozenset({"STAFF", "ADMIN"})


@dataclass(frozen=True)
class Staff:
    caller: Caller
    agency: str

    @property
    def is_office(self) -> bool:
        return self.agency == OFFICE

    @property
    def is_operator(self) -> bool:
        return self.agency == OPERATOR

    @property
    def region(self) -> str | None:
        return region_of(self.agency)

    def sees(self, enterprise: Enterprise) -> bool:
        """The office and the operating body see every enterprise; a local authority those in its region."""
        if self.is_office or self.is_operator:
            return True
        region = self.region
        return bool(region) and (enterprise.city_code or enterprise.province_code).startswith(region_prefix(region))


def rare_earth_caller() -> Caller:
    return require_scope(SCOPE)


def staff_of(caller: Caller) -> Staff | None:
    agency = caller.agency or ""
    if caller.kind != "STAFF" or not (agency in (OFFICE, OPERATOR) or region_of(agency)):
        return None
    return Staff(caller, agency)


def require_staff(*agencies: str) -> Staff:
    """The caller is staff of one of ``agencies`` (``LOCAL_AUTHORITY`` matches any region)."""
    caller = rare_earth_caller()
    staff = staff_of(caller)
    if staff is None or not any(staff.agency == a or (a == LOCAL_AUTHORITY and staff.region) for a in agencies):
        raise PermissionDenied("仅限稀土办、运营机构或地方主管部门工作人员操作", reason="STAFF_ONLY",
                               metadata={"agencies": ",".join(agencies)})
    return staff


def require_enterprise_caller() -> Caller:
    caller = rare_earth_caller()
    if caller.kind in STAFF_KINDS or not caller.organization_id:
        raise PermissionDenied("仅限企业用户操作：请以企业身份登录", reason="ENTERPRISE_ONLY")
    return caller


def enterprise_of(session: Session, caller: Caller, *, lock: bool = False) -> Enterprise | None:
    query = select(Enterprise).where(Enterprise.organization_id == caller.organization_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def require_approved_enterprise(session: Session, *, lock: bool = False) -> tuple[Caller, Enterprise]:
    """The calling enterprise, refused with the reason while its registration is not approved."""
    caller = require_enterprise_caller()
    enterprise = enterprise_of(session, caller, lock=lock)
    if enterprise is None or enterprise.status != APPROVED:
        status = enterprise.status if enterprise else None
        raise FailedPrecondition(
            registration_gate_message(status, enterprise.rejection_reason if enterprise else ""),
            reason="REGISTRATION_NOT_APPROVED", metadata={"registrationStatus": status or "NONE"})
    return caller, enterprise


def approved_enterprise(session: Session, enterprise_id: str) -> Enterprise | None:
    """The enterprise ``enterprise_id`` if its registration is approved."""
    enterprise = session.get(Enterprise, enterprise_id) if enterprise_id else None
    return enterprise if enterprise is not None and enterprise.status == APPROVED else None


def approved_affiliation(parent_id: str, child_id: str) -> Select[Any]:
    return select(Affiliation).where(Affiliation.parent_enterprise_id == parent_id,
                                     Affiliation.enterprise_id == child_id, Affiliation.status == APPROVED)


def is_approved_parent(session: Session, parent_id: str, child_id: str) -> bool:
    return session.scalars(approved_affiliation(parent_id, child_id).limit(1)).first() is not None


def approved_child_ids(parent_id: str) -> Select[Any]:
    return select(Affiliation.enterprise_id).where(Affiliation.parent_enterprise_id == parent_id,
                                                   Affiliation.status == APPROVED)


def enterprise_names(session: Session, ids: Iterable[str | None]) -> dict[str, str]:
    """Enterprise id -> name, for the ids given (None and "" left out)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(Enterprise.id, Enterprise.enterprise_name)
                                .where(Enterprise.id.in_(wanted))).all())


def not_yours(what: str) -> PermissionDenied:
    """A record the caller may see but whose action is another party's (a member of staff editing an
    enterprise's affiliation): 403. A record the caller may not see at all is a NotFound, like one that
    does not exist, so no caller learns what exists outside its remit."""
    return PermissionDenied(f"无权操作{what}", reason="NOT_YOURS")


@dataclass(frozen=True)
class Viewer:
    """Either a member of staff or an approved enterprise: the two kinds of caller most routes serve."""

    caller: Caller
    staff: Staff | None = None
    enterprise: Enterprise | None = None


def require_viewer(session: Session) -> Viewer:
    caller = rare_earth_caller()
    staff = staff_of(caller)
    if staff is not None:
        return Viewer(caller, staff=staff)
    caller, enterprise = require_approved_enterprise(session)
    return Viewer(caller, enterprise=enterprise)


def sees_enterprise(session: Session, viewer: Viewer, enterprise: Enterprise) -> bool:
    """Whether the viewer may see ``enterprise`` at all: staff in whose remit it is, the enterprise itself, its
    approved parents, and anyone for a group or first-level company (which others pick as their parent)."""
    if viewer.staff is not None:
        return viewer.staff.sees(enterprise)
    return (enterprise.id == viewer.enterprise.id or enterprise.enterprise_type in PARENT_TYPES
            or is_approved_parent(session, viewer.enterprise.id, enterprise.id))


def in_remit(staff: Staff) -> Select[Any] | None:
    """The ids of the enterprises in a local authority's region; None for staff who see every enterprise."""
    region = staff.region
    if not region:
        return None
    return select(Enterprise.id).where(Enterprise.city_code.startswith(region_prefix(region)))


def visible_records(viewer: Viewer, query: Select[Any], own: Any, counterpart: Any, *,
                    as_counterpart: bool) -> Select[Any]:
    """Staff: the records of the enterprises in their remit; an enterprise: the records that are its own
    (``own`` is its id), or with ``as_counterpart`` those where it is the other party (a parent, an allocator)."""
    if viewer.staff is not None:
        remit = in_remit(viewer.staff)
        return query if remit is None else query.where(own.in_(remit))
    return query.where((counterpart if as_counterpart else own) == viewer.enterprise.id)


def check_party(session: Session, viewer: Viewer, enterprise_id: str, counterpart_id: str | None,
                missing: NotFound) -> None:
    """Staff whose remit holds ``enterprise_id``, or one of the two enterprises of the record; to anyone else
    the record is ``missing``, as if it did not exist."""
    if viewer.staff is not None:
        enterprise = session.get(Enterprise, enterprise_id)
        if enterprise is None or not viewer.staff.sees(enterprise):
            raise missing
    elif viewer.enterprise.id not in (enterprise_id, counterpart_id):
        raise missing
