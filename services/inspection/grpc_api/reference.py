"""ReferenceService: the public queries and customs' upkeep of rules and regulations."""

from __future__ import annotations

from google.protobuf import empty_pb2

from protos.inspection.v1 import reference_pb2 as pb
from protos.inspection.v1 import reference_pb2_grpc
from services.chassis import wire
from services.inspection.domain.reference import REGULATION_FIELDS, RULE_FIELDS
from services.inspection.grpc_api.common import Servicer, created, enum_of, every, given
from services.inspection.handlers import institutions, reference
from services.inspection.views import reference as views


def _regulation(request, values: dict[str, str], published_on: str) -> reference.RegulationInput:
    return reference.RegulationInput(values, enum_of(pb.RegulationKind, request.kind, "kind"), published_on)


class ReferenceServicer(Servicer, reference_pb2_grpc.ReferenceServiceServicer):
    def ListRules(self, request, context):
        page = reference.list_rules(self._context, request.hs_code, request.name, request.page_size,
                                    request.page_token)
        return pb.ListRulesResponse(rules=[views.rule(r) for r in page.items], **wire.page_fields(page))

    def CreateRule(self, request, context):
        return created(context, views.rule(reference.create_rule(self._context, every(request, RULE_FIELDS))))

    def UpdateRule(self, request, context):
        return views.rule(reference.update_rule(self._context, request.id, given(request, RULE_FIELDS)))

    def DeleteRule(self, request, context):
        reference.delete_rule(self._context, request.id)
        return empty_pb2.Empty()

    def ListRegulations(self, request, context):
        page = reference.list_regulations(
            self._context, request.title, enum_of(pb.RegulationKind, request.kind, "kind"), request.published_from,
            request.published_to, request.page_size, request.page_token)
        return pb.ListRegulationsResponse(regulations=[views.regulation(r) for r in page.items],
                                          **wire.page_fields(page))

    def GetRegulation(self, request, context):
        return views.regulation(reference.get_regulation(self._context, request.id))

    def CreateRegulation(self, request, context):
        data = _regulation(request, every(request, REGULATION_FIELDS), request.published_on)
        return created(context, views.regulation(reference.create_regulation(self._context, data)))

    def UpdateRegulation(self, request, context):
        data = _regulation(request, given(request, REGULATION_FIELDS), wire.optional(request, "published_on") or "")
        return views.regulation(reference.update_regulation(self._context, request.id, data))

    def DeleteRegulation(self, request, context):
        reference.delete_regulation(self._context, request.id)
        return empty_pb2.Empty()

    def ListReferenceItems(self, request, context):
        page = reference.list_items(self._context, enum_of(pb.ReferenceList, request.list, "list"), request.name,
                                    request.page_size, request.page_token)
        return pb.ListReferenceItemsResponse(reference_items=[views.reference_item(i) for i in page.items],
                                             **wire.page_fields(page))

    def ListInstitutions(self, request, context):
        page = institutions.list_institutions(self._context, request.name, request.certificate_number,
                                              request.available_only, request.page_size, request.page_token)
        return pb.ListInstitutionsResponse(institutions=[views.institution(i) for i in page.items],
                                           **wire.page_fields(page))
