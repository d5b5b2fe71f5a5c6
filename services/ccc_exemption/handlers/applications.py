"""Applications (manual §2.1–2.5): open a draft, edit its basic information, list, view, delete, print."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.ccc_exemption.config import CccContext
from services.ccc_exemption.domain.reference import (
    ACCEPTANCE,
    CIQ,
    DRAFT_DAYS,
    EXEMPTION_CLAUSES,
    POSTS,
    TRADE_MODES,
)
from services.ccc_exemption.domain.rules import check_email, check_phone, check_text, clean
from services.ccc_exemption.domain.states import (
    ACCEPTING,
    APPLICATION,
    APPLICATION_LABELS,
    DRAFT,
    EDITABLE,
    PAPER_COMPARISON,
    RETURNED,
)
from services.ccc_exemption.handlers.access import (
    Viewer,
    load_application,
    require_viewer,
    visible_applications,
)
from services.ccc_exemption.handlers.records import china_today, next_serial, record_step
from services.ccc_exemption.handlers.reference import bureaus_by_code
from services.ccc_exemption.models import Application, ApplicationStep, Bureau, Product
from services.chassis.db import contains, utcnow
from services.chassis.divisions import divisions
from services.chassis.errors import FailedPrecondition, InvalidArgument, PermissionDenied, Violations
from services.chassis.paging import Page, paginate

RECORD_TYPE = "application"
# The basic information's fields: request name -> (column, label, maximum length).
TEXT_FIELDS: Mapping[str, tuple[str, str, int]] = {
    "contract_number": ("contractNumber", "合同号", 50),
    "invoice_number": ("invoiceNumber", "发票号", 50),
    "bill_of_lading_number": ("billOfLadingNumber", "提/运单号", 50),
    "final_use_address": ("finalUseAddress", "最终使用地详细地址", 100),
    "contact_name": ("contactName", "联系人", 30),
}
# Not editable in a correction (补正, manual §2.4).
LOCKED_IN_CORRECTION = {"final_use_location_code": "finalUseLocationCode", "exemption_clause": "exemptionClause"}


@dataclass(frozen=True)
class ApplicationView:
    application: Application
    bureau: Bureau | None
    product_count: int
    editable: bool
    history: list[ApplicationStep] = field(default_factory=list)

    @property
    def draft_expires_at(self):
        if self.application.status != DRAFT:
            return None
        return self.application.created_at + timedelta(days=DRAFT_DAYS)


def may_edit(viewer: Viewer, application: Application) -> bool:
    if application.status not in EDITABLE:
        return False
    staff = viewer.staff
    if application.entered_by_bureau:
        return staff is not None and staff.kind == CIQ and staff.code == application.entered_by_bureau \
            and staff.holds(ACCEPTANCE)
    return staff is None


def require_editable(viewer: Viewer, application: Application) -> None:
    """The caller may change the application now: its own draft or returned one, or the bureau's 补录."""
    if application.entered_by_bureau and viewer.staff is None:
        raise FailedPrecondition("该申请由检验检疫局代为录入（补录），修改和提交由检验检疫局完成，企业只能查看",
                                 reason="ENTERED_BY_BUREAU")
    if not may_edit(viewer, application):
        if application.status not in EDITABLE:
            raise FailedPrecondition(f"申请单状态为“{APPLICATION.label(application.status)}”，只能查看不能修改",
                                     reason="APPLICATION_NOT_EDITABLE", metadata={"status": application.status})
        raise PermissionDenied("只有申请企业可以修改申请单", reason="ENTERPRISE_ONLY")


def view_of(session: Session, viewer: Viewer, application: Application, *, history: bool = False) -> ApplicationView:
    count = session.scalar(select(func.count()).select_from(Product)
                           .where(Product.application_id == application.id)) or 0
    bureau = session.get(Bureau, application.bureau_code) if application.bureau_code else None
    steps = list(session.scalars(select(ApplicationStep).where(ApplicationStep.application_id == application.id)
                                 .order_by(ApplicationStep.id))) if history else []
    return ApplicationView(application, bureau, count, may_edit(viewer, application), steps)


def _choice(violations: Violations, field_name: str, value: str, choices: Mapping[str, str], label: str) -> str:
    value = clean(value)
    if value not in choices:
        violations.add(field_name, f"请选择{label}" if not value else f"{label}无效，可选：{'、'.join(choices)}")
    return value


def create_application(context: CccContext, declaration_accepted: bool, exemption_clause: str, trade_mode: str,
                       organization_id: str) -> ApplicationView:
    """A draft after the declaration: clause and trade mode chosen, the applicant from the organisation."""
    viewer = require_viewer()
    staff = viewer.staff
    if staff is not None and not (staff.kind == CIQ and staff.holds(ACCEPTANCE)):
        raise PermissionDenied("只有检验检疫局受理岗可以代企业录入（补录）申请", reason="POST_REQUIRED",
                               metadata={"post": ACCEPTANCE})
    violations = Violations()
    if not declaration_accepted:
        violations.add("declarationAccepted", "请先阅读并同意申请人声明")
    clause = _choice(violations, "exemptionClause", exemption_clause, EXEMPTION_CLAUSES, "免办条款")
    mode = _choice(violations, "tradeMode", trade_mode, TRADE_MODES, "贸易方式")
    owner = clean(organization_id) if staff is not None else viewer.caller.organization_id or ""
    if staff is not None and not owner:
        violations.add("organizationId", "补录申请请指定申请企业")
    violations.raise_if_any("申请信息有误")
    # Asked before the unit of work opens: no transaction waits on another service.
    found = context.identity.organizations([owner])
    if not found:
        raise InvalidArgument.for_field("organizationId", "申请企业不存在")
    organization = found[0]
    now = utcnow()
    with context.unit_of_work() as uow:
        session = uow.session
        day = china_today(now)
        serial = next_serial(session, f"application:{day.isoformat()}")
        application = Application(
            number=f"SQ{day:%Y%m%d}{serial:06d}", organization_id=organization.id, applicant_name=organization.name,
            applicant_uscc=organization.uscc, status=DRAFT, exemption_clause=clause, trade_mode=mode,
            entered_by_bureau=staff.code if staff is not None else None, created_by=viewer.caller.account_id or "",
            created_at=now, updated_at=now)
        session.add(application)
        session.flush()
        record_step(session, application, "CREATED", actor_id=viewer.caller.account_id,
                    actor_name=staff.name if staff else organization.name, from_state="")
        uow.commit()
        return view_of(session, viewer, application)


def check_location(violations: Violations, field_name: str, code: str, *, required: bool = False) -> str:
    code = clean(code)
    if not code:
        if required:
            violations.add(field_name, "请选择产品最终使用地（县级行政区划）")
    elif not divisions().is_lowest_level(code):
        violations.add(field_name, "最终使用地须为 GB/T 2260 县级行政区划代码（或不设区县的地级市）")
    return code


def update_application(context: CccContext, application_id: str, changes: Mapping[str, str | None]) -> ApplicationView:
    """Save the basic information (and clause, trade mode) given; the fields not given stay."""
    viewer = require_viewer()
    given = {name: value for name, value in changes.items() if value is not None}
    with context.unit_of_work() as uow:
        session = uow.session
        application = load_application(session, viewer, application_id, lock=True)
        require_editable(viewer, application)
        violations = Violations()
        if application.status == RETURNED:
            for name, json_name in LOCKED_IN_CORRECTION.items():
                current = application.final_use_code if name == "final_use_location_code" \
                    else application.exemption_clause
                if name in given and clean(given[name]) != current:
                    violations.add(json_name, "返回修改的申请，产品最终使用地和免办条款不允许修改")
        values: dict[str, str] = {}
        for name, (json_name, label, maximum) in TEXT_FIELDS.items():
            if name in given:
                values[name] = check_text(violations, json_name, given[name] or "", label, maximum)
        if "exemption_clause" in given:
            values["exemption_clause"] = _choice(violations, "exemptionClause", given["exemption_clause"] or "",
                                                 EXEMPTION_CLAUSES, "免办条款")
        if "trade_mode" in given:
            values["trade_mode"] = _choice(violations, "tradeMode", given["trade_mode"] or "", TRADE_MODES, "贸易方式")
        if "final_use_location_code" in given:
            values["final_use_code"] = check_location(violations, "finalUseLocationCode",
                                                      given["final_use_location_code"] or "")
        if "contact_phone" in given:
            values["contact_phone"] = check_phone(violations, "contactPhone", given["contact_phone"] or "")
        if "contact_email" in given:
            values["contact_email"] = check_email(violations, "contactEmail", given["contact_email"] or "")
        violations.raise_if_any("申请基本信息有误")
        for name, value in values.items():
            setattr(application, name, value)
        application.updated_at = utcnow()
        uow.commit()
        return view_of(session, viewer, application)


def get_application(context: CccContext, application_id: str) -> ApplicationView:
    viewer = require_viewer()
    with context.unit_of_work(read_only=True) as uow:
        application = load_application(uow.session, viewer, application_id)
        return view_of(uow.session, viewer, application, history=True)


def _status_matches(text: str) -> list[str]:
    """A status by its name, or every status whose label contains the text (未通过 finds three)."""
    text = clean(text)
    if text.upper() in APPLICATION_LABELS:
        return [text.upper()]
    return [status for status, label in APPLICATION_LABELS.items() if text in label]


def list_applications(context: CccContext, filters: Mapping[str, str], post: str, page_size: int,
                      page_token: str) -> Page[ApplicationView]:
    """The caller's applications by application no., contract no., B/L no., certificate no., applicant and
    status, each a fuzzy match; staff may ask for what waits at one post of their bureau."""
    viewer = require_viewer()
    violations = Violations()
    texts = {name: check_text(violations, field_name, filters.get(name, ""), label, 50)
             for name, field_name, label in (("number", "number", "申请单号"),
                                             ("contract_number", "contractNumber", "合同号"),
                                             ("bill_of_lading_number", "billOfLadingNumber", "提/运单号"),
                                             ("certificate_number", "certificateNumber", "证明号"),
                                             ("applicant", "applicant", "申请单位"),
                                             ("status", "status", "申请单状态"))}
    if post and (viewer.staff is None or viewer.staff.kind != CIQ or post not in POSTS):
        violations.add("post", "只有检验检疫局工作人员可以按岗位查询")
    violations.raise_if_any("查询条件有误")
    query = visible_applications(viewer, select(Application))
    columns = {"number": Application.number, "contract_number": Application.contract_number,
               "bill_of_lading_number": Application.bill_of_lading_number,
               "certificate_number": Application.certificate_number, "applicant": Application.applicant_name}
    for name, column in columns.items():
        if texts[name]:
            query = query.where(contains(column, texts[name]))
    if texts["status"]:
        query = query.where(Application.status.in_(_status_matches(texts["status"])))
    if post:
        query = query.where(Application.post == post, Application.status.in_((ACCEPTING, PAPER_COMPARISON)))
    query = query.order_by(Application.created_at.desc(), Application.id)
    with context.unit_of_work(read_only=True) as uow:
        session = uow.session
        page = paginate(session, query, page_size, page_token)
        ids = [a.id for a in page.items]
        counts = dict(session.execute(select(Product.application_id, func.count()).where(
            Product.application_id.in_(ids)).group_by(Product.application_id)).all()) if ids else {}
        bureaus = bureaus_by_code(session, [a.bureau_code for a in page.items])
        views = [ApplicationView(a, bureaus.get(a.bureau_code or ""), counts.get(a.id, 0), may_edit(viewer, a))
                 for a in page.items]
        return Page(views, page.next_page_token, page.total_size)


def delete_application(context: CccContext, application_id: str) -> None:
    """Only a draft (未提交) is deleted, with its products and attachments."""
    viewer = require_viewer()
    with context.unit_of_work() as uow:
        session = uow.session
        application = load_application(session, viewer, application_id, lock=True)
        require_editable(viewer, application)
        if application.status != DRAFT:
            raise FailedPrecondition("只有未提交的申请可以删除", reason="APPLICATION_NOT_DRAFT")
        remove_drafts(session, context, [application.id])
        uow.commit()


def remove_drafts(session: Session, context: CccContext, ids: list[str]) -> int:
    """Drafts with everything they own: products, attachments, steps."""
    for application_id in ids:
        context.providers.store.remove_record(session, RECORD_TYPE, application_id)
    session.execute(delete(Product).where(Product.application_id.in_(ids)))
    session.execute(delete(ApplicationStep).where(ApplicationStep.application_id.in_(ids)))
    return session.execute(delete(Application).where(Application.id.in_(ids), Application.status == DRAFT)).rowcount

