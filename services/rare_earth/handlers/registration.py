"""System registration (manual §2.2): save, submit, review by the operating body."""

from __future__ import annotations

import logging

from sqlalchemy import select

from services.chassis.auth import Caller
from services.chassis.db import contains, utcnow
from services.chassis.divisions import divisions
from services.chassis.errors import Conflict, InvalidArgument, NotFound, Unavailable
from services.chassis.paging import Page, paginate
from services.rare_earth import events
from services.rare_earth.config import RareEarthContext
from services.rare_earth.domain.agencies import OFFICE, OPERATOR
from services.rare_earth.domain.enterprises import check_review_reason, validate_enterprise_fields
from services.rare_earth.domain.states import APPROVED, DRAFT, PENDING_REVIEW, REGISTRATION, REJECTED
from services.rare_earth.handlers.access import enterprise_of, require_enterprise_caller, require_staff
from services.rare_earth.models import Enterprise

log = logging.getLogger(__name__)

COLUMNS = {
    "enterpriseName": "enterprise_name", "enterpriseType": "enterprise_type", "provinceCode": "province_code",
    "cityCode": "city_code", "address": "address", "contactName": "contact_name",
    "contactPhone": "contact_phone", "email": "email",
}
# Why a registration in each state cannot be saved or submitted (the states the machine keeps it out of).
NOT_EDITABLE = {APPROVED: "注册已审核通过，企业信息请在基本信息维护中修改",
                PENDING_REVIEW: "审核中：管理员正在进行审核，注册内容不可编辑"}
NOT_SUBMITTABLE = {APPROVED: "注册已审核通过，无需再次提交",
                   PENDING_REVIEW: "审核中：管理员正在进行审核，请耐心等待审核完成"}


def get_registration(context: RareEarthContext) -> Enterprise:
    caller = require_enterprise_caller()
    with context.unit_of_work(read_only=True) as uow:
        enterprise = enterprise_of(uow.session, caller)
    return enterprise or Enterprise(id="", organization_id=caller.organization_id, status=DRAFT)


def _uscc_of(context: RareEarthContext, caller: Caller) -> str:
    """The USCC identity holds for the caller's organisation; "" while identity cannot be reached, so the
    registration is saved all the same and the USCC filled in on the next save."""
    try:
        found = context.identity.organizations([caller.organization_id or ""])
    except Unavailable as error:
        log.warning("identity did not answer BatchGetOrganizations: %s", error.message)
        return ""
    return next((o.uscc for o in found if o.id == caller.organization_id), "")


def save_registration(context: RareEarthContext, fields: dict[str, str]) -> Enterprise:
    caller = require_enterprise_caller()
    validate_enterprise_fields(fields, divisions(), complete=False).raise_if_any("注册信息有误")
    # Asked before the unit of work opens: no transaction waits on another service.
    uscc = _uscc_of(context, caller)
    with context.unit_of_work() as uow:
        enterprise = enterprise_of(uow.session, caller, lock=True)
        if enterprise is None:
            enterprise = Enterprise(organization_id=caller.organization_id, status=DRAFT,
                                    created_by=caller.account_id)
            uow.session.add(enterprise)
        else:
            # Saving keeps the state; the machine allows that only for a draft or a rejected registration.
            REGISTRATION.check(enterprise.status, enterprise.status, NOT_EDITABLE.get(enterprise.status))
        for name, column in COLUMNS.items():
            setattr(enterprise, column, fields.get(name, ""))
        if uscc:
            enterprise.uscc = uscc
        enterprise.updated_at = utcnow()
        uow.commit(on_integrity_error=lambda _e: Conflict("注册信息已被同时修改，请刷新后重试",
                                                          reason="CONCURRENT_CHANGE"))
    return enterprise


def submit_registration(context: RareEarthContext) -> Enterprise:
    caller = require_enterprise_caller()
    with context.unit_of_work() as uow:
        enterprise = enterprise_of(uow.session, caller, lock=True)
        if enterprise is None:
            raise InvalidArgument.for_field("enterpriseName", "请先填写并保存注册信息")
        REGISTRATION.check(enterprise.status, PENDING_REVIEW, NOT_SUBMITTABLE.get(enterprise.status))
        stored = {name: getattr(enterprise, column) or "" for name, column in COLUMNS.items()}
        validate_enterprise_fields(stored, divisions(), complete=True).raise_if_any("注册信息不完整或有误")
        REGISTRATION.move(enterprise, PENDING_REVIEW)
        enterprise.rejection_reason = ""
        enterprise.submitted_at = enterprise.updated_at = utcnow()
        uow.commit()
    return enterprise


def list_registrations(context: RareEarthContext, status: str, name: str, page_size: int,
                       page_token: str) -> Page[Enterprise]:
    require_staff(OPERATOR, OFFICE)
    query = select(Enterprise).where(Enterprise.status != DRAFT)
    if status:
        query = query.where(Enterprise.status == status)
    if name:
        query = query.where(contains(Enterprise.enterprise_name, name))
    query = query.order_by(Enterprise.submitted_at.desc(), Enterprise.id)
    with context.unit_of_work(read_only=True) as uow:
        return paginate(uow.session, query, page_size, page_token)


def _submitted(enterprise: Enterprise | None) -> Enterprise:
    """A registration staff may see: one that was submitted at least once."""
    if enterprise is None or enterprise.status == DRAFT:
        raise NotFound("注册申请不存在", reason="REGISTRATION_NOT_FOUND")
    return enterprise


def get_registration_by_id(context: RareEarthContext, registration_id: str) -> Enterprise:
    require_staff(OPERATOR, OFFICE)
    with context.unit_of_work(read_only=True) as uow:
        return _submitted(uow.session.get(Enterprise, registration_id))


def _review(context: RareEarthContext, registration_id: str, target: str, reason: str = "") -> Enterprise:
    staff = require_staff(OPERATOR)
    with context.unit_of_work() as uow:
        enterprise = _submitted(uow.session.get(Enterprise, registration_id, with_for_update=True))
        REGISTRATION.move(enterprise, target, "只能审核状态为“审核中”的注册申请")
        now = utcnow()
        enterprise.reviewed_at = enterprise.updated_at = now
        enterprise.reviewed_by = staff.caller.account_id
        enterprise.rejection_reason = reason
        params = {"enterpriseName": enterprise.enterprise_name, **({"reason": reason} if target == REJECTED else {})}
        uow.publish(events.notice_to_organization(f"rare_earth.registration.{target.lower()}",
                                                  enterprise.organization_id, params, channels=("IN_SITE", "SMS")))
        if target == APPROVED:
            enterprise.approved_at = enterprise.profile_published_at = now
            uow.publish(events.registration_approved(enterprise.id, enterprise.organization_id,
                                                     enterprise.enterprise_type))
        uow.commit()
    return enterprise


def approve_registration(context: RareEarthContext, registration_id: str) -> Enterprise:
    return _review(context, registration_id, APPROVED)


def reject_registration(context: RareEarthContext, registration_id: str, reason: str) -> Enterprise:
    return _review(context, registration_id, REJECTED, check_review_reason(reason, "请填写审核不通过的原因"))
