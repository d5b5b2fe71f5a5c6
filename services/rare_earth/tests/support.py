"""A rare_earth server over real gRPC for tests: tokens from a TokenMinter, actors walked through registration."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import grpc
import pytest
from google.rpc import error_details_pb2
from sqlalchemy import select
from stdnum.cn import uscc as uscc_number

from protos.rare_earth.v1 import rare_earth_pb2 as pb
from protos.rare_earth.v1 import rare_earth_pb2_grpc
from services.chassis.grpc_errors import status_from_rpc_error
from services.chassis.runtime import ServiceContext
from services.chassis.testing import TokenMinter
from services.rare_earth.directory import StaticDirectory

_serial = itertools.count(1)


@dataclass
class Actor:
    name: str
    token: str
    organization_id: str | None = None
    enterprise_id: str = ""
    uscc: str = ""

    @property
    def metadata(self) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {self.token}")]


@dataclass
class CallError:
    code: grpc.StatusCode
    message: str
    reason: str
    fields: dict[str, str]


class RareEarthHarness:
    def __init__(self, address: str, context: ServiceContext, minter: TokenMinter, directory: StaticDirectory):
        self.channel = grpc.insecure_channel(address)
        self.stub = rare_earth_pb2_grpc.RareEarthServiceStub(self.channel)
        self.context = context
        self.minter = minter
        self.directory = directory

    # --- calling ----------------------------------------------------------------------

    def call(self, actor: Actor | None, method: str, request, *, with_call: bool = False):
        rpc = getattr(self.stub, method)
        metadata = actor.metadata if actor else []
        if with_call:
            return rpc.with_call(request, metadata=metadata, timeout=30)
        return rpc(request, metadata=metadata, timeout=30)

    def fails(self, actor: Actor | None, method: str, request) -> CallError:
        with pytest.raises(grpc.RpcError) as caught:
            self.call(actor, method, request)
        status = status_from_rpc_error(caught.value)
        reason, fields = "", {}
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason = info.reason
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                fields = {v.field: v.description for v in bad.field_violations}
        return CallError(caught.value.code(), status.message, reason, fields)

    # --- actors -----------------------------------------------------------------------

    def staff(self, agency: str) -> Actor:
        account = f"staff-{next(_serial)}"
        token = self.minter.mint(account, roles=("STAFF",), scopes=("rare_earth",), kind="STAFF", agency=agency)
        return Actor(agency, token)

    def office(self) -> Actor:
        return self.staff("MIIT_RE_OFFICE")

    def operator(self) -> Actor:
        return self.staff("RE_OPERATOR")

    def new_organization(self, name: str, *, scopes: tuple[str, ...] = ("rare_earth",)) -> Actor:
        serial = next(_serial)
        organization_id = f"org-{serial}-{name}"
        uscc = valid_uscc(serial)
        self.directory.add(organization_id, uscc)
        token = self.minter.mint(f"acct-{serial}", org=organization_id, roles=("OWNER",), scopes=scopes)
        return Actor(name, token, organization_id, uscc=uscc)

    def registered(self, name: str, enterprise_type: str = "MINING", *, city: str = "360700",
                   province: str = "360000") -> Actor:
        """An organisation with a saved and submitted registration (PENDING_REVIEW)."""
        actor = self.new_organization(name)
        self.call(actor, "SaveRegistration", registration_request(name, enterprise_type, province, city))
        submitted = self.call(actor, "SubmitRegistration", pb.SubmitRegistrationRequest())
        actor.enterprise_id = submitted.id
        return actor

    def approved(self, name: str, enterprise_type: str = "MINING", **where) -> Actor:
        actor = self.registered(name, enterprise_type, **where)
        self.call(self.operator(), "ApproveRegistration", pb.ApproveRegistrationRequest(id=actor.enterprise_id))
        return actor

    def affiliate(self, child: Actor, parent: Actor, parent_type: str = "GROUP") -> pb.Affiliation:
        created = self.call(child, "CreateAffiliation", pb.CreateAffiliationRequest(
            parent_type=pb.Affiliation.ParentType.Value(parent_type), parent_enterprise_id=parent.enterprise_id,
            relation=pb.Affiliation.HOLDING, share_ratio=51.0, parent_may_view_ledgers=True))
        return self.call(parent, "ApproveAffiliation", pb.ApproveAffiliationRequest(id=created.id))

    # --- what was published -------------------------------------------------------------

    def outbox(self, routing_key_prefix: str = "") -> list[dict]:
        table = self.context.tables.outbox
        with self.context.engine.connect() as connection:
            rows = connection.execute(select(table.c.routing_key, table.c.payload).order_by(table.c.id)).all()
        return [json.loads(payload) for key, payload in rows if key.startswith(routing_key_prefix)]

    def notices(self, template: str) -> list[dict]:
        return [p for p in self.outbox("notify.request") if p["template"] == template]

    @contextmanager
    def new_notices(self, template: str) -> Iterator[list[dict]]:
        """The notification requests with ``template`` written while the block ran."""
        before = len(self.notices(template))
        found: list[dict] = []
        yield found
        found.extend(self.notices(template)[before:])


def registration_request(name: str, enterprise_type: str = "MINING", province: str = "360000",
                         city: str = "360700", **overrides) -> pb.SaveRegistrationRequest:
    fields = dict(enterprise_name=name, enterprise_type=pb.EnterpriseType.Value(enterprise_type),
                  province_code=province, city_code=city, address="赣州市章贡区稀土大道1号", contact_name="张工",
                  contact_phone="13907970001", email="re@example.cn")
    fields.update(overrides)
    return pb.SaveRegistrationRequest(**fields)


def valid_uscc(serial: int) -> str:
    """A USCC with a correct check digit, distinct per serial."""
    body = f"91450700MA5L{serial % 100000:05d}"
    return body + uscc_number.calc_check_digit(body)


class MutableDirectory(StaticDirectory):
    def add(self, organization_id: str, uscc: str) -> None:
        self._usccs[organization_id] = uscc
