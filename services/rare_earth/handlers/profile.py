"""Profile maintenance (manual §4.1) and who sees which enterprise."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import or_, select

from services.chassis.db import contains, utcnow
from services.chassis.divisions import divisions
from services.chassis.errors import FailedPrecondition, NotFound
from services.chassis.paging import Page, paginate
from services.rare_earth.config import RareEarthContext
from services.rare_earth.domain.enterprises import PARENT_TYPES, PROFILE_FIELDS, validate_enterprise_fields
from services.rare_earth.domain.states import APPROVED
from services.rare_earth.handlers.access import (
    approved_child_ids,
    approved_enterprise,
    in_remit,
    is_approved_parent,
    require_approved_enterprise,
    require_viewer,
    sees_enterprise,
)
from services.rare_earth.models import Enterprise

COLUMNS = {
    "enterpriseName": "enterprise_name", "provinceCode": "province_code", "cityCode": "city_code",
    "address": "address", "contactName": "contact_name", "contactPhone": "contact_phone", "email": "email",
}


@dataclass(frozen=True)
class ProfileView:
    enterprise: Enterprise
    published: dict[str, str]
    draft: dict[str, str] | None


@dataclass(frozen=True)
class EnterpriseView:
    enterprise: Enterprise
    # Address and contact points: for staff, the enterprise itself and its approved parents.
    full: bool


def published_fields(enterprise: Enterprise) -> dict[str, str]:
    return {name: getattr(enterprise, column) or "" for name, column in COLUMNS.items()}


def _view(enterprise: Enterprise) -> ProfileView:
    draft = json.loads(enterprise.profile_draft) if enterprise.profile_draft else None
    return ProfileView(enterprise, published_fields(enterprise), draft)


def get_profile(context: RareEarthContext) -> ProfileView:
    with context.unit_of_work(read_only=True) as uow:
        _caller, enterprise = require_approved_enterprise(uow.session)
        return _view(enterprise)


def save_profile(context: RareEarthContext, fields: dict[str, str]) -> ProfileView:
    """Keep a draft only the enterprise sees; each given field must be within its limits."""
    validate_enterprise_fields(fields, divisions(), complete=False).raise_if_any("企业信息有误")
    with context.unit_of_work() as uow:
        _caller, enterprise = require_approved_enterprise(uow.session, lock=True)
        enterprise.profile_draft = json.dumps({name: fields.get(name, "") for name in PROFILE_FIELDS},
                                              ensure_ascii=False)
        enterprise.profile_draft_saved_at = utcnow()
        uow.commit()
        return _view(enterprise)


def submit_profile(context: RareEarthContext) -> ProfileView:
    """Publish the saved draft: from now on parents and staff see it."""
    with context.unit_of_work() as uow:
        _caller, enterprise = require_approved_enterprise(uow.session, lock=True)
        if not enterprise.profile_draft:
            raise FailedPrecondition("没有已保存的修改：请先保存企业信息再提交", reason="NO_PROFILE_DRAFT")
        draft = json.loads(enterprise.profile_draft)
        validate_enterprise_fields(draft, divisions(), complete=True).raise_if_any("企业信息不完整或有误")
        for name, column in COLUMNS.items():
            setattr(enterprise, column, draft[name])
        now = utcnow()
        enterprise.profile_draft = None
        enterprise.profile_draft_saved_at = None
        enterprise.profile_published_at = enterprise.updated_at = now
        uow.commit()
        return _view(enterprise)


def list_enterprises(context: RareEarthContext, enterprise_type: str, name: str, page_size: int,
                     page_token: str) -> Page[EnterpriseView]:
    """Staff see the enterprises in their remit; an enterprise sees the possible parents and its children."""
    with context.unit_of_work(read_only=True) as uow:
        viewer = require_viewer(uow.session)
        query = select(Enterprise).where(Enterprise.status == APPROVED)
        children: set[str] = set()
        if viewer.staff is not None:
            remit = in_remit(viewer.staff)
            if remit is not None:
                query = query.where(Enterprise.id.in_(remit))
        else:
            me = viewer.enterprise
            children = set(uow.session.scalars(approved_child_ids(me.id)))
            query = query.where(Enterprise.id != me.id,
                                or_(Enterprise.enterprise_type.in_(PARENT_TYPES), Enterprise.id.in_(children)))
        if enterprise_type:
            query = query.where(Enterprise.enterprise_type == enterprise_type)
        if name:
            query = query.where(contains(Enterprise.enterprise_name, name))
        page = paginate(uow.session, query.order_by(Enterprise.enterprise_name, Enterprise.id), page_size,
                        page_token)
        full = viewer.staff is not None
        items = [EnterpriseView(e, full or e.id in children) for e in page.items]
        return Page(items, page.next_page_token, page.total_size)


def get_enterprise(context: RareEarthContext, enterprise_id: str) -> EnterpriseView:
    with context.unit_of_work(read_only=True) as uow:
        viewer = require_viewer(uow.session)
        enterprise = approved_enterprise(uow.session, enterprise_id)
        if enterprise is None or not sees_enterprise(uow.session, viewer, enterprise):
            # One outside the caller's sight answers as one that does not exist.
            raise NotFound("企业不存在或尚未通过注册审核", reason="ENTERPRISE_NOT_FOUND")
        if viewer.staff is not None:
            return EnterpriseView(enterprise, True)
        me = viewer.enterprise
        full = enterprise.id == me.id or is_approved_parent(uow.session, me.id, enterprise.id)
        return EnterpriseView(enterprise, full)

