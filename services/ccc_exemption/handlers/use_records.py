"""Use records (产品使用记录, manual §2.9): user units, return shipments and destructions of a certificate's
products; saved (editable) or submitted to the issuing bureau's FOLLOW_UP post, which approves or rejects."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.ccc_exemption import events
from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.reference import (
    FOLLOW_UP,
    USE_KINDS,
    USE_RECORD_ATTACHMENTS,
    USER_UNIT,
)
from services.ccc_exemption.domain.rules import check_phone, check_reason, check_text, clean
from services.ccc_exemption.domain.states import (
    APPROVED,
    REJECTED_RECORD,
    SAVED,
    SUBMITTED,
    USE_RECORD,
)
from services.ccc_exemption.handlers.access import Viewer, load_certificate, require_post, require_viewer
from services.ccc_exemption.handlers.issue import place_text
from services.ccc_exemption.models import Application, Bureau, Certificate, CertificateProduct, UseRecord
from services.chassis.db import utcnow
from services.chassis.documents.attachments import AttachmentRules
from services.chassis.documents.store import StoredAttachment
from services.chassis.errors import FailedPrecondition, NotFound, PermissionDenied, Violations
from services.chassis.paging import Page, paginate

RECORD_TYPE = "use_record"


@dataclass(frozen=True)
class UseRecordInput:
    kind: str
    certificate_product_id: str
    quantity: str
    user_unit_name: str
    address: str
    contact_name: str
    contact_phone: str


@dataclass(frozen=True)
class UseRecordView:
    record: UseRecord
    certificate_number: str
    product: CertificateProduct
    remaining: int
    attachments: list[StoredAttachment]


def used(session: Session, product_id: str, *, besides: str | None = None) -> int:
    """What use records (not rejected) already account for of a product."""
    query = select(func.coalesce(func.sum(UseRecord.quantity), 0)).where(
        UseRecord.certificate_product_id == product_id, UseRecord.status != REJECTED_RECORD)
    if besides:
        query = query.where(UseRecord.id != besides)
    return int(session.scalar(query) or 0)


def _whole(product: CertificateProduct) -> int:
    return int(product.quantity)


def _view(context: CccContext, session: Session, record: UseRecord) -> UseRecordView:
    product = session.get(CertificateProduct, record.certificate_product_id)
    certificate = session.get(Certificate, record.certificate_id)
    return UseRecordView(record, certificate.number, product, _whole(product) - used(session, product.id),
                         context.providers.store.list(session, RECORD_TYPE, record.id))


def _check(session: Session, certificate: Certificate, data: UseRecordInput, besides: str | None) -> dict:
    violations = Violations()
    if data.kind not in USE_KINDS:
        violations.add("record.kind", "请选择记录类型：使用单位、退运记录或销毁记录")
    product = session.get(CertificateProduct, clean(data.certificate_product_id))
    if product is None or product.certificate_id != certificate.id:
        violations.add("record.certificateProductId", "请选择该证明中的产品")
        violations.raise_if_any("使用记录有误")
    quantity_text = clean(data.quantity)
    left = _whole(product) - used(session, product.id, besides=besides)
    quantity = int(quantity_text) if quantity_text.isdigit() and len(quantity_text) <= 9 else 0
    if quantity <= 0:
        violations.add("record.quantity", "本次数量须为正整数")
    elif quantity > left:
        violations.add("record.quantity", f"本次数量不能超过剩余数量（{left}）")
    application = session.get(Application, certificate.application_id)
    values = {"certificate_product_id": product.id, "kind": data.kind, "quantity": quantity}
    is_user_unit = data.kind == USER_UNIT
    # The user unit, its contact and phone default to the application's; the address to the product's
    # final-use location (使用单位地址默认值).
    values["user_unit_name"] = check_text(violations, "record.userUnitName",
                                          data.user_unit_name or (application.applicant_name if is_user_unit else ""),
                                          "使用单位名称", 100, required=is_user_unit)
    values["address"] = check_text(violations, "record.address",
                                   data.address or (place_text(product.final_use_code) if is_user_unit else ""),
                                   "使用单位地址", 200, required=is_user_unit)
    values["contact_name"] = check_text(violations, "record.contactName",
                                        data.contact_name or application.contact_name, "联系人", 30)
    values["contact_phone"] = check_phone(violations, "record.contactPhone",
                                          data.contact_phone or application.contact_phone)
    violations.raise_if_any("使用记录有误")
    return values


def _enterprise_certificate(session: Session, viewer: Viewer, certificate_id: str) -> Certificate:
    certificate = load_certificate(session, viewer, certificate_id, field="certificateId", lock=True)
    if viewer.staff is not None:
        raise PermissionDenied("产品使用记录由申请企业填写", reason="ENTERPRISE_ONLY")
    return certificate


def _submit(session: Session, uow, certificate: Certificate, record: UseRecord) -> None:
    USE_RECORD.move(record, SUBMITTED)
    record.submitted_at = utcnow()
    application = session.get(Application, certificate.application_id)
    uow.publish(events.to_bureau("ccc_exemption.use_record.submitted", record.bureau_code, {
        "certificateNumber": certificate.number, "applicantName": application.applicant_name,
        "kind": USE_KINDS[record.kind]}))


def create_use_record(context: CccContext, certificate_id: str, data: UseRecordInput, submit: bool) -> UseRecordView:
    viewer = require_viewer()
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = _enterprise_certificate(session, viewer, certificate_id)
        values = _check(session, certificate, data, None)
        record = UseRecord(certificate_id=certificate.id, bureau_code=certificate.bureau_code, status=SAVED,
                           created_by=viewer.caller.account_id or "", created_at=utcnow(), **values)
        session.add(record)
        session.flush()
        if submit:
            _submit(session, uow, certificate, record)
        uow.commit()
        return _view(context, session, record)


def _record(session: Session, certificate: Certificate, record_id: str, *, lock: bool = False,
            staff: bool = False) -> UseRecord:
    """The certificate's record; for staff only once submitted: until then it is the enterprise's draft."""
    record = session.get(UseRecord, record_id, with_for_update=lock) if record_id else None
    if record is None or record.certificate_id != certificate.id or not _visible(record, staff=staff):
        raise NotFound("使用记录不存在", reason="USE_RECORD_NOT_FOUND", metadata={"field": "id"})
    return record


def _visible(record: UseRecord, *, staff: bool) -> bool:
    return not staff or record.status != SAVED


def _in(record: UseRecord) -> str:
    return f"状态为“{USE_RECORD.label(record.status)}”"


def _saved(record: UseRecord) -> None:
    if record.status != SAVED:
        raise FailedPrecondition(f"该使用记录{_in(record)}，只有未提交的使用记录可以修改或提交",
                                 reason="USE_RECORD_NOT_EDITABLE", metadata={"status": record.status})


def update_use_record(context: CccContext, certificate_id: str, record_id: str, data: UseRecordInput,
                      submit: bool) -> UseRecordView:
    viewer = require_viewer()
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = _enterprise_certificate(session, viewer, certificate_id)
        record = _record(session, certificate, record_id, lock=True)
        _saved(record)
        for name, value in _check(session, certificate, data, record.id).items():
            setattr(record, name, value)
        if submit:
            _submit(session, uow, certificate, record)
        uow.commit()
        return _view(context, session, record)


def submit_use_record(context: CccContext, certificate_id: str, record_id: str) -> UseRecordView:
    viewer = require_viewer()
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = _enterprise_certificate(session, viewer, certificate_id)
        record = _record(session, certificate, record_id, lock=True)
        _saved(record)
        _submit(session, uow, certificate, record)
        uow.commit()
        return _view(context, session, record)


def review_use_record(context: CccContext, certificate_id: str, record_id: str, approve: bool,
                      opinion: str) -> UseRecordView:
    """The issuing bureau's FOLLOW_UP post approves or (with an opinion) rejects a submitted record."""
    staff = require_post(FOLLOW_UP)
    with context.unit_of_work() as uow:
        session = uow.session
        certificate = load_certificate(session, Viewer(staff.caller, staff), certificate_id, field="certificateId")
        record = _record(session, certificate, record_id, lock=True, staff=True)
        if staff.code != record.bureau_code:
            raise PermissionDenied("仅限发证检验检疫局的后续监管岗审核", reason="BUREAU_ONLY")
        # Checked once the record is known to be the caller's to review: who may not see it learns nothing more.
        violations = Violations()
        opinion = check_reason(violations, "opinion", opinion, "审核意见") if not approve \
            else check_text(violations, "opinion", opinion, "审核意见", 500, multiline=True)
        violations.raise_if_any("审核意见有误")
        USE_RECORD.move(record, APPROVED if approve else REJECTED_RECORD, f"该使用记录{_in(record)}，不在待审核状态")
        record.review_opinion, record.reviewed_at, record.reviewed_by = opinion, utcnow(), staff.name
        bureau = session.get(Bureau, record.bureau_code)
        params = {"certificateNumber": certificate.number, "bureauName": bureau.name, "kind": USE_KINDS[record.kind]}
        if approve:
            uow.publish(events.to_enterprise("ccc_exemption.use_record.approved", certificate.organization_id, params))
        else:
            uow.publish(events.to_enterprise("ccc_exemption.use_record.rejected", certificate.organization_id,
                                             params | {"opinion": opinion}))
        uow.commit()
        return _view(context, session, record)


def get_use_record(context: CccContext, certificate_id: str, record_id: str) -> UseRecordView:
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        certificate = load_certificate(uow.session, viewer, certificate_id, field="certificateId")
        return _view(context, uow.session, _record(uow.session, certificate, record_id, staff=viewer.staff is not None))


def list_use_records(context: CccContext, certificate_id: str, kind: str, page_size: int,
                     page_token: str) -> Page[UseRecordView]:
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        certificate = load_certificate(uow.session, viewer, certificate_id, field="certificateId")
        query = select(UseRecord).where(UseRecord.certificate_id == certificate.id)
        if viewer.staff is not None:
            query = query.where(UseRecord.status != SAVED)
        if kind:
            query = query.where(UseRecord.kind == kind)
        page = paginate(uow.session, query.order_by(UseRecord.created_at, UseRecord.id), page_size, page_token)
        return Page([_view(context, uow.session, r) for r in page.items], page.next_page_token, page.total_size)


def list_bureau_use_records(context: CccContext, kind: str, status: str, page_size: int,
                            page_token: str) -> Page[UseRecordView]:
    staff = require_post(FOLLOW_UP)
    query = select(UseRecord).where(UseRecord.bureau_code == staff.code, UseRecord.status != SAVED)
    if kind:
        query = query.where(UseRecord.kind == kind)
    if status:
        query = query.where(UseRecord.status == status)
    with context.unit_of_work(read_only=True) as uow:
        page = paginate(uow.session, query.order_by(UseRecord.submitted_at, UseRecord.id), page_size, page_token)
        return Page([_view(context, uow.session, r) for r in page.items], page.next_page_token, page.total_size)


def use_record_access(session: Session, record_id: str, *, change: bool) -> None:
    """Seen with the certificate; changed by the enterprise while the record is saved, not yet submitted."""
    viewer = require_viewer()
    record = session.get(UseRecord, record_id) if record_id else None
    if record is None or not _visible(record, staff=viewer.staff is not None):
        raise NotFound("使用记录不存在", reason="USE_RECORD_NOT_FOUND", metadata={"field": "useRecordId"})
    load_certificate(session, viewer, record.certificate_id, field="useRecordId")
    if change:
        if viewer.staff is not None:
            raise PermissionDenied("产品使用记录由申请企业填写", reason="ENTERPRISE_ONLY")
        _saved(record)


USE_RECORD_RULES = AttachmentRules(RECORD_TYPE, USE_RECORD_ATTACHMENTS, use_record_access)
