"""Pre-write-off and write-off (manual §2.8).

The guard against writing off more than was required is one conditional UPDATE per product
(``written_off + q <= required``, in both units): PostgreSQL row-locks the product and re-checks the
condition against the committed figure after a concurrent write-off, so totals never pass the
required quantity however many write-offs race; SQLite's BEGIN IMMEDIATE serialises writers anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from services.ccc_exemption import events
from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.reference import CIQ, CUSTOMS, WRITE_OFF
from services.ccc_exemption.domain.rules import ZERO, check_quantity, clean, parse_decimal
from services.ccc_exemption.domain.states import CONFIRMED, MODIFIABLE, PRE_WRITE_OFF, SUBMITTED
from services.ccc_exemption.handlers.access import Staff, Viewer, load_certificate, require_post, require_viewer
from services.ccc_exemption.models import (
    Application,
    Bureau,
    Certificate,
    CertificateProduct,
    Modification,
    Port,
    PreWriteOff,
    PreWriteOffItem,
    WriteOff,
    WriteOffItem,
)
from services.chassis.db import utcnow
from services.chassis.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Violations
from services.chassis.paging import Page, paginate


@dataclass(frozen=True)
class ItemInput:
    certificate_product_id: str
    quantity: str
    standard_quantity: str


@dataclass(frozen=True)
class Item:
    product: CertificateProduct
    quantity: Decimal
    standard_quantity: Decimal


@dataclass(frozen=True)
class PreWriteOffView:
    pre_write_off: PreWriteOff
    certificate_number: str
    port: Port
    port_bureau: Bureau
    # (certificate product, submitted item) in the certificate's order.
    items: list[tuple[CertificateProduct, PreWriteOffItem]]


@dataclass(frozen=True)
class WriteOffView:
    write_off: WriteOff
    port: Port | None
    items: list[tuple[CertificateProduct, WriteOffItem]]


def remaining(product: CertificateProduct) -> tuple[Decimal, Decimal]:
    return (product.quantity - product.written_off_quantity,
            product.standard_quantity - product.written_off_standard_quantity)


def _products(session: Session, certificate: Certificate) -> dict[str, CertificateProduct]:
    return {p.id: p for p in session.scalars(select(CertificateProduct)
                                             .where(CertificateProduct.certificate_id == certificate.id))}


def check_items(session: Session, certificate: Certificate, items: Sequence[ItemInput]) -> list[Item]:
    """Per product, both units: not negative, not both zero, each at most what remains to write off."""
    violations = Violations()
    products = _products(session, certificate)
    checked: list[Item] = []
    if not items:
        violations.add("items", "请填写本次核销的产品数量")
    seen: set[str] = set()
    for index, item in enumerate(items):
        field = f"items[{index}]"
        product = products.get(clean(item.certificate_product_id))
        if product is None:
            violations.add(f"{field}.certificateProductId", "该证明没有这个产品")
            continue
        if product.id in seen:
            violations.add(f"{field}.certificateProductId", "同一产品在本次核销中重复出现")
            continue
        seen.add(product.id)
        quantity = check_quantity(violations, f"{field}.quantity", parse_decimal(
            violations, f"{field}.quantity", item.quantity or "0", "数量/重量"), "数量/重量", allow_zero=True)
        standard = check_quantity(violations, f"{field}.standardQuantity", parse_decimal(
            violations, f"{field}.standardQuantity", item.standard_quantity or "0", "HS 标准量"), "HS 标准量",
            allow_zero=True)
        if quantity is None or standard is None:
            continue
        if quantity == ZERO and standard == ZERO:
            violations.add(f"{field}.quantity", "数量/重量与 HS 标准量不能同时为零")
            continue
        left, left_standard = remaining(product)
        if quantity > left:
            violations.add(f"{field}.quantity", f"超过剩余可核销数量（{_text(left)}{product.quantity_unit}）")
        if standard > left_standard:
            violations.add(f"{field}.standardQuantity",
                           f"超过剩余可核销 HS 标准量（{_text(left_standard)}{product.standard_unit}）")
        checked.append(Item(product, quantity, standard))
    violations.raise_if_any("核销数量有误")
    return checked


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _no_open_modification(session: Session, certificate: Certificate) -> None:
    modification = session.get(Modification, certificate.id)
    if modification is not None and (modification.status in MODIFIABLE or modification.status == SUBMITTED):
        raise FailedPrecondition("该证明正在修改中，修改确认后才能核销", reason="MODIFICATION_IN_PROGRESS")


def take(session: Session, certificate: Certificate, items: Sequence[Item]) -> None:
    """Add each item to its product's written-off totals, refused if another write-off took the remainder first."""
    for index, item in enumerate(items):
        table = CertificateProduct
        moved = session.execute(
            update(table)
            .where(table.id == item.product.id,
                   table.written_off_quantity + item.quantity <= table.quantity,
                   table.written_off_standard_quantity + item.standard_quantity <= table.standard_quantity)
            .values(written_off_quantity=table.written_off_quantity + item.quantity,
                    written_off_standard_quantity=table.written_off_standard_quantity + item.standard_quantity)
            .execution_options(synchronize_session=False)).rowcount
        if moved != 1:
            session.refresh(item.product)
            left, _standard = remaining(item.product)
            raise InvalidArgument.for_field(f"items[{index}].quantity",
                                            f"超过剩余可核销数量（{_text(left)}{item.product.quantity_unit}），"
                                            "其他核销已先完成，请刷新后重试")
    session.execute(update(Certificate).where(Certificate.id == certificate.id, Certificate.write_off_begun.is_(False))
                    .values(write_off_begun=True).execution_options(synchronize_session=False))


def _certificate_for(session: Session, staff: Staff, certificate_id: str) -> Certificate:
    """A WRITE_OFF post sees every bureau's certificates (manual §2.8)."""
    return load_certificate(session, Viewer(staff.caller, staff), certificate_id, field="certificateId")


def _port(session: Session, code: str, *, required: bool) -> Port | None:
    code = clean(code)
    if not code:
        if required:
            raise InvalidArgument.for_field("portCode", "请选择进行产品核销的口岸")
        return None
    port = session.get(Port, code)
    if port is None:
        raise InvalidArgument.for_field("portCode", "口岸不存在，请从口岸列表中选择")
    return port


def create_pre_write_off(context: CccContext, certificate_id: str, port_code: str,
                         items: Sequence[ItemInput]) -> PreWriteOffView:
    viewer = require_viewer()
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = load_certificate(session, viewer, certificate_id, field="certificateId")
        if viewer.staff is not None:
            raise PermissionDenied("预核销由申请企业提交", reason="ENTERPRISE_ONLY")
        _no_open_modification(session, certificate)
        port = _port(session, port_code, required=True)
        checked = check_items(session, certificate, items)
        pre = PreWriteOff(certificate_id=certificate.id, port_code=port.code, bureau_code=port.bureau_code,
                          status=SUBMITTED, created_by=viewer.caller.account_id or "", submitted_at=utcnow())
        session.add(pre)
        session.flush()
        for item in checked:
            session.add(PreWriteOffItem(pre_write_off_id=pre.id, certificate_product_id=item.product.id,
                                        quantity=item.quantity, standard_quantity=item.standard_quantity))
        application = session.get(Application, certificate.application_id)
        uow.publish(events.to_bureau("ccc_exemption.pre_write_off.submitted", port.bureau_code, {
            "certificateNumber": certificate.number, "applicantName": application.applicant_name,
            "portName": port.name}))
        uow.commit()
        return pre_view(session, pre)


def pre_view(session: Session, pre: PreWriteOff) -> PreWriteOffView:
    certificate = session.get(Certificate, pre.certificate_id)
    rows = session.execute(select(CertificateProduct, PreWriteOffItem)
                           .join(PreWriteOffItem, PreWriteOffItem.certificate_product_id == CertificateProduct.id)
                           .where(PreWriteOffItem.pre_write_off_id == pre.id)
                           .order_by(CertificateProduct.sequence)).all()
    port = session.get(Port, pre.port_code)
    return PreWriteOffView(pre, certificate.number, port, session.get(Bureau, port.bureau_code),
                           [tuple(r) for r in rows])


def list_pre_write_offs(context: CccContext, certificate_id: str, page_size: int,
                        page_token: str) -> Page[PreWriteOffView]:
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        certificate = load_certificate(uow.session, viewer, certificate_id, field="certificateId")
        page = paginate(uow.session, select(PreWriteOff).where(PreWriteOff.certificate_id == certificate.id)
                        .order_by(PreWriteOff.submitted_at, PreWriteOff.id), page_size, page_token)
        return Page([pre_view(uow.session, p) for p in page.items], page.next_page_token, page.total_size)


def _confirms(staff: Staff, port: Port) -> bool:
    """Only the WRITE_OFF post of the bureau behind the port the enterprise chose (or that customs port)."""
    return (staff.kind == CIQ and staff.code == port.bureau_code) or \
        (staff.kind == CUSTOMS and staff.code in (port.code, port.district_code))


def list_pending(context: CccContext, page_size: int, page_token: str) -> Page[PreWriteOffView]:
    staff = require_post(WRITE_OFF)
    query = select(PreWriteOff).join(Port, Port.code == PreWriteOff.port_code).where(PreWriteOff.status == SUBMITTED)
    if staff.kind == CIQ:
        query = query.where(PreWriteOff.bureau_code == staff.code)
    else:
        query = query.where(or_(Port.code == staff.code, Port.district_code == staff.code))
    with context.unit_of_work(read_only=True) as uow:
        page = paginate(uow.session, query.order_by(PreWriteOff.submitted_at), page_size, page_token)
        return Page([pre_view(uow.session, p) for p in page.items], page.next_page_token, page.total_size)


def _record(session: Session, certificate: Certificate, staff: Staff, port: Port | None, items: Sequence[Item],
            pre_id: str | None) -> WriteOff:
    record = WriteOff(certificate_id=certificate.id, pre_write_off_id=pre_id, port_code=port.code if port else "",
                      agency=staff.agency, officer=staff.name, created_at=utcnow())
    session.add(record)
    session.flush()
    for item in items:
        session.add(WriteOffItem(write_off_id=record.id, certificate_product_id=item.product.id,
                                 quantity=item.quantity, standard_quantity=item.standard_quantity))
    return record


def confirm_pre_write_off(context: CccContext, certificate_id: str, pre_id: str,
                          items: Sequence[ItemInput]) -> PreWriteOffView:
    """The port bureau's WRITE_OFF post writes off what it found, which may differ from what was submitted."""
    staff = require_post(WRITE_OFF)
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = _certificate_for(session, staff, certificate_id)
        pre = session.get(PreWriteOff, pre_id, with_for_update=True) if pre_id else None
        if pre is None or pre.certificate_id != certificate.id:
            raise NotFound("预核销申请不存在", reason="PRE_WRITE_OFF_NOT_FOUND", metadata={"field": "id"})
        port = session.get(Port, pre.port_code)
        if not _confirms(staff, port):
            raise PermissionDenied("预核销申请只能由企业指定口岸对应的检验检疫局核销人员确认",
                                   reason="NOT_THE_PORT_BUREAU", metadata={"port": port.code})
        PRE_WRITE_OFF.move(pre, CONFIRMED, "该预核销申请已确认")
        _no_open_modification(session, certificate)
        submitted = pre_view(session, pre).items
        given = items or [ItemInput(p.id, format(i.quantity, "f"), format(i.standard_quantity, "f"))
                          for p, i in submitted]
        checked = check_items(session, certificate, given)
        take(session, certificate, checked)
        confirmed = {item.product.id: item for item in checked}
        for _product, line in submitted:
            item = confirmed.get(line.certificate_product_id)
            line.confirmed_quantity = item.quantity if item else ZERO
            line.confirmed_standard_quantity = item.standard_quantity if item else ZERO
        pre.confirmed_at, pre.confirmed_by = utcnow(), staff.name
        _record(session, certificate, staff, port, checked, pre.id)
        uow.publish(events.to_enterprise("ccc_exemption.pre_write_off.confirmed", certificate.organization_id, {
            "certificateNumber": certificate.number, "portName": port.name}))
        uow.commit()
        return pre_view(session, pre)


def create_write_off(context: CccContext, certificate_id: str, port_code: str,
                     items: Sequence[ItemInput]) -> WriteOffView:
    """Any bureau's WRITE_OFF post (or a customs port's) writes off directly."""
    staff = require_post(WRITE_OFF)
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = _certificate_for(session, staff, certificate_id)
        port = _port(session, port_code or (staff.code if staff.kind == CUSTOMS else ""), required=False)
        _no_open_modification(session, certificate)
        checked = check_items(session, certificate, items)
        take(session, certificate, checked)
        record = _record(session, certificate, staff, port, checked, None)
        uow.publish(events.to_enterprise("ccc_exemption.write_off.recorded", certificate.organization_id, {
            "certificateNumber": certificate.number, "portName": port.name if port else staff.agency,
            "officer": staff.name}))
        uow.commit(on_integrity_error=lambda _e: FailedPrecondition("核销未完成，请重试", reason="CONCURRENT_CHANGE"))
        return write_off_view(session, record)


def write_off_view(session: Session, record: WriteOff) -> WriteOffView:
    rows = session.execute(select(CertificateProduct, WriteOffItem)
                           .join(WriteOffItem, WriteOffItem.certificate_product_id == CertificateProduct.id)
                           .where(WriteOffItem.write_off_id == record.id).order_by(CertificateProduct.sequence)).all()
    return WriteOffView(record, session.get(Port, record.port_code) if record.port_code else None,
                        [tuple(r) for r in rows])


def list_write_offs(context: CccContext, certificate_id: str, page_size: int, page_token: str) -> Page[WriteOffView]:
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        certificate = load_certificate(uow.session, viewer, certificate_id, field="certificateId")
        page = paginate(uow.session, select(WriteOff).where(WriteOff.certificate_id == certificate.id)
                        .order_by(WriteOff.created_at, WriteOff.id), page_size, page_token)
        return Page([write_off_view(uow.session, r) for r in page.items], page.next_page_token, page.total_size)
