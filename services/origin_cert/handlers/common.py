"""What the use cases share: who the caller is, the enterprise's filing, history steps, serial numbers and
reference lookups. Every function that reads takes the session of the caller's unit of work."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.chassis.auth import Caller, current_caller, require_authenticated, require_scope
from services.chassis.db import insert_ignoring_duplicates, utcnow
from services.chassis.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from services.chassis.states import StateMachine
from services.origin_cert.domain import actors
from services.origin_cert.domain.actors import Exporter, Officer
from services.origin_cert.domain.origin import Agreement as AgreementRule
from services.origin_cert.models import (
    Agreement,
    AgreementMember,
    Branch,
    Country,
    Enterprise,
    NumberCounter,
    RecordStep,
)

STAFF = "STAFF"
_ROLE_LABELS = {actors.PRE_REVIEWER: "产品预审", actors.VISA_OFFICER: "签证"}


# ---- who is calling ----

def _display_name(caller: Caller) -> str:
    return str(caller.claims.get("name") or "")


def exporter() -> Exporter:
    """An enterprise member acting in this system for its organisation."""
    caller = require_scope(actors.SCOPE)
    role = next((r for r in actors.DECLARANTS if r in caller.roles), None)
    if caller.kind == STAFF or not caller.organization_id or role is None:
        raise PermissionDenied("请以企业账号登录办理", reason="ENTERPRISE_REQUIRED")
    return Exporter(caller.organization_id, caller.account_id or "", role, _display_name(caller))


def manager() -> Exporter:
    """The enterprise's ADMIN or OWNER: the manual reserves 企业信息管理 for the administrator."""
    member = exporter()
    if not member.manages:
        raise PermissionDenied("该功能为管理员功能，请联系本单位管理员办理", reason="ADMIN_REQUIRED",
                               metadata={"roles": ",".join(actors.MANAGERS)})
    return member


def officer_of(caller: Caller) -> Officer | None:
    branch = actors.branch_of(caller.agency)
    if caller.kind != STAFF or branch is None or not caller.has_scope(actors.SCOPE):
        return None
    return Officer(caller.account_id or "", branch, caller.roles, _display_name(caller))


def officer(*roles: str) -> Officer:
    """A CCPIT staff member holding one of ``roles`` (any CCPIT staff when none is named)."""
    caller = require_authenticated()
    found = officer_of(caller)
    if found is None:
        raise PermissionDenied("仅限贸促会工作人员办理", reason="CCPIT_STAFF_REQUIRED")
    if roles and not any(found.has(role) for role in roles):
        labels = "、".join(_ROLE_LABELS.get(r, r) for r in roles)
        raise PermissionDenied(f"需要{labels}岗位的权限", reason="ROLE_REQUIRED", metadata={"roles": ",".join(roles)})
    return found


def head_office() -> Officer:
    found = officer()
    if not found.head_office:
        raise PermissionDenied("仅限贸促会总会维护参考数据", reason="HEAD_OFFICE_REQUIRED")
    return found


def exporter_or_officer() -> Exporter | Officer:
    """Whoever may look at records: an enterprise member (its own) or CCPIT staff (their branch's)."""
    caller = require_authenticated()
    found = officer_of(caller)
    return found if found is not None else exporter()


def is_customs(caller: Caller) -> bool:
    return caller.kind == STAFF and actors.agency_kind(caller.agency) == actors.CUSTOMS


def actor_id() -> str:
    return current_caller().account_id or ""


def actor_name() -> str:
    return _display_name(current_caller())


# ---- the enterprise ----

def filing(session: Session, organization_id: str, *, lock: bool = False) -> Enterprise | None:
    return session.get(Enterprise, organization_id, with_for_update=lock)


def require_filing(session: Session, organization_id: str, *, lock: bool = False) -> Enterprise:
    found = filing(session, organization_id, lock=lock)
    if found is None:
        raise FailedPrecondition("请先完成企业备案：选择备案地贸促会", reason="ENTERPRISE_NOT_FILED")
    return found


def listed_for(viewer: Exporter | Officer, model: Any, machine: StateMachine, status: str) -> Select:
    """The records of ``model`` a viewer lists: an enterprise its own, staff their branch's (the head office every
    branch's), of ``status`` when one is given (a status its machine does not know is a 400)."""
    if status and status not in machine.states:
        raise InvalidArgument.for_field("status", f"状态可选：{'、'.join(machine.states)}")
    query = select(model)
    if isinstance(viewer, Officer):
        query = query if viewer.head_office else query.where(model.branch == viewer.branch)
    else:
        query = query.where(model.organization_id == viewer.organization_id)
    return query.where(model.status == status) if status else query


def not_found(what: str, field: str = "id") -> NotFound:
    return NotFound(f"{what}不存在或无权查看", reason="NOT_FOUND", metadata={"field": field})


# ---- history and numbers ----

def record_step(session: Session, record_type: str, record_id: str, action: str, from_state: str = "",
                to_state: str = "", note: str = "") -> None:
    session.add(RecordStep(record_type=record_type, record_id=record_id, action=action, from_state=from_state,
                           to_state=to_state, actor_id=actor_id(), actor_name=actor_name()[:100],
                           note=note[:2000], at=utcnow()))


def history(session: Session, record_type: str, record_id: str) -> list[RecordStep]:
    return list(session.scalars(select(RecordStep).where(RecordStep.record_type == record_type,
                                                         RecordStep.record_id == record_id)
                                .order_by(RecordStep.id)))


def next_serial(session: Session, key: str) -> int:
    """The next serial under ``key``; the counter row stays locked until the unit of work ends."""
    insert_ignoring_duplicates(session, NumberCounter.__table__, [{"key": key, "value": 0}])
    counter = session.get(NumberCounter, key, with_for_update=True, populate_existing=True)
    assert counter is not None
    counter.value += 1
    session.flush()
    return counter.value


# ---- reference data ----

def branch(session: Session, code: str, field: str = "branch") -> Branch:
    found = session.get(Branch, code) if code else None
    if found is None:
        raise InvalidArgument.for_field(field, "请选择有效的贸促会（备案地）")
    return found


def branch_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Branch.code, Branch.name)).all())


def country_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Country.code, Country.name)).all())


def require_country(session: Session, code: str, field: str) -> Country:
    found = session.get(Country, code) if code else None
    if found is None:
        raise InvalidArgument.for_field(field, "请选择有效的国家（地区），如 JP")
    return found


def agreement_rule(row: Agreement, members: list[str]) -> AgreementRule:
    return AgreementRule(code=row.code, name=row.name, name_en=row.name_en, preferential=row.preferential,
                         members=frozenset(members), criteria=tuple(row.criteria.split()),
                         rvc_threshold=Decimal(row.rvc_threshold), value_basis=row.value_basis,
                         ctc_digits=row.ctc_digits, hs_digits=row.hs_digits, needs_ecfa_code=row.needs_ecfa_code,
                         number_prefix=row.number_prefix)


def agreement_rules(session: Session) -> list[AgreementRule]:
    """Every certificate type, GENERAL included, with its members."""
    members: dict[str, list[str]] = {}
    for code, country in session.execute(select(AgreementMember.agreement_code, AgreementMember.country_code)):
        members.setdefault(code, []).append(country)
    rows = session.scalars(select(Agreement).order_by(Agreement.position, Agreement.code))
    return [agreement_rule(row, sorted(members.get(row.code, []))) for row in rows]


def require_agreement(session: Session, code: str, field: str = "certificateType") -> tuple[Agreement, AgreementRule]:
    row = session.get(Agreement, code) if code else None
    if row is None:
        raise InvalidArgument.for_field(field, "证书类型无效")
    members = list(session.scalars(select(AgreementMember.country_code)
                                   .where(AgreementMember.agreement_code == code)))
    return row, agreement_rule(row, members)
