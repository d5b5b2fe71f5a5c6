"""The enterprise's filing with its CCPIT branch, and branch migration (贸促会迁移, §1.2.2).

Both are 企业信息管理, which the manual gives to the administrator: the ADMIN (or OWNER) files and migrates; a
SIGNER is refused. The receiving branch approves a migration, and the enterprise's branch changes with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from services.chassis.db import utcnow
from services.chassis.errors import Conflict, FailedPrecondition, InvalidArgument, Violations
from services.chassis.paging import Page, paginate
from services.origin_cert import events
from services.origin_cert.config import OriginCertContext
from services.origin_cert.domain import states
from services.origin_cert.domain.actors import HEAD_OFFICE, Officer
from services.origin_cert.handlers.common import (
    branch,
    branch_names,
    exporter,
    exporter_or_officer,
    filing,
    manager,
    not_found,
    officer,
    record_step,
    require_filing,
)
from services.origin_cert.models import BranchMigration, Enterprise

ENTERPRISE_TYPES = ("MANUFACTURER", "TRADER")
RECORD = "branch_migration"


@dataclass(frozen=True)
class EnterpriseView:
    enterprise: Enterprise
    branch_name: str


@dataclass(frozen=True)
class MigrationView:
    migration: BranchMigration
    # Branch code -> name.
    names: dict[str, str]


def get_enterprise(context: OriginCertContext) -> EnterpriseView:
    member = exporter()
    with context.unit_of_work(read_only=True) as uow:
        found = filing(uow.session, member.organization_id)
        if found is None:
            raise not_found("企业备案", "organizationId")
        return EnterpriseView(found, branch_names(uow.session).get(found.branch, ""))


@dataclass(frozen=True)
class FilingInput:
    branch: str = ""
    name_en: str = ""
    address_en: str = ""
    enterprise_type: str = ""
    contact_name: str = ""
    contact_phone: str = ""


def _filing_problems(data: FilingInput) -> Violations:
    v = Violations()
    for name, value, limit, label in (("nameEn", data.name_en, 200, "英文名称"), ("addressEn", data.address_en, 300,
                                                                              "英文地址")):
        if not value.strip():
            v.add(name, f"请填写出口商{label}（打印在证书第1栏）")
        elif len(value) > limit or not value.isascii() or not value.isprintable():
            v.add(name, f"{label}须为英文，最多{limit}个字符")
    if data.enterprise_type not in ENTERPRISE_TYPES:
        v.add("enterpriseType", "企业类型须为 MANUFACTURER（生产企业）或 TRADER（外贸企业）")
    if len(data.contact_name) > 50:
        v.add("contactName", "联系人不能超过50个字符")
    if data.contact_phone and (len(data.contact_phone) > 20 or not data.contact_phone.replace("-", "").isdigit()):
        v.add("contactPhone", "联系电话须为数字（可含-）")
    return v


def save_enterprise(context: OriginCertContext, data: FilingInput) -> EnterpriseView:
    """File with a branch the first time, or change the exporter details; ADMIN or OWNER."""
    member = manager()
    _filing_problems(data).raise_if_any("企业备案信息有误")
    # The organisation's own name and USCC are identity's; asked before the unit of work opens.
    found = context.identity.organizations([member.organization_id])
    organization = found[0] if found else None
    with context.unit_of_work() as uow:
        session = uow.session
        enterprise = filing(session, member.organization_id, lock=True)
        now = utcnow()
        if enterprise is None:
            if not data.branch or data.branch == HEAD_OFFICE:
                raise InvalidArgument.for_field("branch", "请选择备案地贸促会（分会）")
            branch(session, data.branch)
            enterprise = Enterprise(organization_id=member.organization_id, branch=data.branch, created_at=now)
            session.add(enterprise)
        elif data.branch and data.branch != enterprise.branch:
            raise FailedPrecondition("已备案的企业变更备案地，请通过贸促会迁移办理", reason="USE_BRANCH_MIGRATION")
        if organization is not None:
            enterprise.name, enterprise.uscc = organization.name, organization.uscc
        elif not enterprise.name:
            enterprise.name = member.organization_id
        enterprise.name_en, enterprise.address_en = data.name_en.strip(), data.address_en.strip()
        enterprise.enterprise_type = data.enterprise_type
        enterprise.contact_name, enterprise.contact_phone = data.contact_name.strip(), data.contact_phone.strip()
        enterprise.updated_at = now
        name = branch(session, enterprise.branch).name
        uow.commit()
    return EnterpriseView(enterprise, name)


def create_branch_migration(context: OriginCertContext, to_branch: str, reason: str) -> MigrationView:
    member = manager()
    v = Violations()
    if not reason.strip() or len(reason) > 500:
        v.add("reason", "请填写迁移原因（最多500字）")
    if not to_branch or to_branch == HEAD_OFFICE:
        v.add("toBranch", "请选择迁入的备案地贸促会")
    v.raise_if_any("迁移申请有误")
    with context.unit_of_work() as uow:
        session = uow.session
        enterprise = require_filing(session, member.organization_id, lock=True)
        branch(session, to_branch, "toBranch")
        if to_branch == enterprise.branch:
            raise InvalidArgument.for_field("toBranch", "迁入的贸促会与当前备案地相同")
        pending = session.scalar(select(BranchMigration.id).where(
            BranchMigration.organization_id == member.organization_id, BranchMigration.status == states.PENDING))
        if pending is not None:
            raise FailedPrecondition("已有待审核的迁移申请，请等待审核结果", reason="MIGRATION_PENDING")
        migration = BranchMigration(organization_id=member.organization_id, organization_name=enterprise.name,
                                    from_branch=enterprise.branch, to_branch=to_branch, reason=reason.strip(),
                                    status=states.PENDING, requested_by=member.account_id, created_at=utcnow())
        session.add(migration)
        session.flush()
        record_step(session, RECORD, migration.id, "REQUESTED", to_state=states.PENDING, note=reason)
        uow.publish(events.notice_to_agencies("origin_cert.branch_migration.requested", [to_branch], {
            "organizationName": enterprise.name, "fromBranch": enterprise.branch, "toBranch": to_branch}))
        names = branch_names(session)
        uow.commit()
    return MigrationView(migration, names)


def _visible(viewer: object, migration: BranchMigration) -> bool:
    if isinstance(viewer, Officer):
        return viewer.head_office or viewer.branch in (migration.to_branch, migration.from_branch)
    return migration.organization_id == getattr(viewer, "organization_id", None)


def list_branch_migrations(context: OriginCertContext, status: str, page_size: int,
                           page_token: str) -> Page[MigrationView]:
    viewer = exporter_or_officer()
    if status and status not in states.BRANCH_MIGRATION.states:
        raise InvalidArgument.for_field("status", f"状态无效，可选：{'、'.join(states.BRANCH_MIGRATION.states)}")
    query = select(BranchMigration).order_by(BranchMigration.created_at.desc(), BranchMigration.id)
    if isinstance(viewer, Officer):
        if not viewer.head_office:
            query = query.where(or_(BranchMigration.to_branch == viewer.branch,
                                    BranchMigration.from_branch == viewer.branch))
    else:
        query = query.where(BranchMigration.organization_id == viewer.organization_id)
    if status:
        query = query.where(BranchMigration.status == status)
    with context.unit_of_work(read_only=True) as uow:
        page = paginate(uow.session, query, page_size, page_token)
        names = branch_names(uow.session)
    return Page([MigrationView(m, names) for m in page.items], page.next_page_token, page.total_size)


def get_branch_migration(context: OriginCertContext, migration_id: str) -> MigrationView:
    viewer = exporter_or_officer()
    with context.unit_of_work(read_only=True) as uow:
        migration = uow.session.get(BranchMigration, migration_id) if migration_id else None
        if migration is None or not _visible(viewer, migration):
            raise not_found("迁移申请")
        return MigrationView(migration, branch_names(uow.session))


def decide_branch_migration(context: OriginCertContext, migration_id: str, approve: bool,
                            note: str) -> MigrationView:
    """The receiving branch's staff approve (the enterprise moves there) or reject with a note."""
    staff = officer()
    if not approve and not note.strip():
        raise InvalidArgument.for_field("note", "请填写不通过的原因")
    if len(note) > 500:
        raise InvalidArgument.for_field("note", "意见不能超过500字")
    with context.unit_of_work() as uow:
        session = uow.session
        migration = session.get(BranchMigration, migration_id, with_for_update=True) if migration_id else None
        if migration is None or not (staff.head_office or staff.branch == migration.to_branch):
            raise not_found("迁移申请")
        target = states.APPROVED if approve else states.REJECTED
        before = migration.status
        states.BRANCH_MIGRATION.move(migration, target, "该迁移申请已处理")
        migration.decided_by, migration.decided_by_name = staff.account_id, staff.name
        migration.decision_note, migration.decided_at = note.strip(), utcnow()
        if approve:
            enterprise = session.get(Enterprise, migration.organization_id, with_for_update=True)
            if enterprise is None or enterprise.branch != migration.from_branch:
                raise Conflict("企业备案地已变化，请刷新后重试", reason="FILING_CHANGED")
            enterprise.branch, enterprise.updated_at = migration.to_branch, utcnow()
        record_step(session, RECORD, migration.id, "APPROVED" if approve else "REJECTED", before, target, note)
        names = branch_names(session)
        to_branch = names.get(migration.to_branch, migration.to_branch)
        params = {"organizationName": migration.organization_name, "toBranch": to_branch}
        if approve:
            uow.publish(*events.notice_to_organization("origin_cert.branch_migration.approved",
                                                       migration.organization_id, params))
        else:
            uow.publish(*events.notice_to_organization("origin_cert.branch_migration.rejected",
                                                       migration.organization_id, {**params, "reason": note.strip()}))
        uow.commit()
    return MigrationView(migration, names)
