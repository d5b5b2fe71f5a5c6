"""Affiliation to a group or first-level company (manual §4.2): request, parent review, edits, "none"."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from services.chassis.db import utcnow
from services.chassis.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, Violations
from services.chassis.paging import Page, paginate
from services.chassis.runtime import ServiceContext
from services.rare_earth import events
from services.rare_earth.access import not_yours, require_viewer
from services.rare_earth.divisions import region_prefix
from services.rare_earth.domain import AFFILIATION, ENTERPRISE_TYPES, RELATIONS, parse_share_ratio
from services.rare_earth.handlers.common import commit, unit_of_work
from services.rare_earth.models import Affiliation, Enterprise

LIVE = ("PENDING", "APPROVED")


@dataclass(frozen=True)
class AffiliationView:
    affiliation: Affiliation
    enterprise_name: str
    parent_name: str


@dataclass(frozen=True)
class AffiliationInput:
    parent_type: str
    parent_enterprise_id: str
    relation: str
    share_ratio: float
    parent_may_view_ledgers: bool


def _views(session, affiliations: list[Affiliation]) -> list[AffiliationView]:
    ids = {a.enterprise_id for a in affiliations} | {a.parent_enterprise_id for a in affiliations}
    names = dict(session.execute(select(Enterprise.id, Enterprise.enterprise_name)
                                 .where(Enterprise.id.in_(ids - {None}))).all())
    return [AffiliationView(a, names.get(a.enterprise_id, ""), names.get(a.parent_enterprise_id, ""))
            for a in affiliations]


def _notice_params(child: Enterprise, parent: Enterprise, affiliation: Affiliation) -> dict[str, str]:
    return {"enterpriseName": child.enterprise_name, "parentName": parent.enterprise_name,
            "relation": RELATIONS.get(affiliation.relation, ""), "shareRatio": f"{affiliation.share_ratio}%"}


def create_affiliation(context: ServiceContext, data: AffiliationInput) -> AffiliationView:
    with unit_of_work(context) as uow:
        viewer = require_viewer(uow.session)
        me = viewer.enterprise
        if me is None:
            raise FailedPrecondition("仅企业用户可维护本单位的隶属关系", reason="ENTERPRISE_ONLY")
        session = uow.session
        # Serialise this enterprise's affiliation changes so "none" and a parent never both stand.
        session.get(Enterprise, me.id, with_for_update=True)
        mine = list(session.scalars(select(Affiliation).where(Affiliation.enterprise_id == me.id)))
        if data.parent_type == "NONE":
            affiliation = _declare_none(me, mine)
        elif data.parent_type in ("GROUP", "FIRST_LEVEL"):
            parent = _validated_parent(session, me, data)
            if any(a.parent_enterprise_id == parent.id for a in mine):
                raise AlreadyExists("已向该上级单位提交过隶属关系，请在列表中修改", reason="AFFILIATION_EXISTS")
            for declared in (a for a in mine if a.status == "DECLARED"):
                declared.status = AFFILIATION.check(declared.status, "SUPERSEDED")
                declared.updated_at = utcnow()
            affiliation = Affiliation(
                enterprise_id=me.id, parent_type=data.parent_type, parent_enterprise_id=parent.id,
                relation=data.relation, share_ratio=parse_share_ratio(data.share_ratio, Violations()),
                parent_may_view_ledgers=data.parent_may_view_ledgers, status="PENDING")
            uow.publish(events.notice_to_organization("rare_earth.affiliation.requested", parent.organization_id,
                                                      _notice_params(me, parent, affiliation)))
        else:
            raise InvalidArgument.for_field("parentType", "请选择上级企业类型：集团、一级公司或无")
        session.add(affiliation)
        session.flush()
        uow.publish(events.affiliation_changed(affiliation.id, me.id, affiliation.parent_enterprise_id,
                                               affiliation.status, affiliation.parent_may_view_ledgers))
        commit(uow, "已向该上级单位提交过隶属关系，请刷新后查看")
        return _views(session, [affiliation])[0]


def _declare_none(me: Enterprise, mine: list[Affiliation]) -> Affiliation:
    if any(a.status in LIVE for a in mine):
        raise FailedPrecondition("已存在上级单位隶属关系，不能声明为“无”", reason="AFFILIATION_EXISTS")
    if any(a.status == "DECLARED" for a in mine):
        raise AlreadyExists("已声明无上级单位", reason="NONE_ALREADY_DECLARED")
    return Affiliation(enterprise_id=me.id, parent_type="NONE", parent_enterprise_id=None, relation="",
                       status="DECLARED")


def _validated_parent(session, me: Enterprise, data: AffiliationInput) -> Enterprise:
    violations = Violations()
    if data.relation not in RELATIONS:
        violations.add("relation", "请选择关系：全资、控股、参股或其他")
    parse_share_ratio(data.share_ratio, violations)
    parent = session.get(Enterprise, data.parent_enterprise_id) if data.parent_enterprise_id else None
    if not data.parent_enterprise_id:
        violations.add("parentEnterpriseId", "请选择上级单位")
    elif parent is None or parent.status != "APPROVED":
        violations.add("parentEnterpriseId", "上级单位不存在或尚未通过注册审核")
    elif parent.enterprise_type != data.parent_type:
        violations.add("parentEnterpriseId", f"所选单位不是{ENTERPRISE_TYPES[data.parent_type]}")
    elif parent.id == me.id:
        violations.add("parentEnterpriseId", "不能将本单位设为上级单位")
    violations.raise_if_any("隶属关系信息有误")
    return parent


def list_affiliations(context: ServiceContext, side: str, status: str, page_size: int, page_token: str) -> Page:
    if side not in ("", "child", "parent"):
        raise InvalidArgument.for_field("as", "as 只能是 child 或 parent")
    with unit_of_work(context) as uow:
        viewer = require_viewer(uow.session)
        query = select(Affiliation)
        if viewer.staff is not None:
            region = viewer.staff.region
            if region:
                in_region = select(Enterprise.id).where(Enterprise.city_code.startswith(region_prefix(region)))
                query = query.where(Affiliation.enterprise_id.in_(in_region))
        elif side == "parent":
            query = query.where(Affiliation.parent_enterprise_id == viewer.enterprise.id)
        else:
            query = query.where(Affiliation.enterprise_id == viewer.enterprise.id)
        if status:
            query = query.where(Affiliation.status == status)
        page = paginate(uow.session, query.order_by(Affiliation.created_at.desc(), Affiliation.id),
                        page_size, page_token)
        return Page(_views(uow.session, page.items), page.next_page_token, page.total_size)


def _visible(session, affiliation_id: str, *, lock: bool = False) -> tuple[Affiliation, object]:
    viewer = require_viewer(session)
    affiliation = session.get(Affiliation, affiliation_id, with_for_update=lock)
    if affiliation is None:
        raise NotFound("隶属关系不存在", reason="AFFILIATION_NOT_FOUND")
    if viewer.staff is not None:
        child = session.get(Enterprise, affiliation.enterprise_id)
        if not viewer.staff.sees(child):
            raise not_yours("该隶属关系")
    elif viewer.enterprise.id not in (affiliation.enterprise_id, affiliation.parent_enterprise_id):
        raise not_yours("该隶属关系")
    return affiliation, viewer


def get_affiliation(context: ServiceContext, affiliation_id: str) -> AffiliationView:
    with unit_of_work(context) as uow:
        affiliation, _viewer = _visible(uow.session, affiliation_id)
        return _views(uow.session, [affiliation])[0]


def update_affiliation(context: ServiceContext, affiliation_id: str, relation: str | None,
                       share_ratio: float | None, parent_may_view_ledgers: bool | None) -> AffiliationView:
    """The child edits; the affiliation goes back to the parent for review."""
    violations = Violations()
    if relation is not None and relation not in RELATIONS:
        violations.add("relation", "请选择关系：全资、控股、参股或其他")
    ratio = parse_share_ratio(share_ratio, violations) if share_ratio is not None else None
    violations.raise_if_any("隶属关系信息有误")
    with unit_of_work(context) as uow:
        affiliation, viewer = _visible(uow.session, affiliation_id, lock=True)
        if viewer.enterprise is None or viewer.enterprise.id != affiliation.enterprise_id:
            raise not_yours("该隶属关系") if viewer.enterprise is None else FailedPrecondition(
                "隶属关系由下级单位维护，上级单位只能审核", reason="CHILD_EDITS_ONLY")
        if affiliation.parent_type == "NONE":
            raise FailedPrecondition("“无上级单位”声明不可修改：如有上级单位，请新增隶属关系",
                                     reason="NONE_DECLARATION")
        affiliation.status = AFFILIATION.check(affiliation.status, "PENDING")
        if relation is not None:
            affiliation.relation = relation
        if ratio is not None:
            affiliation.share_ratio = ratio
        if parent_may_view_ledgers is not None:
            affiliation.parent_may_view_ledgers = parent_may_view_ledgers
        affiliation.rejection_reason = ""
        affiliation.updated_at = utcnow()
        parent = uow.session.get(Enterprise, affiliation.parent_enterprise_id)
        uow.publish(
            events.notice_to_organization("rare_earth.affiliation.updated", parent.organization_id,
                                          _notice_params(viewer.enterprise, parent, affiliation)),
            events.affiliation_changed(affiliation.id, affiliation.enterprise_id, parent.id, affiliation.status,
                                       affiliation.parent_may_view_ledgers))
        commit(uow)
        return _views(uow.session, [affiliation])[0]


def _review(context: ServiceContext, affiliation_id: str, target: str, reason: str = "") -> AffiliationView:
    with unit_of_work(context) as uow:
        affiliation, viewer = _visible(uow.session, affiliation_id, lock=True)
        if viewer.enterprise is None or viewer.enterprise.id != affiliation.parent_enterprise_id:
            raise FailedPrecondition("只有上级单位可以审核隶属关系", reason="PARENT_REVIEWS_ONLY") \
                if viewer.enterprise is not None else not_yours("该隶属关系")
        affiliation.status = AFFILIATION.check(affiliation.status, target, "只能审核待审核的隶属关系")
        now = utcnow()
        affiliation.reviewed_at = affiliation.updated_at = now
        affiliation.reviewed_by = viewer.caller.account_id
        affiliation.rejection_reason = reason
        child = uow.session.get(Enterprise, affiliation.enterprise_id)
        params = {"enterpriseName": child.enterprise_name, "parentName": viewer.enterprise.enterprise_name}
        if target == "REJECTED":
            params["reason"] = reason
        uow.publish(
            events.notice_to_organization(f"rare_earth.affiliation.{target.lower()}", child.organization_id, params),
            events.affiliation_changed(affiliation.id, child.id, affiliation.parent_enterprise_id, target,
                                       affiliation.parent_may_view_ledgers))
        commit(uow)
        return _views(uow.session, [affiliation])[0]


def approve_affiliation(context: ServiceContext, affiliation_id: str) -> AffiliationView:
    return _review(context, affiliation_id, "APPROVED")


def reject_affiliation(context: ServiceContext, affiliation_id: str, reason: str) -> AffiliationView:
    violations = Violations()
    if not reason.strip():
        violations.add("reason", "请填写不通过的原因")
    elif len(reason) > 200:
        violations.add("reason", "原因最多200个字符")
    violations.raise_if_any()
    return _review(context, affiliation_id, "REJECTED", reason.strip())
