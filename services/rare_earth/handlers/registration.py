"""System registration (manual §2.2): save, submit, review by the operating body."""

from __future__ import annotations

from sqlalchemy import select

from services.chassis.db import utcnow
from services.chassis.errors import InvalidArgument, NotFound, Violations
from services.chassis.paging import Page, paginate
from services.chassis.runtime import ServiceContext
from services.rare_earth import events
from services.rare_earth.access import (
    OFFICE,
    OPERATOR,
    enterprise_of,
    require_enterprise_caller,
    require_staff,
)
from services.rare_earth.directory import OrganizationDirectory
from services.rare_earth.divisions import divisions
from services.rare_earth.domain import REGISTRATION, validate_enterprise_fields
from services.rare_earth.handlers.common import commit, like, unit_of_work
from services.rare_earth.models import Enterprise

COLUMNS = {
    "enterpriseName": "enterprise_name", "enterpriseType": "enterprise_type", "provinceCode": "province_code",
    "cityCode": "city_code", "address": "address", "contactName": "contact_name",
    "contactPhone": "contact_phone", "email": "email",
}


def get_registration(context: ServiceContext) -> Enterprise:
    caller = require_enterprise_caller()
    with unit_of_work(context) as uow:
        enterprise = enterprise_of(uow.session, caller)
    return enterprise or Enterprise(id="", organization_id=caller.organization_id, status="DRAFT")


def save_registration(context: ServiceContext, directory: OrganizationDirectory, fields: dict[str, str]) -> Enterprise:
    caller = require_enterprise_caller()
    validate_enterprise_fields(fields, divisions(), complete=False).raise_if_any("注册信息有误")
    uscc = directory.uscc_of(caller)
    with unit_of_work(context) as uow:
        enterprise = enterprise_of(uow.session, caller, lock=True)
        if enterprise is None:
            enterprise = Enterprise(organization_id=caller.organization_id, status="DRAFT",
                                    created_by=caller.account_id)
            uow.session.add(enterprise)
        elif enterprise.status == "APPROVED":
            REGISTRATION.check(enterprise.status, enterprise.status,
                               "注册已审核通过，企业信息请在基本信息维护中修改")
        else:
            REGISTRATION.check(enterprise.status, enterprise.status,
                               "审核中：管理员正在进行审核，注册内容不可编辑")
        for name, column in COLUMNS.items():
            setattr(enterprise, column, fields.get(name, ""))
        if uscc:
            enterprise.uscc = uscc
        enterprise.updated_at = utcnow()
        commit(uow)
    return enterprise


def submit_registration(context: ServiceContext) -> Enterprise:
    caller = require_enterprise_caller()
    with unit_of_work(context) as uow:
        enterprise = enterprise_of(uow.session, caller, lock=True)
        if enterprise is None:
            raise InvalidArgument.for_field("enterpriseName", "请先填写并保存注册信息")
        REGISTRATION.check(enterprise.status, "PENDING_REVIEW",
                           "审核中：管理员正在进行审核，请耐心等待审核完成" if enterprise.status == "PENDING_REVIEW"
                           else "注册已审核通过，无需再次提交")
        stored = {name: getattr(enterprise, column) or "" for name, column in COLUMNS.items()}
        validate_enterprise_fields(stored, divisions(), complete=True).raise_if_any("注册信息不完整或有误")
        enterprise.status = "PENDING_REVIEW"
        enterprise.rejection_reason = ""
        enterprise.submitted_at = enterprise.updated_at = utcnow()
        commit(uow)
    return enterprise


def list_registrations(context: ServiceContext, status: str, name: str, page_size: int, page_token: str) -> Page:
    require_staff(OPERATOR, OFFICE)
    query = select(Enterprise).where(Enterprise.status != "DRAFT")
    if status:
        query = query.where(Enterprise.status == status)
    if name:
        query = query.where(Enterprise.enterprise_name.like(like(name), escape="\\"))
    query = query.order_by(Enterprise.submitted_at.desc(), Enterprise.id)
    with unit_of_work(context) as uow:
        return paginate(uow.session, query, page_size, page_token)


def get_registration_by_id(context: ServiceContext, registration_id: str) -> Enterprise:
    require_staff(OPERATOR, OFFICE)
    with unit_of_work(context) as uow:
        enterprise = uow.session.get(Enterprise, registration_id)
        if enterprise is None or enterprise.status == "DRAFT":
            raise NotFound("注册申请不存在", reason="REGISTRATION_NOT_FOUND")
        return enterprise


def _review(context: ServiceContext, registration_id: str, target: str, reason: str = "") -> Enterprise:
    staff = require_staff(OPERATOR)
    with unit_of_work(context) as uow:
        enterprise = uow.session.get(Enterprise, registration_id, with_for_update=True)
        if enterprise is None or enterprise.status == "DRAFT":
            raise NotFound("注册申请不存在", reason="REGISTRATION_NOT_FOUND")
        REGISTRATION.check(enterprise.status, target, "只能审核状态为“审核中”的注册申请")
        now = utcnow()
        enterprise.status = target
        enterprise.reviewed_at = enterprise.updated_at = now
        enterprise.reviewed_by = staff.caller.account_id
        enterprise.rejection_reason = reason
        if target == "APPROVED":
            enterprise.approved_at = enterprise.profile_published_at = now
            uow.publish(
                events.notice_to_organization("rare_earth.registration.approved", enterprise.organization_id,
                                              {"enterpriseName": enterprise.enterprise_name},
                                              channels=("IN_SITE", "SMS")),
                events.registration_approved(enterprise.id, enterprise.organization_id, enterprise.enterprise_type))
        else:
            uow.publish(events.notice_to_organization(
                "rare_earth.registration.rejected", enterprise.organization_id,
                {"enterpriseName": enterprise.enterprise_name, "reason": reason}, channels=("IN_SITE", "SMS")))
        commit(uow)
    return enterprise


def approve_registration(context: ServiceContext, registration_id: str) -> Enterprise:
    return _review(context, registration_id, "APPROVED")


def reject_registration(context: ServiceContext, registration_id: str, reason: str) -> Enterprise:
    violations = Violations()
    if not reason.strip():
        violations.add("reason", "请填写审核不通过的原因")
    elif len(reason) > 200:
        violations.add("reason", "原因最多200个字符")
    violations.raise_if_any()
    return _review(context, registration_id, "REJECTED", reason.strip())


