"""The gRPC servicers, one per service of the protos: request -> plain values -> use case -> view."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import grpc
from google.protobuf import empty_pb2
from google.protobuf.message import Message

from protos.rare_earth.v1 import affiliation_pb2 as affiliation_pb
from protos.rare_earth.v1 import (
    affiliation_pb2_grpc,
    cases_pb2_grpc,
    dictionary_pb2_grpc,
    ledgers_pb2_grpc,
    notices_pb2_grpc,
    profile_pb2_grpc,
    quota_pb2_grpc,
    registration_pb2_grpc,
    trace_pb2_grpc,
)
from protos.rare_earth.v1 import cases_pb2 as cases_pb
from protos.rare_earth.v1 import dictionary_pb2 as dictionary_pb
from protos.rare_earth.v1 import ledgers_pb2 as ledgers_pb
from protos.rare_earth.v1 import notices_pb2 as notices_pb
from protos.rare_earth.v1 import profile_pb2 as profile_pb
from protos.rare_earth.v1 import quota_pb2 as quota_pb
from protos.rare_earth.v1 import registration_pb2 as registration_pb
from protos.rare_earth.v1 import resources_pb2 as resources_pb
from services.chassis import wire
from services.chassis.http_metadata import set_http_status
from services.chassis.server import ServiceBinding
from services.chassis.work_queue import Patience
from services.rare_earth import views
from services.rare_earth.config import RareEarthContext
from services.rare_earth.handlers import (
    affiliation,
    cases,
    confirmation,
    dictionary,
    ledgers,
    notices,
    profile,
    quota,
    registration,
    trace,
    windows,
)

CREATED = 201


class _Servicer:
    def __init__(self, context: RareEarthContext):
        self._context = context


def _created(context: grpc.ServicerContext, message: Message) -> Message:
    """A create answers 201 with the created resource."""
    set_http_status(context, CREATED)
    return message


def _ledger_kind(value: int) -> str:
    return wire.enum_name(resources_pb.LedgerKind, value)


class RegistrationServicer(_Servicer, registration_pb2_grpc.RegistrationServiceServicer):
    def GetRegistration(self, request, context):
        return views.registration(registration.get_registration(self._context))

    def SaveRegistration(self, request, context):
        fields = views.enterprise_fields(request, with_type=True)
        return views.registration(registration.save_registration(self._context, fields))

    def SubmitRegistration(self, request, context):
        return views.registration(registration.submit_registration(self._context))

    def ListRegistrations(self, request, context):
        page = registration.list_registrations(
            self._context, wire.enum_name(registration_pb.Registration.Status, request.status), request.name.strip(),
            request.page_size, request.page_token)
        return registration_pb.ListRegistrationsResponse(registrations=[views.registration(e) for e in page.items],
                                                         **wire.page_fields(page))

    def GetRegistrationById(self, request, context):
        return views.registration(registration.get_registration_by_id(self._context, request.id))

    def ApproveRegistration(self, request, context):
        return views.registration(registration.approve_registration(self._context, request.id))

    def RejectRegistration(self, request, context):
        return views.registration(registration.reject_registration(self._context, request.id, request.reason))


class ProfileServicer(_Servicer, profile_pb2_grpc.ProfileServiceServicer):
    def GetProfile(self, request, context):
        return views.profile_view(profile.get_profile(self._context))

    def SaveProfile(self, request, context):
        fields = views.enterprise_fields(request, with_type=False)
        return views.profile_view(profile.save_profile(self._context, fields))

    def SubmitProfile(self, request, context):
        return views.profile_view(profile.submit_profile(self._context))

    def ListEnterprises(self, request, context):
        page = profile.list_enterprises(self._context, wire.enum_name(resources_pb.EnterpriseType, request.type),
                                        request.name.strip(), request.page_size, request.page_token)
        return profile_pb.ListEnterprisesResponse(enterprises=[views.enterprise(v) for v in page.items],
                                                  **wire.page_fields(page))

    def GetEnterprise(self, request, context):
        return views.enterprise(profile.get_enterprise(self._context, request.id))


class AffiliationServicer(_Servicer, affiliation_pb2_grpc.AffiliationServiceServicer):
    def CreateAffiliation(self, request, context):
        kinds = affiliation_pb.Affiliation
        data = affiliation.AffiliationInput(
            parent_type=wire.enum_name(kinds.ParentType, request.parent_type),
            parent_enterprise_id=request.parent_enterprise_id.strip(),
            relation=wire.enum_name(kinds.Relation, request.relation),
            share_ratio=views.decimal(request.share_ratio, "shareRatio", "占股比例", required=False),
            parent_may_view_ledgers=request.parent_may_view_ledgers)
        return _created(context, views.affiliation_view(affiliation.create_affiliation(self._context, data)))

    def ListAffiliations(self, request, context):
        page = affiliation.list_affiliations(
            self._context, getattr(request, "as").strip(),
            wire.enum_name(affiliation_pb.Affiliation.Status, request.status), request.page_size, request.page_token)
        return affiliation_pb.ListAffiliationsResponse(affiliations=[views.affiliation_view(v) for v in page.items],
                                                       **wire.page_fields(page))

    def GetAffiliation(self, request, context):
        return views.affiliation_view(affiliation.get_affiliation(self._context, request.id))

    def UpdateAffiliation(self, request, context):
        relation = wire.optional(request, "relation")
        ratio = wire.optional(request, "share_ratio")
        return views.affiliation_view(affiliation.update_affiliation(
            self._context, request.id,
            wire.enum_name(affiliation_pb.Affiliation.Relation, relation) if relation is not None else None,
            views.decimal(ratio, "shareRatio", "占股比例") if ratio is not None else None,
            wire.optional(request, "parent_may_view_ledgers")))

    def ApproveAffiliation(self, request, context):
        return views.affiliation_view(affiliation.approve_affiliation(self._context, request.id))

    def RejectAffiliation(self, request, context):
        return views.affiliation_view(affiliation.reject_affiliation(self._context, request.id, request.reason))


def _quotas(items: Iterable[Message], prefix: str, id_field: str) -> list[tuple[str, Decimal]]:
    """(the id an item names, its quota) for each item of a repeated field, its path in any refusal."""
    return [(getattr(item, id_field).strip(), views.decimal(item.quota, f"{prefix}[{index}].quota", "指标"))
            for index, item in enumerate(items)]


class QuotaServicer(_Servicer, quota_pb2_grpc.QuotaServiceServicer):
    def CreateQuotaPlan(self, request, context):
        created = quota.create_quota_plan(self._context, request.year, request.batch,
                                          wire.enum_name(quota_pb.QuotaPlan.Kind, request.kind),
                                          _quotas(request.allocations, "allocations", "enterprise_id"))
        return _created(context, views.plan(created))

    def ListQuotaPlans(self, request, context):
        page = quota.list_quota_plans(self._context, request.year, request.batch, request.page_size,
                                      request.page_token)
        return quota_pb.ListQuotaPlansResponse(quota_plans=[views.plan(p) for p in page.items],
                                               **wire.page_fields(page))

    def AllocateQuota(self, request, context):
        allocated = quota.allocate_quota(self._context, request.plan_id, request.to_enterprise_id.strip(),
                                         views.decimal(request.quota, "quota", "指标"))
        return _created(context, views.allocation(allocated))

    def ListQuotaAllocations(self, request, context):
        page = quota.list_quota_allocations(self._context, request.year, request.batch,
                                            getattr(request, "as").strip(), request.page_size, request.page_token)
        return quota_pb.ListQuotaAllocationsResponse(quota_allocations=[views.allocation(v) for v in page.items],
                                                     **wire.page_fields(page))

    def ListAllocationRecords(self, request, context):
        page = quota.list_allocation_records(self._context, request.allocation_id, request.page_size,
                                             request.page_token)
        return quota_pb.ListAllocationRecordsResponse(
            allocation_records=[views.allocation_record(v) for v in page.items], **wire.page_fields(page))

    def CreatePlanConfirmation(self, request, context):
        created = confirmation.create_confirmation(self._context, request.year, request.batch,
                                                   _quotas(request.quotas, "quotas", "allocation_id"))
        return _created(context, views.plan_confirmation(created))

    def ListPlanConfirmations(self, request, context):
        page = confirmation.list_confirmations(self._context, request.year, request.batch, request.page_size,
                                               request.page_token)
        return quota_pb.ListPlanConfirmationsResponse(
            plan_confirmations=[views.plan_confirmation(v) for v in page.items], **wire.page_fields(page))

    def UpdatePlanConfirmation(self, request, context):
        return views.plan_confirmation(confirmation.update_confirmation(
            self._context, request.id, _quotas(request.quotas, "quotas", "allocation_id")))

    def DeletePlanConfirmation(self, request, context):
        confirmation.delete_confirmation(self._context, request.id)
        return empty_pb2.Empty()

    def GetPlanConfirmationStatistics(self, request, context):
        return views.confirmation_statistics(confirmation.statistics(self._context, request.year))


class DictionaryServicer(_Servicer, dictionary_pb2_grpc.DictionaryServiceServicer):
    def ListProducts(self, request, context):
        page = dictionary.list_products(self._context, request.category.strip(), request.name.strip(),
                                        request.code.strip(), request.page_size, request.page_token)
        return dictionary_pb.ListProductsResponse(products=[views.product(p) for p in page.items],
                                                  **wire.page_fields(page))

    def ExportProducts(self, request, context):
        return views.download(context, dictionary.export_products(
            self._context, request.category.strip(), request.name.strip(), request.code.strip()))

    def CreateProduct(self, request, context):
        created = dictionary.create_product(self._context, request.category, request.name, request.code)
        return _created(context, views.product(created))

    def UpdateProduct(self, request, context):
        return views.product(dictionary.update_product(
            self._context, request.id, wire.optional(request, "category"), wire.optional(request, "name"),
            wire.optional(request, "code")))

    def DeleteProduct(self, request, context):
        dictionary.delete_product(self._context, request.id)
        return empty_pb2.Empty()

    def ListCustomsProducts(self, request, context):
        page = dictionary.list_customs_products(self._context, request.code.strip(), request.name.strip(),
                                                request.page_size, request.page_token)
        return dictionary_pb.ListCustomsProductsResponse(
            customs_products=[views.customs_product(c) for c in page.items], **wire.page_fields(page))

    def ExportCustomsProducts(self, request, context):
        return views.download(context, dictionary.export_customs_products(
            self._context, request.code.strip(), request.name.strip()))

    def CreateCustomsProduct(self, request, context):
        created = dictionary.create_customs_product(self._context, request.code, request.name, request.unit)
        return _created(context, views.customs_product(created))

    def UpdateCustomsProduct(self, request, context):
        return views.customs_product(dictionary.update_customs_product(
            self._context, request.id, wire.optional(request, "code"), wire.optional(request, "name"),
            wire.optional(request, "unit")))

    def DeleteCustomsProduct(self, request, context):
        dictionary.delete_customs_product(self._context, request.id)
        return empty_pb2.Empty()


class LedgerServicer(_Servicer, ledgers_pb2_grpc.LedgerServiceServicer):
    def GetLedgerTemplate(self, request, context):
        return views.download(context, ledgers.ledger_template(self._context, _ledger_kind(request.kind)))

    def ImportLedger(self, request, context):
        imported = ledgers.import_ledger(self._context, _ledger_kind(request.kind), request.year, request.month,
                                         request.file, Patience.of(context))
        return _created(context, views.ledger_import(imported))

    def GetLedgerImport(self, request, context):
        return views.ledger_import(ledgers.get_import(self._context, request.id))

    def ConfirmLedgerImport(self, request, context):
        return views.ledger_import(ledgers.confirm_import(self._context, request.id))

    def ListLedgerRows(self, request, context):
        page = ledgers.list_rows(self._context, _ledger_kind(request.kind), request.year, request.month,
                                 request.page_size, request.page_token)
        return ledgers_pb.ListLedgerRowsResponse(ledger_rows=[views.ledger_row(r) for r in page.items],
                                                 **wire.page_fields(page))

    def ListEnterpriseLedgerRows(self, request, context):
        page = ledgers.list_enterprise_rows(self._context, request.id, _ledger_kind(request.kind), request.year,
                                            request.month, request.page_size, request.page_token)
        return ledgers_pb.ListLedgerRowsResponse(ledger_rows=[views.ledger_row(r) for r in page.items],
                                                 **wire.page_fields(page))

    def GetReportingWindow(self, request, context):
        return views.reporting_window(windows.get_window(self._context, request.month))

    def SetReportingWindow(self, request, context):
        return views.reporting_window(windows.set_window(self._context, request.month, request.opens_on,
                                                         request.closes_on))

    def CreateLedgerOverride(self, request, context):
        created = windows.create_override(self._context, _ledger_kind(request.kind), request.year, request.month,
                                          request.reason)
        return _created(context, views.ledger_override(created))

    def ListLedgerOverrides(self, request, context):
        page = windows.list_overrides(self._context, wire.enum_name(ledgers_pb.LedgerOverride.Status, request.status),
                                      request.page_size, request.page_token)
        return ledgers_pb.ListLedgerOverridesResponse(
            ledger_overrides=[views.ledger_override(v) for v in page.items], **wire.page_fields(page))

    def ApproveLedgerOverride(self, request, context):
        return views.ledger_override(windows.review_override(self._context, request.id, True))

    def RejectLedgerOverride(self, request, context):
        return views.ledger_override(windows.review_override(self._context, request.id, False, request.reason))


class TraceServicer(_Servicer, trace_pb2_grpc.TraceServiceServicer):
    def TraceProduct(self, request, context):
        return views.trace_view(trace.trace(self._context, request.code))


class CaseServicer(_Servicer, cases_pb2_grpc.CaseServiceServicer):
    def ListCases(self, request, context):
        page = cases.list_cases(self._context, wire.enum_name(cases_pb.CaseKind, request.kind),
                                wire.enum_name(cases_pb.SupervisionCase.Status, request.status), request.page_size,
                                request.page_token)
        return cases_pb.ListCasesResponse(cases=[views.case(v) for v in page.items], **wire.page_fields(page))

    def GetCase(self, request, context):
        return views.case(cases.get_case(self._context, request.id))

    def CreateCase(self, request, context):
        created = cases.create_case(self._context, wire.enum_name(cases_pb.CaseKind, request.kind),
                                    request.enterprise_id, request.description, request.product_category,
                                    request.product_name, request.traceability_code)
        return _created(context, views.case(created))

    def CreateComplaint(self, request, context):
        created = cases.create_complaint(self._context, request.enterprise_id, request.enterprise_name,
                                         request.complaint_type, request.product_name, request.traceability_code,
                                         request.content, request.contact_name, request.contact_phone)
        return _created(context, views.case(created))

    def HandleCase(self, request, context):
        return views.case(cases.handle_case(
            self._context, request.id, wire.enum_name(cases_pb.HandleCaseRequest.Action, request.action),
            request.opinion, wire.enum_name(cases_pb.CaseHolder.Type, request.transfer_to)))

    def ListCaseFlow(self, request, context):
        return views.case_flow(request.id, cases.flow(self._context, request.id))


class NoticeAudienceServicer(_Servicer, notices_pb2_grpc.NoticeAudienceServiceServicer):
    def CheckNoticeRecipients(self, request, context):
        s = request.sender
        checked = notices.check_notice_recipients(
            self._context, notices.NoticeSender(s.account_id, s.kind, s.agency, s.organization_id),
            request.organization_ids)
        parent = checked.parent
        return notices_pb.CheckNoticeRecipientsResponse(
            role=notices_pb.CheckNoticeRecipientsResponse.SenderRole.Value(checked.role),
            allowed_organization_ids=checked.allowed, parent_enterprise_id=parent.id if parent else "",
            parent_enterprise_name=parent.enterprise_name if parent else "")


SERVICERS = (RegistrationServicer, ProfileServicer, AffiliationServicer, QuotaServicer, DictionaryServicer,
             LedgerServicer, TraceServicer, CaseServicer, NoticeAudienceServicer)


def bindings(context: RareEarthContext) -> list[ServiceBinding]:
    return [ServiceBinding.of(servicer(context)) for servicer in SERVICERS]
