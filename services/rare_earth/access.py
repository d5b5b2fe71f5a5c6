"""Who may do what: enterprises (scope ``rare_earth``), the office, the operating body, local authorities."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.auth import Caller, require_scope
from services.chassis.errors import FailedPrecondition, PermissionDenied
from services.rare_earth.divisions import region_prefix
from services.rare_earth.domain import registration_gate_message
from services.rare_earth.models import Affiliation, Enterprise

SCOPE = "rare_earth"
OFFICE = "MIIT_RE_OFFICE"
OPERATOR = "RE_OPERATOR"
LOCAL_AUTHORITY = "LOCAL_AUTHORITY:"
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
        return self.agency[len(LOCAL_AUTHORITY):] if self.agency.startswith(LOCAL_AUTHORITY) else None

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
    if caller.kind != "STAFF" or not (agency in (OFFICE, OPERATOR) or agency.startswith(LOCAL_AUTHORITY)):
        return None
    return Staff(caller, agency)


def require_staff(*agencies: str) -> Staff:
    """The caller is staff of one of ``agencies`` (``LOCAL_AUTHORITY:`` matches any region)."""
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


def require_approved_enterprise(session: Session) -> tuple[Caller, Enterprise]:
    """The calling enterprise, refused with the reason while its registration is not approved."""
    caller = require_enterprise_caller()
    enterprise = enterprise_of(session, caller)
    if enterprise is None or enterprise.status != "APPROVED":
        status = enterprise.status if enterprise else None
        raise FailedPrecondition(
            registration_gate_message(status, enterprise.rejection_reason if enterprise else ""),
            reason="REGISTRATION_NOT_APPROVED", metadata={"registrationStatus": status or "NONE"})
    return caller, enterprise


def is_approved_parent(session: Session, parent_id: str, child_id: str) -> bool:
    return session.scalar(
        select(Affiliation.id).where(Affiliation.parent_enterprise_id == parent_id,
                                     Affiliation.enterprise_id == child_id,
                                     Affiliation.status == "APPROVED")) is not None


def approved_child_ids(session: Session, parent_id: str) -> select:
    return select(Affiliation.enterprise_id).where(Affiliation.parent_enterprise_id == parent_id,
                                                   Affiliation.status == "APPROVED")


def not_yours(what: str = "该企业") -> PermissionDenied:
    return PermissionDenied(f"无权查看{what}的数据", reason="NOT_VISIBLE")


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
