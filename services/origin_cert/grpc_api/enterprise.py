"""Reference data, the enterprise's filing and branch migrations."""

from __future__ import annotations

from protos.origin_cert.v1 import enterprise_pb2, enterprise_pb2_grpc, reference_pb2, reference_pb2_grpc
from services.chassis.wire import page_fields
from services.origin_cert.grpc_api.base import Servicer, created
from services.origin_cert.handlers import enterprise, reference
from services.origin_cert.views import reference as views


class ReferenceServicer(Servicer, reference_pb2_grpc.ReferenceServiceServicer):
    def ListBranches(self, request, context):
        page = reference.list_branches(self._context, request.page_size, request.page_token)
        return reference_pb2.ListBranchesResponse(branches=[views.branch_pb(b) for b in page.items],
                                                  **page_fields(page))

    def ListCountries(self, request, context):
        page = reference.list_countries(self._context, request.page_size, request.page_token)
        return reference_pb2.ListCountriesResponse(countries=[views.country_pb(c) for c in page.items],
                                                   **page_fields(page))

    def ListAgreements(self, request, context):
        page = reference.list_agreements(self._context, request.page_size, request.page_token)
        return reference_pb2.ListAgreementsResponse(agreements=[views.agreement_pb(a) for a in page.items],
                                                    **page_fields(page))

    def SaveAgreement(self, request, context):
        return views.agreement_pb(reference.save_agreement(self._context, views.agreement_input(request)))


class EnterpriseServicer(Servicer, enterprise_pb2_grpc.EnterpriseServiceServicer):
    def GetEnterprise(self, request, context):
        return views.enterprise_pb(enterprise.get_enterprise(self._context))

    def SaveEnterprise(self, request, context):
        data = enterprise.FilingInput(
            branch=request.branch.strip(), name_en=request.name_en, address_en=request.address_en,
            enterprise_type=request.enterprise_type, contact_name=request.contact_name,
            contact_phone=request.contact_phone)
        return views.enterprise_pb(enterprise.save_enterprise(self._context, data))

    def CreateBranchMigration(self, request, context):
        found = enterprise.create_branch_migration(self._context, request.to_branch.strip(), request.reason)
        return created(context, views.migration_pb(found))

    def ListBranchMigrations(self, request, context):
        page = enterprise.list_branch_migrations(self._context, request.status, request.page_size, request.page_token)
        return enterprise_pb2.ListBranchMigrationsResponse(
            branch_migrations=[views.migration_pb(m) for m in page.items], **page_fields(page))

    def GetBranchMigration(self, request, context):
        return views.migration_pb(enterprise.get_branch_migration(self._context, request.id))

    def ApproveBranchMigration(self, request, context):
        return views.migration_pb(enterprise.decide_branch_migration(self._context, request.id, True, request.note))

    def RejectBranchMigration(self, request, context):
        return views.migration_pb(enterprise.decide_branch_migration(self._context, request.id, False, request.note))
