"""Affiliation to a group or first-level company (manual §4.2): request, parent review, edits, "none"."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis.db import utcnow
from services.chassis.errors import AlreadyExists, Conflict, FailedPrecondition, InvalidArgument, NotFound, Violations
from services.chassis.paging import Page, paginate
from services.rare_earth import events
from services.rare_earth.config import RareEarthContext
from services.rare_earth.domain.enterprises import (
    ENTERPRISE_TYPES,
    RELATIONS,
    check_review_reason,
    check_share_ratio,
)
from services.rare_earth.domain.states import AFFILIATION, APPROVED, DECLARED, PENDING, REJECTED, SUPERSEDED
from services.rare_earth.handlers.access import (
    Viewer,
    approved_enterprise,
    check_party,
    enterprise_names,
    not_yours,
    require_viewer,
    visible_records,
)
from services.rare_earth.models import Affiliation, Enterprise

LIVE = (PENDING, APPROVED)


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
    # Percent; None when not given (a "none" declaration has none).
    share_ratio: Decimal | None
    parent_may_view_ledgers: bool


def _views(session: Session, affiliations: list[Affiliation]) -> list[AffiliationView]:
    names = enterprise_names(session, [a.enterprise_id for a in affiliations]
                             + [a.parent_enterprise_id for a in affiliations])
    return [AffiliationView(a, names.get(a.enterprise_id, ""), names.get(a.parent_enterprise_id or "", ""))
            for a in affiliations]


def _notice_params(child: Enterprise, parent: Enterprise, affiliation: Affiliation) -> dict[str, str]:
    return {"enterpriseName": child.enterprise_name, "parentName": parent.enterprise_name,
            "relation": RELATIONS.get(affiliation.relation, ""), "shareRatio": f"{affiliation.share_ratio}%"}


def _changed(affiliation: Affiliation) -> object:
    return events.affiliation_changed(affiliation.id, affiliation.enterprise_id, affiliation.parent_enterprise_id,
                                      affiliation.status, affiliation.parent_may_view_ledgers)


def create_affiliation(context: RareEarthContext, data: AffiliationInput) -> AffiliationView:
    with context.unit_of_work() as uow:
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
            parent, ratio = _validated_parent(session, me, data)
            if any(a.parent_enterprise_id == parent.id for a in mine):
                raise AlreadyExists("已向该上级单位提交过隶属关系，请在列表中修改", reason="AFFILIATION_EXISTS")
            for declared in (a for a in mine if a.status == DECLARED):
                AFFILIATION.move(declared, SUPERSEDED)
                declared.updated_at = utcnow()
            affiliation = Affiliation(
                enterprise_id=me.id, parent_type=data.parent_type, parent_enterprise_id=parent.id,
                relation=data.relation, share_ratio=ratio, parent_may_view_ledgers=data.parent_may_view_ledgers,
                status=PENDING)
            uow.publish(events.notice_to_organization("rare_earth.affiliation.requested", parent.organization_id,
                                                      _notice_params(me, parent, affiliation)))
        else:
            raise InvalidArgument.for_field("parentType", "请选择上级企业类型：集团、一级公司或无")
        session.add(affiliation)
        session.flush()
        uow.publish(_changed(affiliation))
        uow.commit(on_integrity_error=lambda _e: Conflict("已向该上级单位提交过隶属关系，请刷新后查看",
                                                          reason="CONCURRENT_CHANGE"))
        return _views(session, [affiliation])[0]


def _declare_none(me: Enterprise, mine: list[Affiliation]) -> Affiliation:
    if any(a.status in LIVE for a in mine):
        raise FailedPrecondition("已存在上级单位隶属关系，不能声明为“无”", reason="AFFILIATION_EXISTS")
    if any(a.status == DECLARED for a in mine):
        raise AlreadyExists("已声明无上级单位", reason="NONE_ALREADY_DECLARED")
    return Affiliation(enterprise_id=me.id, parent_type="NONE", parent_enterprise_id=None, relation="",
                       status=DECLARED)


def _validated_parent(session: Session, me: Enterprise, data: AffiliationInput) -> tuple[Enterprise, Decimal]:
    violations = Violations()
    if data.relation not in RELATIONS:
        violations.add("relation", "请选择关系：全资、控股、参股或其他")
    ratio = check_share_ratio(data.share_ratio, violations)
    parent = approved_enterprise(session, data.parent_enterprise_id)
    if not data.parent_enterprise_id:
        violations.add("parentEnterpriseId", "请选择上级单位")
    elif parent is None:
        violations.add("parentEnterpriseId", "上级单位不存在或尚未通过注册审核")
    elif parent.enterprise_type != data.parent_type:
        violations.add("parentEnterpriseId", f"所选单位不是{ENTERPRISE_TYPES[data.parent_type]}")
    elif parent.id == me.id:
        violations.add("parentEnterpriseId", "不能将本单位设为上级单位")
    violations.raise_if_any("隶属关系信息有误")
    return parent, ratio


def list_affiliations(context: RareEarthContext, side: str, status: str, page_size: int,
                      page_token: str) -> Page[AffiliationView]:
    if side not in ("", "child", "parent"):
        raise InvalidArgument.for_field("as", "as 只能是 child 或 parent")
    with context.unit_of_work(read_only=True) as uow:
        viewer = require_viewer(uow.session)
        query = visible_records(viewer, select(Affiliation), Affiliation.enterprise_id,
                                Affiliation.parent_enterprise_id, as_counterpart=side == "parent")
        if status:
            query = query.where(Affiliation.status == status)
        page = paginate(uow.session, query.order_by(Affiliation.created_at.desc(), Affiliation.id),
                        page_size, page_token)
        return Page(_views(uow.session, page.items), page.next_page_token, page.total_size)


def _visible(session: Session, affiliation_id: str, *, lock: bool = False) -> tuple[Affiliation, Viewer]:
    viewer = require_viewer(session)
    affiliation = session.get(Affiliation, affiliation_id, with_for_update=lock)
    missing = NotFound("隶属关系不存在", reason="AFFILIATION_NOT_FOUND")
    if affiliation is None:
        raise missing
    check_party(session, viewer, affiliation.enterprise_id, affiliation.parent_enterprise_id, missing)
    return affiliation, viewer


def get_affiliation(context: RareEarthContext, affiliation_id: str) -> AffiliationView:
    with context.unit_of_work(read_only=True) as uow:
        affiliation, _viewer = _visible(uow.session, affiliation_id)
        return _views(uow.session, [affiliation])[0]


def update_affiliation(context: RareEarthContext, affiliation_id: str, relation: str | None,
                       share_ratio: Decimal | None, parent_may_view_ledgers: bool | None) -> AffiliationView:
    """The child edits; the affiliation goes back to the parent for review."""
    violations = Violations()
    if relation is not None and relation not in RELATIONS:
        violations.add("relation", "请选择关系：全资、控股、参股或其他")
    ratio = check_share_ratio(share_ratio, violations) if share_ratio is not None else None
    violations.raise_if_any("隶属关系信息有误")
    with context.unit_of_work() as uow:
        affiliation, viewer = _visible(uow.session, affiliation_id, lock=True)
        if viewer.enterprise is None or viewer.enterprise.id != affiliation.enterprise_id:
            raise not_yours("该隶属关系") if viewer.enterprise is None else FailedPrecondition(
                "隶属关系由下级单位维护，上级单位只能审核", reason="CHILD_EDITS_ONLY")
        if affiliation.parent_type == "NONE":
            raise FailedPrecondition("“无上级单位”声明不可修改：如有上级单位，请新增隶属关系",
                                     reason="NONE_DECLARATION")
        AFFILIATION.move(affiliation, PENDING)
        if relation is not None:
            affiliation.relation = relation
        if ratio is not None:
            affiliation.share_ratio = ratio
        if parent_may_view_ledgers is not None:
            affiliation.parent_may_view_ledgers = parent_may_view_ledgers
        affiliation.rejection_reason = ""
        affiliation.updated_at = utcnow()
        parent = uow.session.get(Enterprise, affiliation.parent_enterprise_id)
        uow.publish(events.notice_to_organization("rare_earth.affiliation.updated", parent.organization_id,
                                                  _notice_params(viewer.enterprise, parent, affiliation)),
                    _changed(affiliation))
        uow.commit()
        return _views(uow.session, [affiliation])[0]


def _review(context: RareEarthContext, affiliation_id: str, target: str, reason: str = "") -> AffiliationView:
    with context.unit_of_work() as uow:
        affiliation, viewer = _visible(uow.session, affiliation_id, lock=True)
        if viewer.enterprise is None or viewer.enterprise.id != affiliation.parent_enterprise_id:
            raise FailedPrecondition("只有上级单位可以审核隶属关系", reason="PARENT_REVIEWS_ONLY") \
                if viewer.enterprise is not None else not_yours("该隶属关系")
        AFFILIATION.move(affiliation, target, "只能审核待审核的隶属关系")
        affiliation.reviewed_at = affiliation.updated_at = utcnow()
        affiliation.reviewed_by = viewer.caller.account_id
        affiliation.rejection_reason = reason
        child = uow.session.get(Enterprise, affiliation.enterprise_id)
        params = {"enterpriseName": child.enterprise_name, "parentName": viewer.enterprise.enterprise_name,
                  **({"reason": reason} if target == REJECTED else {})}
        uow.publish(
            events.notice_to_organization(f"rare_earth.affiliation.{target.lower()}", child.organization_id, params),
            _changed(affiliation))
        uow.commit()
        return _views(uow.session, [affiliation])[0]


def approve_affiliation(context: RareEarthContext, affiliation_id: str) -> AffiliationView:
    return _review(context, affiliation_id, APPROVED)


def reject_affiliation(context: RareEarthContext, affiliation_id: str, reason: str) -> AffiliationView:
    return _review(context, affiliation_id, REJECTED, check_review_reason(reason, "请填写不通过的原因"))
