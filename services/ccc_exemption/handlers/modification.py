"""Certificate modification (修改证明, manual §2.7): the CERT_CHANGE post opens it after the enterprise's
telephone request; the enterprise edits validity and product fields with a reason and submits; the post
confirms (the new version, re-signed, is the certificate) or sends it back. Never after write-off began."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from services.ccc_exemption import events
from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.reference import CERT_CHANGE, CIQ, POSTS
from services.ccc_exemption.domain.rules import (
    check_quantity,
    check_reason,
    check_text,
    clean,
    parse_day,
    parse_decimal,
)
from services.ccc_exemption.domain.states import CONFIRMED, MODIFIABLE, MODIFICATION, OPEN, SENT_BACK, SUBMITTED
from services.ccc_exemption.handlers.access import Viewer, load_certificate, require_viewer
from services.ccc_exemption.handlers.catalogue import find_code
from services.ccc_exemption.handlers.issue import certificate_products, render_version
from services.ccc_exemption.models import Application, Bureau, Certificate, CertificateProduct, Modification
from services.chassis.db import utcnow
from services.chassis.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Violations

# The product fields a modification may change (manual §2.7), by their JSON names.
PRODUCT_FIELDS = {"name": ("产品名称", 100), "hs_code": ("HS 编码", 10), "model": ("规格/型号", 100),
                  "quantity": ("数量", 30), "brand": ("商标", 100), "manufacturer": ("生产厂名", 100)}


@dataclass(frozen=True)
class ModifiedProductInput:
    certificate_product_id: str
    name: str = ""
    hs_code: str = ""
    model: str = ""
    quantity: str = ""
    brand: str = ""
    manufacturer: str = ""


@dataclass(frozen=True)
class ModificationView:
    modification: Modification
    # Each product as the modification would leave it.
    products: list[dict[str, str]]


def _view(session: Session, modification: Modification) -> ModificationView:
    changes = json.loads(modification.products)
    products = []
    for product in certificate_products(session, modification.certificate_id):
        current = {"certificate_product_id": product.id, "name": product.name, "hs_code": product.hs_code,
                   "model": product.model, "quantity": format(product.quantity.normalize(), "f"),
                   "brand": product.brand, "manufacturer": product.manufacturer}
        products.append(current | changes.get(product.id, {}))
    return ModificationView(modification, products)


def _bureau_post(viewer: Viewer, certificate: Certificate) -> None:
    staff = viewer.staff
    if staff is None or staff.kind != CIQ or staff.code != certificate.bureau_code or not staff.holds(CERT_CHANGE):
        raise PermissionDenied(f"仅限发证检验检疫局的{POSTS[CERT_CHANGE]}操作", reason="POST_REQUIRED",
                               metadata={"post": CERT_CHANGE})


def _modification(session: Session, certificate: Certificate) -> Modification:
    modification = session.get(Modification, certificate.id)
    if modification is None:
        raise NotFound("该证明没有修改记录", reason="MODIFICATION_NOT_FOUND")
    return modification


def _no_write_off(certificate: Certificate) -> None:
    if certificate.write_off_begun:
        raise FailedPrecondition("该证明已开始核销，不能再修改", reason="WRITE_OFF_BEGUN")


def open_modification(context: CccContext, certificate_id: str, note: str) -> ModificationView:
    viewer = require_viewer()
    violations = Violations()
    note = check_text(violations, "note", note, "说明", 500, multiline=True)
    violations.raise_if_any("说明有误")
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = load_certificate(session, viewer, certificate_id, lock=True)
        _bureau_post(viewer, certificate)
        _no_write_off(certificate)
        modification = session.get(Modification, certificate.id)
        now = utcnow()
        if modification is None:
            modification = Modification(certificate_id=certificate.id, status=OPEN, opened_at=now)
            session.add(modification)
        else:
            MODIFICATION.move(modification, OPEN, "该证明已有进行中的修改")
            modification.reason, modification.send_back_reason, modification.products = "", "", "{}"
            modification.opened_at, modification.submitted_at, modification.decided_at = now, None, None
        modification.note, modification.opened_by = note, viewer.caller.account_id or ""
        modification.valid_from, modification.valid_until = certificate.valid_from, certificate.valid_until
        bureau = session.get(Bureau, certificate.bureau_code)
        uow.publish(events.to_enterprise("ccc_exemption.modification.opened", certificate.organization_id, {
            "certificateNumber": certificate.number, "bureauName": bureau.name, "note": note or "无"}))
        uow.commit()
        return _view(session, modification)


def get_modification(context: CccContext, certificate_id: str) -> ModificationView:
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        certificate = load_certificate(uow.session, viewer, certificate_id)
        return _view(uow.session, _modification(uow.session, certificate))


def _enterprise_modification(session: Session, viewer: Viewer, certificate_id: str) -> tuple[Certificate,
                                                                                             Modification]:
    certificate = load_certificate(session, viewer, certificate_id, lock=True)
    if viewer.staff is not None:
        raise PermissionDenied("证明修改由申请企业填写", reason="ENTERPRISE_ONLY")
    modification = _modification(session, certificate)
    if modification.status not in MODIFIABLE:
        raise FailedPrecondition(f"证明修改当前为“{MODIFICATION.label(modification.status)}”，不能修改",
                                 reason="MODIFICATION_NOT_EDITABLE", metadata={"status": modification.status})
    return certificate, modification


def _product_changes(session: Session, products: Sequence[ModifiedProductInput], certificate: Certificate,
                     violations: Violations) -> dict[str, dict[str, str]]:
    known: dict[str, CertificateProduct] = {p.id: p for p in certificate_products(session, certificate.id)}
    changes: dict[str, dict[str, str]] = {}
    for index, item in enumerate(products):
        field = f"products[{index}]"
        if item.certificate_product_id not in known:
            violations.add(f"{field}.certificateProductId", "该证明没有这个产品")
            continue
        change: dict[str, str] = {}
        for name, (label, maximum) in PRODUCT_FIELDS.items():
            value = check_text(violations, f"{field}.{name}", getattr(item, name), label, maximum)
            if value:
                change[name] = value
        if "hs_code" in change:
            try:
                find_code(session, change["hs_code"], f"{field}.hsCode")
            except InvalidArgument as refused:  # the catalogue's refusal, collected with the others
                violations.items.extend(refused.violations)
        if "quantity" in change:
            quantity = check_quantity(violations, f"{field}.quantity", parse_decimal(
                violations, f"{field}.quantity", change["quantity"], "数量"), "数量")
            change["quantity"] = format(quantity.normalize(), "f") if quantity is not None else ""
        changes[item.certificate_product_id] = change
    return changes


def update_modification(context: CccContext, certificate_id: str, reason: str | None, valid_from: str | None,
                        valid_until: str | None, products: Sequence[ModifiedProductInput]) -> ModificationView:
    viewer = require_viewer()
    with context.unit_of_work() as uow:
        session = uow.session
        certificate, modification = _enterprise_modification(session, viewer, certificate_id)
        violations = Violations()
        if reason is not None:
            modification.reason = check_text(violations, "reason", reason, "更改原因", 500, multiline=True)
        start = parse_day(violations, "validFrom", valid_from or "", "有效期起始日") if valid_from else None
        end = parse_day(violations, "validUntil", valid_until or "", "有效期截止日") if valid_until else None
        if (end or modification.valid_until) and (start or modification.valid_from) and \
                (end or modification.valid_until) < (start or modification.valid_from):
            violations.add("validUntil", "有效期截止日不能早于起始日")
        changes = _product_changes(session, products, certificate, violations)
        violations.raise_if_any("证明修改信息有误")
        modification.valid_from = start or modification.valid_from
        modification.valid_until = end or modification.valid_until
        merged = json.loads(modification.products)
        for product_id, change in changes.items():
            merged[product_id] = merged.get(product_id, {}) | change
        modification.products = json.dumps(merged, ensure_ascii=False)
        uow.commit()
        return _view(session, modification)


def submit_modification(context: CccContext, certificate_id: str) -> ModificationView:
    viewer = require_viewer()
    with context.unit_of_work() as uow:
        session = uow.session
        certificate, modification = _enterprise_modification(session, viewer, certificate_id)
        violations = Violations()
        check_reason(violations, "reason", modification.reason, "更改原因")
        violations.raise_if_any("请填写更改原因")
        MODIFICATION.move(modification, SUBMITTED)
        modification.submitted_at = utcnow()
        application = session.get(Application, certificate.application_id)
        uow.publish(events.to_bureau("ccc_exemption.modification.submitted", certificate.bureau_code, {
            "certificateNumber": certificate.number, "applicantName": application.applicant_name}))
        uow.commit()
        return _view(session, modification)


def _decide(context: CccContext, certificate_id: str, target: str, reason: str = "") -> ModificationView:
    viewer = require_viewer()
    violations = Violations()
    if target == SENT_BACK:
        reason = check_reason(violations, "reason", reason, "退回原因")
    violations.raise_if_any("退回原因有误")
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = load_certificate(session, viewer, certificate_id, lock=True)
        _bureau_post(viewer, certificate)
        modification = _modification(session, certificate)
        if modification.status != SUBMITTED:
            raise FailedPrecondition("企业尚未提交证明修改", reason="MODIFICATION_NOT_SUBMITTED",
                                     metadata={"status": modification.status})
        bureau = session.get(Bureau, certificate.bureau_code)
        MODIFICATION.move(modification, target)
        modification.decided_at = utcnow()
        if target == CONFIRMED:
            _no_write_off(certificate)
            _apply(context, session, certificate, modification, bureau)
            uow.publish(events.certificate_issued(certificate.id, certificate.number, certificate.application_id,
                                                  bureau.code, certificate.version))
            uow.publish(events.to_enterprise("ccc_exemption.modification.confirmed", certificate.organization_id, {
                "certificateNumber": certificate.number, "bureauName": bureau.name, "version": certificate.version}))
        else:
            modification.send_back_reason = reason
            uow.publish(events.to_enterprise("ccc_exemption.modification.sent_back", certificate.organization_id, {
                "certificateNumber": certificate.number, "bureauName": bureau.name, "reason": reason}))
        uow.commit()
        return _view(session, modification)


def _apply(context: CccContext, session: Session, certificate: Certificate, modification: Modification,
           bureau: Bureau) -> None:
    """The modification becomes the certificate: its fields, the next version, a new signed PDF."""
    changes = json.loads(modification.products)
    for product in certificate_products(session, certificate.id):
        change = changes.get(product.id, {})
        for name, value in change.items():
            if name == "quantity":
                product.quantity = Decimal(value)
            elif name == "hs_code":
                code = find_code(session, value)
                product.hs_code, product.hs_name, product.standard_unit = code.code, code.name, code.standard_unit
            else:
                setattr(product, name, value)
    certificate.valid_from = modification.valid_from or certificate.valid_from
    certificate.valid_until = modification.valid_until or certificate.valid_until
    certificate.version += 1
    modification.version = certificate.version
    session.flush()
    render_version(context, session, certificate, session.get(Application, certificate.application_id), bureau)


def confirm_modification(context: CccContext, certificate_id: str) -> ModificationView:
    return _decide(context, certificate_id, CONFIRMED)


def send_back_modification(context: CccContext, certificate_id: str, reason: str) -> ModificationView:
    return _decide(context, certificate_id, SENT_BACK, clean(reason))
