"""Parties (制单资料), verifications, questionnaires and the to-do list."""

from __future__ import annotations

from protos.origin_cert.v1 import parties_pb2, parties_pb2_grpc
from services.chassis.wire import page_fields
from services.origin_cert.grpc_api.base import Servicer, created
from services.origin_cert.handlers import parties
from services.origin_cert.views import exchange as views


class PartyServicer(Servicer, parties_pb2_grpc.PartyServiceServicer):
    def CreateParty(self, request, context):
        return created(context, views.party_pb(parties.create_party(self._context, views.party_input(request))))

    def ListParties(self, request, context):
        page = parties.list_parties(self._context, request.kind.strip().upper(), request.name, request.page_size,
                                    request.page_token)
        return parties_pb2.ListPartiesResponse(parties=[views.party_pb(p) for p in page.items], **page_fields(page))

    def GetParty(self, request, context):
        return views.party_pb(parties.get_party(self._context, request.id))

    def UpdateParty(self, request, context):
        return views.party_pb(parties.update_party(self._context, request.id, views.party_input(request)))

    def DeleteParty(self, request, context):
        return views.party_pb(parties.delete_party(self._context, request.id))
