"""Parties, verifications, questionnaires and to-dos, as protos."""

from __future__ import annotations

from protos.origin_cert.v1 import parties_pb2
from services.chassis import wire
from services.origin_cert.handlers.parties import PartyInput
from services.origin_cert.models import Party


def party_input(request: parties_pb2.SavePartyRequest) -> PartyInput:
    return PartyInput(kind=request.kind.strip().upper(), name=request.name, address=request.address,
                      country=request.country.strip().upper(), contact=request.contact, phone=request.phone.strip(),
                      email=request.email.strip(), text=request.text)


def party_pb(p: Party) -> parties_pb2.Party:
    return parties_pb2.Party(id=p.id, kind=p.kind, name=p.name, address=p.address, country=p.country,
                             contact=p.contact, phone=p.phone, email=p.email, text=p.text,
                             create_time=wire.timestamp(p.created_at), update_time=wire.timestamp(p.updated_at))
