"""Submit (manual §2.1.3, §2.3–2.4): validate everything, route to a bureau, or go back to the post that returned it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.ccc_exemption import events
from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.reference import (
    ACCEPTANCE,
    EXEMPTION_CLAUSES,
    NUMBERED_ATTACHMENTS,
    POSTS,
    TRADE_MODES,
)
from services.ccc_exemption.domain.rules import PHONE
from services.ccc_exemption.domain.states import ACCEPTING, APPLICATION, DRAFT, RETURNED
from services.ccc_exemption.handlers.access import load_application, require_viewer
from services.ccc_exemption.handlers.applications import (
    RECORD_TYPE,
    ApplicationView,
    check_location,
    require_editable,
    view_of,
)
from services.ccc_exemption.handlers.products import characteristic_pairs
from services.ccc_exemption.handlers.records import record_step
from services.ccc_exemption.handlers.reference import route
from services.ccc_exemption.models import Application, Bureau, Product
from services.chassis.db import utcnow
from services.chassis.divisions import divisions
from services.chassis.errors import FailedPrecondition, Violations


def _violations(session: Session, context: CccContext, application: Application) -> Violations:
    """Everything wrong with the application as it would be submitted, each bad field named."""
    violations = Violations()
    if application.exemption_clause not in EXEMPTION_CLAUSES:
        violations.add("exemptionClause", "请选择免办条款")
    if application.trade_mode not in TRADE_MODES:
        violations.add("tradeMode", "请选择贸易方式")
    check_location(violations, "finalUseLocationCode", application.final_use_code, required=True)
    if not application.contact_name:
        violations.add("contactName", "请填写联系人")
    if not PHONE.fullmatch(application.contact_phone or ""):
        violations.add("contactPhone", "请填写联系电话（11位手机号或带区号的固定电话）")
    kinds = {a.kind for a in context.providers.store.list(session, RECORD_TYPE, application.id)}
    for column, kind, label in NUMBERED_ATTACHMENTS:
        if getattr(application, column) and kind not in kinds:
            violations.add(f"attachments.{kind}", f"已填写{label}，请上传对应的电子附件")
    products = list(session.scalars(select(Product).where(Product.application_id == application.id)
                                    .order_by(Product.sequence)))
    if not products:
        violations.add("products", "请至少添加一个免办产品")
    for index, product in enumerate(products):
        if any(not value for _name, value in characteristic_pairs(product)):
            violations.add(f"products[{index}].characteristics", f"产品“{product.name}”的产品特性未填写完整")
        if not divisions().is_lowest_level(product.final_use_code):
            violations.add(f"products[{index}].finalUseLocationCode", f"产品“{product.name}”的最终使用地无效")
    return violations


def _destination(session: Session, application: Application) -> tuple[Bureau, str]:
    """Where it goes: a first submission by the delegation table (a 补录 to its own bureau) to acceptance;
    a correction to the same bureau's post that returned it."""
    if application.status == RETURNED:
        bureau = session.get(Bureau, application.bureau_code)
        return bureau, application.post or ACCEPTANCE  # type: ignore[return-value]
    if application.entered_by_bureau:
        return session.get(Bureau, application.entered_by_bureau), ACCEPTANCE  # type: ignore[return-value]
    bureau = route(session, application.final_use_code)
    if bureau is None:
        raise FailedPrecondition("该最终使用地暂无受理免办申请的检验检疫局，请联系认监委",
                                 reason="NO_BUREAU_FOR_LOCATION",
                                 metadata={"finalUseLocationCode": application.final_use_code})
    return bureau, ACCEPTANCE


def submit_application(context: CccContext, application_id: str) -> ApplicationView:
    viewer = require_viewer()
    with context.unit_of_work() as uow:
        session = uow.session
        application = load_application(session, viewer, application_id, lock=True)
        require_editable(viewer, application)
        _violations(session, context, application).raise_if_any("申请单信息不完整或有误，请修改后再提交")
        bureau, post = _destination(session, application)
        before = application.status
        APPLICATION.move(application, ACCEPTING)
        application.bureau_code, application.post = bureau.code, post
        application.submitted_at = application.updated_at = utcnow()
        record_step(session, application, "SUBMITTED" if before == DRAFT else "RESUBMITTED",
                    actor_id=viewer.caller.account_id,
                    actor_name=viewer.staff.name if viewer.staff else application.applicant_name, from_state=before)
        uow.publish(events.to_bureau("ccc_exemption.application.submitted", bureau.code, {
            "applicationNumber": application.number, "applicantName": application.applicant_name,
            "postLabel": POSTS[post]}))
        uow.commit()
        return view_of(session, viewer, application)
