"""What the use cases answer, as protos. Quantities go out as decimal strings, times as Timestamps."""

from __future__ import annotations

from decimal import Decimal

from protos.ccc_exemption.v1 import applications_pb2 as applications_pb
from protos.ccc_exemption.v1 import catalogue_pb2 as catalogue_pb
from protos.ccc_exemption.v1 import certificates_pb2 as certificates_pb
from protos.ccc_exemption.v1 import products_pb2 as products_pb
from protos.ccc_exemption.v1 import reference_pb2 as reference_pb
from protos.ccc_exemption.v1 import resources_pb2 as resources_pb
from protos.ccc_exemption.v1 import todo_pb2 as todo_pb
from protos.ccc_exemption.v1 import use_records_pb2 as use_records_pb
from protos.ccc_exemption.v1 import writeoffs_pb2 as writeoffs_pb
from protos.common.v1 import common_pb2
from services.ccc_exemption.domain.reference import EXEMPTION_CLAUSES, TRADE_MODES
from services.ccc_exemption.domain.states import APPLICATION
from services.ccc_exemption.handlers.applications import ApplicationView
from services.ccc_exemption.handlers.catalogue import ProductForm, characteristics_of, units_of
from services.ccc_exemption.handlers.certificates import CertificateView, CheckView
from services.ccc_exemption.handlers.modification import ModificationView
from services.ccc_exemption.handlers.products import characteristic_pairs
from services.ccc_exemption.handlers.todo import Todo
from services.ccc_exemption.handlers.use_records import UseRecordView
from services.ccc_exemption.handlers.writeoffs import PreWriteOffView, WriteOffView, remaining
from services.ccc_exemption.models import Bureau, CertificateProduct, HsCode, Port, Product
from services.chassis import wire
from services.chassis.divisions import divisions
from services.chassis.documents.wire import attachment_message


def amount(value: Decimal | None) -> str:
    """A quantity as it travels: plain notation without trailing zeros (``"2"``, ``"0.35"``)."""
    return wire.decimal_text(value.normalize()) if value is not None else ""


def day(value) -> str:
    return value.isoformat() if value else ""


def place(code: str) -> resources_pb.Place:
    places = divisions()
    return resources_pb.Place(code=code or "", name=places.name_of(code or ""), full_name=places.full_name(code or ""))


def bureau(b: Bureau | None) -> resources_pb.Bureau | None:
    if b is None:
        return None
    return resources_pb.Bureau(code=b.code, name=b.name, contact_name=b.contact_name, contact_phone=b.contact_phone,
                               address=b.address)


def _post(value: str | None) -> int:
    return wire.enum_value(resources_pb.Post, value or None)


def choices(mapping: dict[str, str]) -> list[reference_pb.Choice]:
    return [reference_pb.Choice(code=code, label=label) for code, label in mapping.items()]


def port(p: Port, b: Bureau | None) -> reference_pb.Port:
    return reference_pb.Port(code=p.code, name=p.name, district_code=p.district_code, district_name=p.district_name,
                             bureau=bureau(b))


def hs_code(code: HsCode) -> catalogue_pb.HsCode:
    return catalogue_pb.HsCode(code=code.code, name=code.name, standard_unit=code.standard_unit,
                               characteristics=characteristics_of(code))


def product_form(form: ProductForm) -> catalogue_pb.ProductForm:
    return catalogue_pb.ProductForm(hs_code=hs_code(form.code), quantity_units=units_of(form.code),
                                    final_use_location=place(form.final_use_code))


def application(view: ApplicationView) -> applications_pb.Application:
    a = view.application
    message = applications_pb.Application(
        id=a.id, number=a.number, status=wire.enum_value(applications_pb.Application.Status, a.status),
        status_label=APPLICATION.label(a.status), exemption_clause=a.exemption_clause,
        exemption_clause_label=EXEMPTION_CLAUSES.get(a.exemption_clause, ""), trade_mode=a.trade_mode,
        trade_mode_label=TRADE_MODES.get(a.trade_mode, ""), organization_id=a.organization_id,
        applicant_name=a.applicant_name, applicant_uscc=a.applicant_uscc, contract_number=a.contract_number,
        invoice_number=a.invoice_number, bill_of_lading_number=a.bill_of_lading_number,
        final_use_location=place(a.final_use_code), final_use_address=a.final_use_address,
        contact_name=a.contact_name, contact_phone=a.contact_phone, contact_email=a.contact_email,
        bureau=bureau(view.bureau), post=_post(a.post), reason=a.reason, paper_notice=a.paper_notice,
        entered_by_bureau=bool(a.entered_by_bureau), editable=view.editable, certificate_id=a.certificate_id or "",
        certificate_number=a.certificate_number, product_count=view.product_count,
        create_time=wire.timestamp(a.created_at), update_time=wire.timestamp(a.updated_at),
        submit_time=wire.timestamp(a.submitted_at), draft_expire_time=wire.timestamp(view.draft_expires_at),
        history=[common_pb2.AuditEntry(actor_id=s.actor_id, actor_name=s.actor_name, action=s.action,
                                       from_state=s.from_state, to_state=s.to_state, note=s.note,
                                       at=wire.timestamp(s.at)) for s in view.history])
    if a.terminated_at is not None:
        message.termination.CopyFrom(applications_pb.Application.Termination(
            bureau_name=view.bureau.name if view.bureau else "", officer_name=a.terminated_by,
            time=wire.timestamp(a.terminated_at), reason=a.reason))
    return message


def product(p: Product) -> products_pb.Product:
    return products_pb.Product(
        id=p.id, application_id=p.application_id, sequence=p.sequence, hs_code=p.hs_code, hs_name=p.hs_name,
        characteristics=[products_pb.Characteristic(name=n, value=v) for n, v in characteristic_pairs(p)],
        name=p.name, model=p.model, brand=p.brand, manufacturer=p.manufacturer, quantity=amount(p.quantity),
        quantity_unit=p.quantity_unit, standard_quantity=amount(p.standard_quantity), standard_unit=p.standard_unit,
        final_use_location=place(p.final_use_code), create_time=wire.timestamp(p.created_at),
        update_time=wire.timestamp(p.updated_at))


def certificate_product(p: CertificateProduct) -> certificates_pb.CertificateProduct:
    left, left_standard = remaining(p)
    return certificates_pb.CertificateProduct(
        id=p.id, sequence=p.sequence, name=p.name, hs_code=p.hs_code, hs_name=p.hs_name, model=p.model,
        brand=p.brand, manufacturer=p.manufacturer, quantity=amount(p.quantity), quantity_unit=p.quantity_unit,
        standard_quantity=amount(p.standard_quantity), standard_unit=p.standard_unit,
        written_off_quantity=amount(p.written_off_quantity),
        written_off_standard_quantity=amount(p.written_off_standard_quantity), remaining_quantity=amount(left),
        remaining_standard_quantity=amount(left_standard), done=p.written_off_quantity == p.quantity,
        final_use_location=place(p.final_use_code))


def certificate(view: CertificateView, *, with_code: bool = True) -> certificates_pb.Certificate:
    c, a = view.certificate, view.application
    return certificates_pb.Certificate(
        id=c.id, number=c.number, version=c.version, application_id=a.id, application_number=a.number,
        organization_id=c.organization_id, applicant_name=a.applicant_name,
        exemption_clause_label=EXEMPTION_CLAUSES.get(a.exemption_clause, ""),
        trade_mode_label=TRADE_MODES.get(a.trade_mode, ""), final_use_location=place(a.final_use_code),
        bureau=bureau(view.bureau), valid_from=day(c.valid_from), valid_until=day(c.valid_until),
        issue_time=wire.timestamp(c.issued_at), check_code=view.check_code if with_code else "",
        products=[certificate_product(p) for p in view.products], write_off_begun=c.write_off_begun,
        modification_status=view.modification_status, pdf=attachment_message(view.pdf) if view.pdf else None)


CHECK_MESSAGES = {"VALID": "证明真实有效", "AMENDED": "该版本已被修改后的新版本取代", "EXPIRED": "证明已过有效期"}


def check(found: CheckView) -> certificates_pb.CertificateCheck:
    view = found.view
    c = view.certificate
    return certificates_pb.CertificateCheck(
        number=c.number, status=wire.enum_value(certificates_pb.CertificateCheck.Status, found.status),
        message=f"{c.number}：{CHECK_MESSAGES[found.status]}", version=found.version,
        applicant_name=view.application.applicant_name, bureau_name=view.bureau.name,
        valid_from=day(c.valid_from), valid_until=day(c.valid_until),
        products=[certificates_pb.CertificateProduct(name=p.name, hs_code=p.hs_code, model=p.model,
                                                     quantity=amount(p.quantity), quantity_unit=p.quantity_unit)
                  for p in view.products])


def modification(view: ModificationView) -> certificates_pb.Modification:
    m = view.modification
    return certificates_pb.Modification(
        certificate_id=m.certificate_id, status=wire.enum_value(certificates_pb.Modification.Status, m.status),
        note=m.note, reason=m.reason, valid_from=day(m.valid_from), valid_until=day(m.valid_until),
        products=[certificates_pb.ModifiedProduct(**p) for p in view.products], send_back_reason=m.send_back_reason,
        version=m.version, open_time=wire.timestamp(m.opened_at), submit_time=wire.timestamp(m.submitted_at),
        decide_time=wire.timestamp(m.decided_at))


def _item(product: CertificateProduct, quantity: Decimal | None, standard: Decimal | None) -> writeoffs_pb.WriteOffItem:
    return writeoffs_pb.WriteOffItem(certificate_product_id=product.id, product_name=product.name,
                                     quantity=amount(quantity), standard_quantity=amount(standard))


def pre_write_off(view: PreWriteOffView) -> writeoffs_pb.PreWriteOff:
    p = view.pre_write_off
    confirmed = [_item(product, line.confirmed_quantity, line.confirmed_standard_quantity)
                 for product, line in view.items if line.confirmed_quantity is not None]
    return writeoffs_pb.PreWriteOff(
        id=p.id, certificate_id=p.certificate_id, certificate_number=view.certificate_number,
        port=port(view.port, view.port_bureau),
        status=wire.enum_value(writeoffs_pb.PreWriteOff.Status, p.status),
        items=[_item(product, line.quantity, line.standard_quantity) for product, line in view.items],
        confirmed_items=confirmed, submit_time=wire.timestamp(p.submitted_at),
        confirm_time=wire.timestamp(p.confirmed_at), confirmed_by=p.confirmed_by)


def write_off(view: WriteOffView) -> writeoffs_pb.WriteOff:
    w = view.write_off
    return writeoffs_pb.WriteOff(
        id=w.id, certificate_id=w.certificate_id, pre_write_off_id=w.pre_write_off_id or "", port_code=w.port_code,
        port_name=view.port.name if view.port else "", agency=w.agency, officer=w.officer,
        items=[_item(product, line.quantity, line.standard_quantity) for product, line in view.items],
        time=wire.timestamp(w.created_at))


def use_record(view: UseRecordView) -> use_records_pb.UseRecord:
    r = view.record
    return use_records_pb.UseRecord(
        id=r.id, certificate_id=r.certificate_id, certificate_number=view.certificate_number,
        kind=wire.enum_value(use_records_pb.UseKind, r.kind),
        status=wire.enum_value(use_records_pb.UseRecord.Status, r.status),
        certificate_product_id=r.certificate_product_id,
        product_name=view.product.name, quantity=str(r.quantity), quantity_unit=view.product.quantity_unit,
        remaining_quantity=str(view.remaining), user_unit_name=r.user_unit_name, address=r.address,
        contact_name=r.contact_name, contact_phone=r.contact_phone, review_opinion=r.review_opinion,
        attachments=[attachment_message(a) for a in view.attachments], create_time=wire.timestamp(r.created_at),
        submit_time=wire.timestamp(r.submitted_at), review_time=wire.timestamp(r.reviewed_at))


def todo(item: Todo) -> todo_pb.Todo:
    return todo_pb.Todo(post=_post(item.post), kind=item.kind, label=item.label, count=item.count, path=item.path)
