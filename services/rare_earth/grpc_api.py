"""gRPC servicer: proto <-> use cases, nothing else."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from google.api import httpbody_pb2
from google.protobuf import empty_pb2, timestamp_pb2

from protos.rare_earth.v1 import rare_earth_pb2 as pb
from protos.rare_earth.v1 import rare_earth_pb2_grpc
from services.chassis.http_metadata import set_download_filename, set_http_status
from services.chassis.runtime import ServiceContext
from services.chassis.server import ServiceBinding
from services.rare_earth.directory import IdentityDirectory, OrganizationDirectory
from services.rare_earth.divisions import divisions
from services.rare_earth.handlers import (
    affiliation,
    cases,
    confirmation,
    dictionary,
    ledgers,
    profile,
    quota,
    registration,
    trace,
    windows,
)
from services.rare_earth.xlsx import XLSX_CONTENT_TYPE

UNSPECIFIED = ("ENTERPRISE_TYPE_UNSPECIFIED", "STATUS_UNSPECIFIED", "PARENT_TYPE_UNSPECIFIED",
               "RELATION_UNSPECIFIED", "KIND_UNSPECIFIED", "CONFIRMATION_STATUS_UNSPECIFIED",
               "LEDGER_KIND_UNSPECIFIED", "CASE_KIND_UNSPECIFIED", "TYPE_UNSPECIFIED", "ACTION_UNSPECIFIED")


def _name(enum, value: int) -> str:
    name = enum.Name(value)
    return "" if name in UNSPECIFIED else name


def _value(enum, name: str | None) -> int:
    return enum.Value(name) if name else 0


def _ts(moment: datetime | None) -> timestamp_pb2.Timestamp | None:
    if moment is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _num(value: Decimal | None) -> float:
    return float(value) if value is not None else 0.0


def _registration(e) -> pb.Registration:
    places = divisions()
    return pb.Registration(
        id=e.id or "", organization_id=e.organization_id or "", uscc=e.uscc or "",
        enterprise_name=e.enterprise_name or "", enterprise_type=_value(pb.EnterpriseType, e.enterprise_type),
        province_code=e.province_code or "", province_name=places.name_of(e.province_code or ""),
        city_code=e.city_code or "", city_name=places.name_of(e.city_code or ""), address=e.address or "",
        contact_name=e.contact_name or "", contact_phone=e.contact_phone or "", email=e.email or "",
        status=_value(pb.Registration.Status, e.status), rejection_reason=e.rejection_reason or "",
        submitted_at=_ts(e.submitted_at), reviewed_at=_ts(e.reviewed_at), create_time=_ts(e.created_at),
        update_time=_ts(e.updated_at))


def _profile_fields(fields: dict[str, str]) -> pb.ProfileFields:
    places = divisions()
    return pb.ProfileFields(
        enterprise_name=fields.get("enterpriseName", ""), province_code=fields.get("provinceCode", ""),
        province_name=places.name_of(fields.get("provinceCode", "")), city_code=fields.get("cityCode", ""),
        city_name=places.name_of(fields.get("cityCode", "")), address=fields.get("address", ""),
        contact_name=fields.get("contactName", ""), contact_phone=fields.get("contactPhone", ""),
        email=fields.get("email", ""))


def _profile(view: profile.ProfileView) -> pb.Profile:
    e = view.enterprise
    return pb.Profile(
        enterprise_id=e.id, uscc=e.uscc, enterprise_type=_value(pb.EnterpriseType, e.enterprise_type),
        published=_profile_fields(view.published),
        draft=_profile_fields(view.draft) if view.draft is not None else None, has_draft=view.draft is not None,
        draft_saved_at=_ts(e.profile_draft_saved_at), published_at=_ts(e.profile_published_at))


def _enterprise(view: profile.EnterpriseView) -> pb.Enterprise:
    e = view.enterprise
    places = divisions()
    message = pb.Enterprise(
        id=e.id, enterprise_name=e.enterprise_name, enterprise_type=_value(pb.EnterpriseType, e.enterprise_type),
        uscc=e.uscc, province_code=e.province_code, province_name=places.name_of(e.province_code),
        city_code=e.city_code, city_name=places.name_of(e.city_code), approved_at=_ts(e.approved_at))
    if view.full:
        message.address, message.contact_name = e.address, e.contact_name
        message.contact_phone, message.email = e.contact_phone, e.email
    return message


def _affiliation(view: affiliation.AffiliationView) -> pb.Affiliation:
    a = view.affiliation
    return pb.Affiliation(
        id=a.id, enterprise_id=a.enterprise_id, enterprise_name=view.enterprise_name,
        parent_type=_value(pb.Affiliation.ParentType, a.parent_type),
        parent_enterprise_id=a.parent_enterprise_id or "", parent_enterprise_name=view.parent_name,
        relation=_value(pb.Affiliation.Relation, a.relation), share_ratio=_num(a.share_ratio),
        parent_may_view_ledgers=a.parent_may_view_ledgers, status=_value(pb.Affiliation.Status, a.status),
        rejection_reason=a.rejection_reason or "", create_time=_ts(a.created_at), update_time=_ts(a.updated_at),
        reviewed_at=_ts(a.reviewed_at))


def _allocation(view: quota.AllocationView) -> pb.QuotaAllocation:
    a = view.allocation
    return pb.QuotaAllocation(
        id=a.id, plan_id=a.plan_id, year=a.year, batch=a.batch, kind=_value(pb.QuotaPlan.Kind, a.kind),
        enterprise_id=a.enterprise_id, enterprise_name=view.enterprise_name,
        allocating_enterprise_id=a.allocating_enterprise_id or "", allocating_unit=view.allocating_unit,
        quota=_num(a.quota), allocated_quota=_num(a.allocated_quota),
        remaining_quota=_num(a.quota - a.allocated_quota),
        confirmation_status=_value(pb.QuotaAllocation.ConfirmationStatus, a.confirmation_status),
        confirmed_quota=_num(a.confirmed_quota), create_time=_ts(a.created_at), update_time=_ts(a.updated_at))


def _plan(view: quota.PlanView) -> pb.QuotaPlan:
    p = view.plan
    return pb.QuotaPlan(
        id=p.id, year=p.year, batch=p.batch, kind=_value(pb.QuotaPlan.Kind, p.kind),
        total_quota=_num(sum((a.allocation.quota for a in view.allocations), Decimal(0))),
        allocations=[_allocation(a) for a in view.allocations], create_time=_ts(p.created_at))


def _record(view: quota.RecordView) -> pb.AllocationRecord:
    r = view.record
    return pb.AllocationRecord(
        id=r.id, plan_id=r.plan_id, allocation_id=r.allocation_id,
        allocating_enterprise_id=r.allocating_enterprise_id or "", allocating_unit=view.allocating_unit,
        receiving_enterprise_id=r.receiving_enterprise_id, receiving_unit=view.receiving_unit,
        quota=_num(r.quota), allocate_time=_ts(r.allocated_at))


def _confirmation(view: confirmation.ConfirmationView) -> pb.PlanConfirmation:
    c = view.confirmation
    return pb.PlanConfirmation(
        id=c.id, enterprise_id=c.enterprise_id, year=c.year, batch=c.batch,
        lines=[pb.ConfirmationLine(allocation_id=line.allocation_id, kind=_value(pb.QuotaPlan.Kind, line.kind),
                                   allocated_quota=_num(line.allocated_quota),
                                   confirmed_quota=_num(line.confirmed_quota), mismatch=line.mismatch)
               for line in view.lines],
        total_confirmed=_num(sum((line.confirmed_quota for line in view.lines), Decimal(0))),
        has_mismatch=any(line.mismatch for line in view.lines),
        create_time=_ts(c.created_at), update_time=_ts(c.updated_at))


def _product(p) -> pb.Product:
    return pb.Product(id=p.id, category=p.category, name=p.name, code=p.code, update_time=_ts(p.updated_at))


def _customs(c) -> pb.CustomsProduct:
    return pb.CustomsProduct(id=c.id, code=c.code, name=c.name, unit=c.unit, update_time=_ts(c.updated_at))


def _kg(value) -> float:
    return float(value) if value is not None else 0.0


def _ledger_row(r: dict) -> pb.LedgerRow:
    """A stored row (``entry_date``) or a preview record (``date``) as the proto row."""
    day = r.get("entry_date", r.get("date"))
    return pb.LedgerRow(
        row_number=r.get("row_number", 0), date=day.isoformat() if hasattr(day, "isoformat") else (day or ""),
        counterparty_name=r.get("counterparty_name", ""), counterparty_uscc=r.get("counterparty_uscc", ""),
        product_category=r.get("product_category", ""), product_name=r.get("product_name", ""),
        quantity_kg=_kg(r.get("quantity")), traceability_code=r.get("traceability_code", ""),
        batch_no=r.get("batch_no", ""),
        input_batch_nos=[b for b in (r.get("input_batch_nos") or "").split(";") if b],
        output_batch_no=r.get("output_batch_no", ""), export_product_code=r.get("export_product_code", ""),
        destination_country=r.get("destination_country", ""), opening_kg=_kg(r.get("opening")),
        in_kg=_kg(r.get("inflow")), out_kg=_kg(r.get("outflow")), closing_kg=_kg(r.get("closing")),
        kind=_value(pb.LedgerKind, r.get("kind")), year=r.get("year", 0), month=r.get("month", 0),
        enterprise_id=r.get("enterprise_id", ""))


def _ledger_import(view: ledgers.ImportView) -> pb.LedgerImport:
    r = view.record
    return pb.LedgerImport(
        import_id=r.id, enterprise_id=r.enterprise_id, kind=_value(pb.LedgerKind, r.kind), year=r.year,
        month=r.month, status=_value(pb.LedgerImport.Status, r.status), row_count=r.row_count,
        errors=[pb.ImportError(row=e["row"], column=e["column"], column_name=e["columnName"], message=e["message"])
                for e in view.errors],
        error_count=r.error_count, preview=[_ledger_row(p) for p in view.preview],
        create_time=_ts(r.created_at), confirm_time=_ts(r.confirmed_at))


def _window(view: windows.WindowView) -> pb.ReportingWindow:
    w = view.window
    return pb.ReportingWindow(month=w.month, opens_on=w.opens_on.isoformat(), closes_on=w.closes_on.isoformat(),
                              custom=w.custom, open=view.open, update_time=_ts(view.updated_at))


def _override(view: windows.OverrideView) -> pb.LedgerOverride:
    o = view.override
    return pb.LedgerOverride(
        id=o.id, enterprise_id=o.enterprise_id, enterprise_name=view.enterprise_name,
        kind=_value(pb.LedgerKind, o.kind), year=o.year, month=o.month, reason=o.reason,
        status=_value(pb.LedgerOverride.Status, o.status), rejection_reason=o.rejection_reason or "",
        create_time=_ts(o.created_at), review_time=_ts(o.reviewed_at))


def _case(view: cases.CaseView) -> pb.SupervisionCase:
    c = view.case
    return pb.SupervisionCase(
        id=c.id, number=c.number, kind=_value(pb.CaseKind, c.kind), status=_value(pb.SupervisionCase.Status, c.status),
        enterprise_id=c.enterprise_id or "", enterprise_name=c.enterprise_name, uscc=c.uscc, address=c.address,
        reporting_unit=c.reporting_unit, reporting_contact=c.reporting_contact, product_category=c.product_category,
        product_name=c.product_name, traceability_code=c.traceability_code, description=c.description,
        complaint_type=c.complaint_type, accepting_body=c.accepting_body,
        ledger_kind=_value(pb.LedgerKind, c.ledger_kind), month=c.month,
        holder_type=_value(pb.CaseHolder.Type, c.holder_type), holder_name=c.holder_name,
        held_by_caller=view.held_by_caller, closing_opinion=c.closing_opinion, create_time=_ts(c.created_at),
        close_time=_ts(c.closed_at))


def _optional(request, field: str):
    return getattr(request, field) if request.HasField(field) else None


def _download(context, download: dictionary.Download) -> httpbody_pb2.HttpBody:
    set_download_filename(context, download.file_name)
    return httpbody_pb2.HttpBody(content_type=XLSX_CONTENT_TYPE, data=download.content)


class RareEarthService(rare_earth_pb2_grpc.RareEarthServiceServicer):
    def __init__(self, context: ServiceContext, directory: OrganizationDirectory):
        self._context = context
        self._directory = directory

    # --- Registration ---------------------------------------------------------------

    def GetRegistration(self, request, context):
        return _registration(registration.get_registration(self._context))

    def SaveRegistration(self, request, context):
        fields = {
            "enterpriseName": request.enterprise_name.strip(),
            "enterpriseType": _name(pb.EnterpriseType, request.enterprise_type),
            "provinceCode": request.province_code.strip(), "cityCode": request.city_code.strip(),
            "address": request.address.strip(), "contactName": request.contact_name.strip(),
            "contactPhone": request.contact_phone.strip(), "email": request.email.strip(),
        }
        return _registration(registration.save_registration(self._context, self._directory, fields))

    def SubmitRegistration(self, request, context):
        return _registration(registration.submit_registration(self._context))

    def ListRegistrations(self, request, context):
        page = registration.list_registrations(self._context, _name(pb.Registration.Status, request.status),
                                               request.name.strip(), request.page_size, request.page_token)
        return pb.ListRegistrationsResponse(registrations=[_registration(e) for e in page.items],
                                            next_page_token=page.next_page_token, total_size=page.total_size)

    def GetRegistrationById(self, request, context):
        return _registration(registration.get_registration_by_id(self._context, request.id))

    def ApproveRegistration(self, request, context):
        return _registration(registration.approve_registration(self._context, request.id))

    def RejectRegistration(self, request, context):
        return _registration(registration.reject_registration(self._context, request.id, request.reason))

    # --- Profile --------------------------------------------------------------------

    def GetProfile(self, request, context):
        return _profile(profile.get_profile(self._context))

    def SaveProfile(self, request, context):
        fields = {
            "enterpriseName": request.enterprise_name.strip(), "provinceCode": request.province_code.strip(),
            "cityCode": request.city_code.strip(), "address": request.address.strip(),
            "contactName": request.contact_name.strip(), "contactPhone": request.contact_phone.strip(),
            "email": request.email.strip(),
        }
        return _profile(profile.save_profile(self._context, fields))

    def SubmitProfile(self, request, context):
        return _profile(profile.submit_profile(self._context))

    def ListEnterprises(self, request, context):
        page = profile.list_enterprises(self._context, _name(pb.EnterpriseType, request.type), request.name.strip(),
                                        request.page_size, request.page_token)
        return pb.ListEnterprisesResponse(enterprises=[_enterprise(v) for v in page.items],
                                          next_page_token=page.next_page_token, total_size=page.total_size)

    def GetEnterprise(self, request, context):
        return _enterprise(profile.get_enterprise(self._context, request.id))

    # --- Affiliation ----------------------------------------------------------------

    def CreateAffiliation(self, request, context):
        data = affiliation.AffiliationInput(
            parent_type=_name(pb.Affiliation.ParentType, request.parent_type),
            parent_enterprise_id=request.parent_enterprise_id.strip(),
            relation=_name(pb.Affiliation.Relation, request.relation), share_ratio=request.share_ratio,
            parent_may_view_ledgers=request.parent_may_view_ledgers)
        created = _affiliation(affiliation.create_affiliation(self._context, data))
        set_http_status(context, 201)
        return created

    def ListAffiliations(self, request, context):
        page = affiliation.list_affiliations(self._context, getattr(request, "as").strip(),
                                             _name(pb.Affiliation.Status, request.status),
                                             request.page_size, request.page_token)
        return pb.ListAffiliationsResponse(affiliations=[_affiliation(v) for v in page.items],
                                           next_page_token=page.next_page_token, total_size=page.total_size)

    def GetAffiliation(self, request, context):
        return _affiliation(affiliation.get_affiliation(self._context, request.id))

    def UpdateAffiliation(self, request, context):
        relation = _optional(request, "relation")
        return _affiliation(affiliation.update_affiliation(
            self._context, request.id, _name(pb.Affiliation.Relation, relation) if relation is not None else None,
            _optional(request, "share_ratio"), _optional(request, "parent_may_view_ledgers")))

    def ApproveAffiliation(self, request, context):
        return _affiliation(affiliation.approve_affiliation(self._context, request.id))

    def RejectAffiliation(self, request, context):
        return _affiliation(affiliation.reject_affiliation(self._context, request.id, request.reason))

    # --- Quota plans ----------------------------------------------------------------

    def CreateQuotaPlan(self, request, context):
        plan = quota.create_quota_plan(self._context, request.year, request.batch,
                                       _name(pb.QuotaPlan.Kind, request.kind),
                                       [(a.enterprise_id.strip(), a.quota) for a in request.allocations])
        set_http_status(context, 201)
        return _plan(plan)

    def ListQuotaPlans(self, request, context):
        page = quota.list_quota_plans(self._context, request.year, request.batch, request.page_size,
                                      request.page_token)
        return pb.ListQuotaPlansResponse(quota_plans=[_plan(p) for p in page.items],
                                         next_page_token=page.next_page_token, total_size=page.total_size)

    def AllocateQuota(self, request, context):
        allocated = quota.allocate_quota(self._context, request.plan_id, request.to_enterprise_id.strip(),
                                         request.quota)
        set_http_status(context, 201)
        return _allocation(allocated)

    def ListQuotaAllocations(self, request, context):
        page = quota.list_quota_allocations(self._context, request.year, request.batch,
                                            getattr(request, "as").strip(), request.page_size, request.page_token)
        return pb.ListQuotaAllocationsResponse(quota_allocations=[_allocation(v) for v in page.items],
                                               next_page_token=page.next_page_token, total_size=page.total_size)

    def ListAllocationRecords(self, request, context):
        page = quota.list_allocation_records(self._context, request.allocation_id, request.page_size,
                                             request.page_token)
        return pb.ListAllocationRecordsResponse(allocation_records=[_record(v) for v in page.items],
                                                next_page_token=page.next_page_token, total_size=page.total_size)

    def CreatePlanConfirmation(self, request, context):
        created = confirmation.create_confirmation(self._context, request.year, request.batch,
                                                   [(q.allocation_id, q.quota) for q in request.quotas])
        set_http_status(context, 201)
        return _confirmation(created)

    def ListPlanConfirmations(self, request, context):
        page = confirmation.list_confirmations(self._context, request.year, request.batch, request.page_size,
                                               request.page_token)
        return pb.ListPlanConfirmationsResponse(plan_confirmations=[_confirmation(v) for v in page.items],
                                                next_page_token=page.next_page_token, total_size=page.total_size)

    def UpdatePlanConfirmation(self, request, context):
        return _confirmation(confirmation.update_confirmation(
            self._context, request.id, [(q.allocation_id, q.quota) for q in request.quotas]))

    def DeletePlanConfirmation(self, request, context):
        confirmation.delete_confirmation(self._context, request.id)
        return empty_pb2.Empty()

    def GetPlanConfirmationStatistics(self, request, context):
        stats = confirmation.statistics(self._context, request.year)
        return pb.PlanConfirmationStatistics(
            enterprise_id=stats.enterprise_id, year=stats.year,
            kinds=[pb.KindStatistics(kind=_value(pb.QuotaPlan.Kind, k.kind), allocated_quota=_num(k.allocated),
                                     confirmed_quota=_num(k.confirmed), confirmed_batches=k.confirmed_batches)
                   for k in stats.kinds],
            total_allocated=_num(sum((k.allocated for k in stats.kinds), Decimal(0))),
            total_confirmed=_num(sum((k.confirmed for k in stats.kinds), Decimal(0))))

    # --- Data dictionary ------------------------------------------------------------

    def ListProducts(self, request, context):
        page = dictionary.list_products(self._context, request.category.strip(), request.name.strip(),
                                        request.code.strip(), request.page_size, request.page_token)
        return pb.ListProductsResponse(products=[_product(p) for p in page.items],
                                       next_page_token=page.next_page_token, total_size=page.total_size)

    def ExportProducts(self, request, context):
        return _download(context, dictionary.export_products(self._context, request.category.strip(),
                                                             request.name.strip(), request.code.strip()))

    def CreateProduct(self, request, context):
        created = dictionary.create_product(self._context, request.category, request.name, request.code)
        set_http_status(context, 201)
        return _product(created)

    def UpdateProduct(self, request, context):
        return _product(dictionary.update_product(self._context, request.id, _optional(request, "category"),
                                                  _optional(request, "name"), _optional(request, "code")))

    def DeleteProduct(self, request, context):
        dictionary.delete_product(self._context, request.id)
        return empty_pb2.Empty()

    def ListCustomsProducts(self, request, context):
        page = dictionary.list_customs_products(self._context, request.code.strip(), request.name.strip(),
                                                request.page_size, request.page_token)
        return pb.ListCustomsProductsResponse(customs_products=[_customs(c) for c in page.items],
                                              next_page_token=page.next_page_token, total_size=page.total_size)

    def ExportCustomsProducts(self, request, context):
        return _download(context, dictionary.export_customs_products(self._context, request.code.strip(),
                                                                     request.name.strip()))

    def CreateCustomsProduct(self, request, context):
        created = dictionary.create_customs_product(self._context, request.code, request.name, request.unit)
        set_http_status(context, 201)
        return _customs(created)

    def UpdateCustomsProduct(self, request, context):
        return _customs(dictionary.update_customs_product(self._context, request.id, _optional(request, "code"),
                                                          _optional(request, "name"), _optional(request, "unit")))

    def DeleteCustomsProduct(self, request, context):
        dictionary.delete_customs_product(self._context, request.id)
        return empty_pb2.Empty()

    # --- Ledgers --------------------------------------------------------------------

    def GetLedgerTemplate(self, request, context):
        return _download(context, ledgers.ledger_template(self._context, _name(pb.LedgerKind, request.kind)))

    def ImportLedger(self, request, context):
        view = ledgers.import_ledger(self._context, _name(pb.LedgerKind, request.kind), request.year,
                                     request.month, request.file)
        set_http_status(context, 201)
        return _ledger_import(view)

    def GetLedgerImport(self, request, context):
        return _ledger_import(ledgers.get_import(self._context, request.id))

    def ConfirmLedgerImport(self, request, context):
        return _ledger_import(ledgers.confirm_import(self._context, request.id))

    def ListLedgerRows(self, request, context):
        page = ledgers.list_rows(self._context, _name(pb.LedgerKind, request.kind), request.year, request.month,
                                 request.page_size, request.page_token)
        return pb.ListLedgerRowsResponse(ledger_rows=[_ledger_row(r) for r in page.items],
                                         next_page_token=page.next_page_token, total_size=page.total_size)

    def ListEnterpriseLedgerRows(self, request, context):
        page = ledgers.list_enterprise_rows(self._context, request.id, _name(pb.LedgerKind, request.kind),
                                            request.year, request.month, request.page_size, request.page_token)
        return pb.ListLedgerRowsResponse(ledger_rows=[_ledger_row(r) for r in page.items],
                                         next_page_token=page.next_page_token, total_size=page.total_size)

    def GetReportingWindow(self, request, context):
        return _window(windows.get_window(self._context, request.month))

    def SetReportingWindow(self, request, context):
        return _window(windows.set_window(self._context, request.month, request.opens_on, request.closes_on))

    def CreateLedgerOverride(self, request, context):
        created = windows.create_override(self._context, _name(pb.LedgerKind, request.kind), request.year,
                                          request.month, request.reason)
        set_http_status(context, 201)
        return _override(created)

    def ListLedgerOverrides(self, request, context):
        page = windows.list_overrides(self._context, _name(pb.LedgerOverride.Status, request.status),
                                      request.page_size, request.page_token)
        return pb.ListLedgerOverridesResponse(ledger_overrides=[_override(v) for v in page.items],
                                              next_page_token=page.next_page_token, total_size=page.total_size)

    def ApproveLedgerOverride(self, request, context):
        return _override(windows.review_override(self._context, request.id, True))

    def RejectLedgerOverride(self, request, context):
        return _override(windows.review_override(self._context, request.id, False, request.reason))

    # --- Traceability ---------------------------------------------------------------

    def TraceProduct(self, request, context):
        view = trace.trace(self._context, request.code)
        return pb.Trace(code=view.code, truncated=view.truncated, steps=[
            pb.TraceStep(depth=s.depth, enterprise_id=s.row.get("enterprise_id", ""),
                         enterprise_name=s.enterprise_name, uscc=s.uscc, row=_ledger_row(s.row), visible=s.visible)
            for s in view.steps])

    # --- Supervision cases ----------------------------------------------------------

    def ListCases(self, request, context):
        page = cases.list_cases(self._context, _name(pb.CaseKind, request.kind),
                                _name(pb.SupervisionCase.Status, request.status), request.page_size,
                                request.page_token)
        return pb.ListCasesResponse(cases=[_case(v) for v in page.items], next_page_token=page.next_page_token,
                                    total_size=page.total_size)

    def GetCase(self, request, context):
        return _case(cases.get_case(self._context, request.id))

    def CreateCase(self, request, context):
        created = cases.create_case(self._context, _name(pb.CaseKind, request.kind), request.enterprise_id,
                                    request.description, request.product_category, request.product_name,
                                    request.traceability_code)
        set_http_status(context, 201)
        return _case(created)

    def CreateComplaint(self, request, context):
        created = cases.create_complaint(self._context, request.enterprise_id, request.enterprise_name,
                                         request.complaint_type, request.product_name, request.traceability_code,
                                         request.content, request.contact_name, request.contact_phone)
        set_http_status(context, 201)
        return _case(created)

    def HandleCase(self, request, context):
        return _case(cases.handle_case(self._context, request.id, _name(pb.HandleCaseRequest.Action, request.action),
                                       request.opinion, _name(pb.CaseHolder.Type, request.transfer_to)))

    def ListCaseFlow(self, request, context):
        steps = cases.flow(self._context, request.id)
        return pb.CaseFlow(case_id=request.id, steps=[
            pb.CaseStep(sequence=s.sequence, action=s.action, actor_id=s.actor_id, actor_body=s.actor_body,
                        opinion=s.opinion, to_holder_type=_value(pb.CaseHolder.Type, s.to_holder_type),
                        to_holder_name=s.to_holder_name, time=_ts(s.created_at))
            for s in steps])


def bindings(context: ServiceContext, directory: OrganizationDirectory | None = None) -> list[ServiceBinding]:
    servicer = RareEarthService(context, directory or IdentityDirectory(context.channels))
    add_to_server = rare_earth_pb2_grpc.add_RareEarthServiceServicer_to_server
    return [ServiceBinding.of(pb, "RareEarthService", add_to_server, servicer)]
