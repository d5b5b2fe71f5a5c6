"""Organisations: who may see and manage one, reading it, changing its fields (stored once for every user)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.chassis.auth import current_caller, require_authenticated
from services.chassis.db import utcnow
from services.chassis.errors import NotFound, PermissionDenied, Violations
from services.identity import domain
from services.identity.handlers.common import audit, get_organization, membership_of
from services.identity.models import Membership, Organization
from services.identity.providers import IdentityContext

# The fields an OWNER or ADMIN may change; an empty one is left as it is. Stored once, so a change to the
# ones every user shares (name, postcode, address, remark: ccc_exemption_manual §1.1, §3) reaches them all.
EDITABLE_FIELDS = ("name", "legal_rep_name", "industry", "enterprise_size", "holding", "address", "postcode",
                   "contact_name", "remark")
REMARK_MAX_LENGTH = 500


def can_view_organization(session: Session, organization_id: str) -> bool:
    caller = current_caller()
    if not caller.is_authenticated:
        return False
    if caller.kind in domain.STAFF_KINDS:
        return True
    membership = membership_of(session, caller.account_id, organization_id)
    return membership is not None and membership.status == domain.ACTIVE


def require_manager(session: Session, organization_id: str) -> Membership:
    """The caller must be an ACTIVE OWNER or ADMIN of the organisation (checked in the database)."""
    caller = require_authenticated()
    membership = membership_of(session, caller.account_id, organization_id)
    if membership is None or membership.status != domain.ACTIVE or membership.role not in domain.MANAGER_ROLES:
        if membership is None or session.get(Organization, organization_id) is None:
            raise NotFound("单位不存在或您不是该单位成员", reason="ORGANIZATION_NOT_FOUND")
        raise PermissionDenied("只有单位的法人账号或管理员可以执行此操作", reason="ROLE_REQUIRED",
                               metadata={"roles": ",".join(domain.MANAGER_ROLES)})
    return membership


def get_visible_organization(context: IdentityContext, organization_id: str) -> Organization:
    require_authenticated()
    with context.unit_of_work(read_only=True) as uow:
        if not can_view_organization(uow.session, organization_id):
            raise NotFound("单位不存在或您不是该单位成员", reason="ORGANIZATION_NOT_FOUND")
        return get_organization(uow.session, organization_id)


def update_organization(context: IdentityContext, organization_id: str, **changes: str) -> Organization:
    """Change the EDITABLE_FIELDS given (an empty one is left as it is); OWNER or ADMIN only."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    given = {name: value for name, value in changes.items() if value}
    v = Violations()
    if "name" in given:
        domain.check(v, "name", domain.text_problem(given["name"], "单位名称", 200))
    if "legal_rep_name" in given:
        domain.check(v, "legalRepName", domain.text_problem(given["legal_rep_name"], "法定代表人姓名"))
    if "industry" in given:
        domain.check(v, "industry", domain.industry_problem(given["industry"]))
    if "enterprise_size" in given:
        domain.check(v, "enterpriseSize",
                     domain.choice_problem(given["enterprise_size"], domain.ENTERPRISE_SIZES, "企业规模"))
    if "holding" in given:
        domain.check(v, "holding", domain.choice_problem(given["holding"], domain.HOLDINGS, "企业控股情况"))
    if "postcode" in given:
        domain.check(v, "postcode", domain.postcode_problem(given["postcode"]))
    if "address" in given:
        domain.check(v, "address", domain.text_problem(given["address"], "申请单位地址", 300))
    if "contact_name" in given:
        domain.check(v, "contactName", domain.text_problem(given["contact_name"], "联系人"))
    if "remark" in given:
        domain.check(v, "remark", domain.text_problem(given["remark"], "申请单位信息备注", REMARK_MAX_LENGTH))
    v.raise_if_any()
    with context.unit_of_work() as uow:
        session = uow.session
        require_manager(session, organization_id)
        organization = get_organization(session, organization_id)
        changed = [name for name, value in given.items() if value.strip() != getattr(organization, name)]
        for name in changed:
            setattr(organization, name, given[name].strip())
        if changed:
            organization.updated_at = utcnow()
            audit(session, "ORGANIZATION_UPDATED", target=organization.id, detail=",".join(changed))
        uow.commit()
    return organization
