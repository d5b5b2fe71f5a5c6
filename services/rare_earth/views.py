"""What the use cases answer, as protos; and the few request fields that need more than reading.

Quantities, quotas and ratios go out as decimal strings at the scale they are stored with
(``"600.500"``); timestamps, enums and pages through the chassis wire conversions.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import grpc
from google.api import httpbody_pb2

from protos.rare_earth.v1 import affiliation_pb2 as affiliation_pb
from protos.rare_earth.v1 import cases_pb2 as cases_pb
from protos.rare_earth.v1 import dictionary_pb2 as dictionary_pb
from protos.rare_earth.v1 import ledgers_pb2 as ledgers_pb
from protos.rare_earth.v1 import profile_pb2 as profile_pb
from protos.rare_earth.v1 import quota_pb2 as quota_pb
from protos.rare_earth.v1 import registration_pb2 as registration_pb
from protos.rare_earth.v1 import resources_pb2 as resources_pb
from protos.rare_earth.v1 import trace_pb2 as trace_pb
from services.chassis import wire
from services.chassis.divisions import divisions
from services.chassis.http_metadata import set_download_filename
from services.rare_earth.handlers.affiliation import AffiliationView
from services.rare_earth.handlers.cases import CaseView
from services.rare_earth.handlers.confirmation import ConfirmationView, Statistics
from services.rare_earth.handlers.dictionary import Download
from services.rare_earth.handlers.ledgers import ImportView
from services.rare_earth.handlers.profile import EnterpriseView, ProfileView
from services.rare_earth.handlers.quota import AllocationView, PlanView, RecordView
from services.rare_earth.handlers.trace import TraceView
from services.rare_earth.handlers.windows import OverrideView, WindowView
from services.rare_earth.models import CaseStep, CustomsProduct, Enterprise, Product
from services.rare_earth.xlsx import XLSX_CONTENT_TYPE

ENTERPRISE_COLUMNS = ("enterprise_name", "province_code", "city_code", "address", "contact_name", "contact_phone",
                      "email")


# --- requests -> plain values ---------------------------------------------------------------


def enterprise_fields(request: Any, *, with_type: bool) -> dict[str, str]:
    """A registration's or a profile's fields, by their JSON names, stripped."""
    fields = {_json_name(column): getattr(request, column).strip() for column in ENTERPRISE_COLUMNS}
    if with_type:
        fields["enterpriseType"] = wire.enum_name(resources_pb.EnterpriseType, request.enterprise_type)
    return fields


def _json_name(column: str) -> str:
    head, *rest = column.split("_")
    return head + "".join(part.title() for part in rest)


def decimal(text: str, field: str, label: str, *, required: bool = True) -> Decimal | None:
    """A decimal string of a request; one that is not a number is a 400 naming ``field``.

    Only its form is checked here; the rules of its value (range, places) are the use case's.
    """
    return wire.decimal_value(text, field, required=required, label=label)


# --- enterprises ------------------------------------------------------------------------------


def _region(province_code: str, city_code: str) -> dict[str, str]:
    places = divisions()
    return {"province_code": province_code, "province_name": places.name_of(province_code),
            "city_code": city_code, "city_name": places.name_of(city_code)}


def registration(e: Enterprise) -> registration_pb.Registration:
    return registration_pb.Registration(
        id=e.id or "", organization_id=e.organization_id or "", uscc=e.uscc or "",
        enterprise_name=e.enterprise_name or "",
        enterprise_type=wire.enum_value(resources_pb.EnterpriseType, e.enterprise_type),
        **_region(e.province_code or "", e.city_code or ""), address=e.address or "",
        contact_name=e.contact_name or "", contact_phone=e.contact_phone or "", email=e.email or "",
        status=wire.enum_value(registration_pb.Registration.Status, e.status),
        rejection_reason=e.rejection_reason or "", submitted_at=wire.timestamp(e.submitted_at),
        reviewed_at=wire.timestamp(e.reviewed_at), create_time=wire.timestamp(e.created_at),
        update_time=wire.timestamp(e.updated_at))


def _profile_fields(fields: Mapping[str, str]) -> profile_pb.ProfileFields:
    return profile_pb.ProfileFields(
        enterprise_name=fields.get("enterpriseName", ""),
        **_region(fields.get("provinceCode", ""), fields.get("cityCode", "")), address=fields.get("address", ""),
        contact_name=fields.get("contactName", ""), contact_phone=fields.get("contactPhone", ""),
        email=fields.get("email", ""))


def profile_view(view: ProfileView) -> profile_pb.Profile:
    e = view.enterprise
    return profile_pb.Profile(
        enterprise_id=e.id, uscc=e.uscc, enterprise_type=wire.enum_value(resources_pb.EnterpriseType,
                                                                         e.enterprise_type),
        published=_profile_fields(view.published),
        draft=_profile_fields(view.draft) if view.draft is not None else None, has_draft=view.draft is not None,
        draft_saved_at=wire.timestamp(e.profile_draft_saved_at), published_at=wire.timestamp(e.profile_published_at))


def enterprise(view: EnterpriseView) -> profile_pb.Enterprise:
    e = view.enterprise
    message = profile_pb.Enterprise(
        id=e.id, enterprise_name=e.enterprise_name,
        enterprise_type=wire.enum_value(resources_pb.EnterpriseType, e.enterprise_type), uscc=e.uscc,
        **_region(e.province_code, e.city_code), approved_at=wire.timestamp(e.approved_at))
    if view.full:
        message.address, message.contact_name = e.address, e.contact_name
        message.contact_phone, message.email = e.contact_phone, e.email
    return message


def affiliation_view(view: AffiliationView) -> affiliation_pb.Affiliation:
    a = view.affiliation
    kinds = affiliation_pb.Affiliation
    return kinds(
        id=a.id, enterprise_id=a.enterprise_id, enterprise_name=view.enterprise_name,
        parent_type=wire.enum_value(kinds.ParentType, a.parent_type),
        parent_enterprise_id=a.parent_enterprise_id or "", parent_enterprise_name=view.parent_name,
        relation=wire.enum_value(kinds.Relation, a.relation), share_ratio=wire.decimal_text(a.share_ratio),
        parent_may_view_ledgers=a.parent_may_view_ledgers, status=wire.enum_value(kinds.Status, a.status),
        rejection_reason=a.rejection_reason or "", create_time=wire.timestamp(a.created_at),
        update_time=wire.timestamp(a.updated_at), reviewed_at=wire.timestamp(a.reviewed_at))


# --- quota ------------------------------------------------------------------------------------


def _plan_kind(kind: str) -> int:
    return wire.enum_value(quota_pb.QuotaPlan.Kind, kind)


def _total(figures: list[Decimal]) -> str:
    return wire.decimal_text(sum(figures, Decimal("0.000")))


def allocation(view: AllocationView) -> quota_pb.QuotaAllocation:
    a = view.allocation
    return quota_pb.QuotaAllocation(
        id=a.id, plan_id=a.plan_id, year=a.year, batch=a.batch, kind=_plan_kind(a.kind),
        enterprise_id=a.enterprise_id, enterprise_name=view.enterprise_name,
        allocating_enterprise_id=a.allocating_enterprise_id or "", allocating_unit=view.allocating_unit,
        quota=wire.decimal_text(a.quota), allocated_quota=wire.decimal_text(a.allocated_quota),
        remaining_quota=wire.decimal_text(a.quota - a.allocated_quota),
        confirmation_status=wire.enum_value(quota_pb.QuotaAllocation.ConfirmationStatus, a.confirmation_status),
        confirmed_quota=wire.decimal_text(a.confirmed_quota), create_time=wire.timestamp(a.created_at),
        update_time=wire.timestamp(a.updated_at))


def plan(view: PlanView) -> quota_pb.QuotaPlan:
    p = view.plan
    return quota_pb.QuotaPlan(
        id=p.id, year=p.year, batch=p.batch, kind=_plan_kind(p.kind),
        total_quota=_total([a.allocation.quota for a in view.allocations]),
        allocations=[allocation(a) for a in view.allocations], create_time=wire.timestamp(p.created_at))


def allocation_record(view: RecordView) -> quota_pb.AllocationRecord:
    r = view.record
    return quota_pb.AllocationRecord(
        id=r.id, plan_id=r.plan_id, allocation_id=r.allocation_id,
        allocating_enterprise_id=r.allocating_enterprise_id or "", allocating_unit=view.allocating_unit,
        receiving_enterprise_id=r.receiving_enterprise_id, receiving_unit=view.receiving_unit,
        quota=wire.decimal_text(r.quota), allocate_time=wire.timestamp(r.allocated_at))


def plan_confirmation(view: ConfirmationView) -> quota_pb.PlanConfirmation:
    c = view.confirmation
    lines = [quota_pb.ConfirmationLine(
        allocation_id=line.allocation_id, kind=_plan_kind(line.kind),
        allocated_quota=wire.decimal_text(line.allocated_quota),
        confirmed_quota=wire.decimal_text(line.confirmed_quota), mismatch=line.mismatch) for line in view.lines]
    return quota_pb.PlanConfirmation(
        id=c.id, enterprise_id=c.enterprise_id, year=c.year, batch=c.batch, lines=lines,
        total_confirmed=_total([line.confirmed_quota for line in view.lines]),
        has_mismatch=any(line.mismatch for line in view.lines),
        create_time=wire.timestamp(c.created_at), update_time=wire.timestamp(c.updated_at))


def confirmation_statistics(stats: Statistics) -> quota_pb.PlanConfirmationStatistics:
    kinds = [quota_pb.KindStatistics(kind=_plan_kind(k.kind), allocated_quota=wire.decimal_text(k.allocated),
                                     confirmed_quota=wire.decimal_text(k.confirmed),
                                     confirmed_batches=k.confirmed_batches) for k in stats.kinds]
    return quota_pb.PlanConfirmationStatistics(
        enterprise_id=stats.enterprise_id, year=stats.year, kinds=kinds,
        total_allocated=_total([k.allocated for k in stats.kinds]),
        total_confirmed=_total([k.confirmed for k in stats.kinds]))


# --- dictionary -------------------------------------------------------------------------------


def product(p: Product) -> dictionary_pb.Product:
    return dictionary_pb.Product(id=p.id, category=p.category, name=p.name, code=p.code,
                                 update_time=wire.timestamp(p.updated_at))


def customs_product(c: CustomsProduct) -> dictionary_pb.CustomsProduct:
    return dictionary_pb.CustomsProduct(id=c.id, code=c.code, name=c.name, unit=c.unit,
                                        update_time=wire.timestamp(c.updated_at))


def download(context: grpc.ServicerContext, file: Download) -> httpbody_pb2.HttpBody:
    """An .xlsx answered as the HTTP body, under its file name."""
    set_download_filename(context, file.file_name)
    return httpbody_pb2.HttpBody(content_type=XLSX_CONTENT_TYPE, data=file.content)


# --- ledgers ----------------------------------------------------------------------------------


def _kg(value: Decimal | str | None) -> str:
    """Kilograms as stored (Decimal) or as kept in a preview (its text)."""
    # Most amounts of a row are empty (only INVENTORY has the four balances): answered before any conversion.
    if value is None or value == "":
        return ""
    return wire.decimal_text(value if isinstance(value, Decimal) else Decimal(value))


def _ledger_kind(kind: str | None) -> int:
    return wire.enum_value(resources_pb.LedgerKind, kind)


def ledger_row(r: Mapping[str, Any]) -> resources_pb.LedgerRow:
    """A stored row (``entry_date``) or a preview record (``date``) as the proto row."""
    day = r.get("entry_date", r.get("date"))
    return resources_pb.LedgerRow(
        row_number=r.get("row_number", 0), date=day.isoformat() if hasattr(day, "isoformat") else (day or ""),
        counterparty_name=r.get("counterparty_name", ""), counterparty_uscc=r.get("counterparty_uscc", ""),
        product_category=r.get("product_category", ""), product_name=r.get("product_name", ""),
        quantity_kg=_kg(r.get("quantity")), traceability_code=r.get("traceability_code", ""),
        batch_no=r.get("batch_no", ""),
        input_batch_nos=[b for b in (r.get("input_batch_nos") or "").split(";") if b],
        output_batch_no=r.get("output_batch_no", ""), export_product_code=r.get("export_product_code", ""),
        destination_country=r.get("destination_country", ""), opening_kg=_kg(r.get("opening")),
        in_kg=_kg(r.get("inflow")), out_kg=_kg(r.get("outflow")), closing_kg=_kg(r.get("closing")),
        kind=_ledger_kind(r.get("kind")), year=r.get("year", 0), month=r.get("month", 0),
        enterprise_id=r.get("enterprise_id", ""))


def ledger_import(view: ImportView) -> ledgers_pb.LedgerImport:
    r = view.record
    errors = [ledgers_pb.ImportError(row=e["row"], column=e["column"], column_name=e["columnName"],
                                     message=e["message"]) for e in view.errors]
    return ledgers_pb.LedgerImport(
        import_id=r.id, enterprise_id=r.enterprise_id, kind=_ledger_kind(r.kind), year=r.year, month=r.month,
        status=wire.enum_value(ledgers_pb.LedgerImport.Status, r.status), row_count=r.row_count, errors=errors,
        error_count=r.error_count, preview=[ledger_row(p) for p in view.preview],
        create_time=wire.timestamp(r.created_at), confirm_time=wire.timestamp(r.confirmed_at))


def reporting_window(view: WindowView) -> ledgers_pb.ReportingWindow:
    w = view.window
    return ledgers_pb.ReportingWindow(month=w.month, opens_on=w.opens_on.isoformat(),
                                      closes_on=w.closes_on.isoformat(), custom=w.custom, open=view.open,
                                      update_time=wire.timestamp(view.updated_at))


def ledger_override(view: OverrideView) -> ledgers_pb.LedgerOverride:
    o = view.override
    return ledgers_pb.LedgerOverride(
        id=o.id, enterprise_id=o.enterprise_id, enterprise_name=view.enterprise_name, kind=_ledger_kind(o.kind),
        year=o.year, month=o.month, reason=o.reason,
        status=wire.enum_value(ledgers_pb.LedgerOverride.Status, o.status), rejection_reason=o.rejection_reason or "",
        create_time=wire.timestamp(o.created_at), review_time=wire.timestamp(o.reviewed_at))


def trace_view(view: TraceView) -> trace_pb.Trace:
    return trace_pb.Trace(code=view.code, truncated=view.truncated, steps=[
        trace_pb.TraceStep(depth=s.depth, enterprise_id=s.row.get("enterprise_id", ""),
                           enterprise_name=s.enterprise_name, uscc=s.uscc, row=ledger_row(s.row), visible=s.visible)
        for s in view.steps])


# --- cases ------------------------------------------------------------------------------------


def _holder(holder_type: str) -> int:
    return wire.enum_value(cases_pb.CaseHolder.Type, holder_type)


def case(view: CaseView) -> cases_pb.SupervisionCase:
    c = view.case
    return cases_pb.SupervisionCase(
        id=c.id, number=c.number, kind=wire.enum_value(cases_pb.CaseKind, c.kind),
        status=wire.enum_value(cases_pb.SupervisionCase.Status, c.status), enterprise_id=c.enterprise_id or "",
        enterprise_name=c.enterprise_name, uscc=c.uscc, address=c.address, reporting_unit=c.reporting_unit,
        reporting_contact=c.reporting_contact, product_category=c.product_category, product_name=c.product_name,
        traceability_code=c.traceability_code, description=c.description, complaint_type=c.complaint_type,
        accepting_body=c.accepting_body, ledger_kind=_ledger_kind(c.ledger_kind), month=c.month,
        holder_type=_holder(c.holder_type), holder_name=c.holder_name, held_by_caller=view.held_by_caller,
        closing_opinion=c.closing_opinion, create_time=wire.timestamp(c.created_at),
        close_time=wire.timestamp(c.closed_at))


def case_flow(case_id: str, steps: list[CaseStep]) -> cases_pb.CaseFlow:
    return cases_pb.CaseFlow(case_id=case_id, steps=[
        cases_pb.CaseStep(sequence=s.sequence, action=s.action, actor_id=s.actor_id, actor_body=s.actor_body,
                          opinion=s.opinion, to_holder_type=_holder(s.to_holder_type),
                          to_holder_name=s.to_holder_name, time=wire.timestamp(s.created_at))
        for s in steps])
