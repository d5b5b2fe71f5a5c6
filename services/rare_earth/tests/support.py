"""The rare_earth service over real gRPC for its tests (the chassis ServiceHarness), with actors walked
through registration: organisations identity knows, staff of each agency, approved enterprises."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc
from sqlalchemy import select
from stdnum.cn import uscc as uscc_number

from protos.rare_earth.v1 import affiliation_pb2 as affiliation_pb
from protos.rare_earth.v1 import registration_pb2 as registration_pb
from protos.rare_earth.v1 import resources_pb2 as resources_pb
from services.chassis.testing.identity import IdentityStandIn
from services.chassis.testing.service import CALL_TIMEOUT, Refusal, ServiceHarness

_serial = itertools.count(1)


@dataclass
class Actor:
    name: str
    token: str
    organization_id: str | None = None
    enterprise_id: str = ""
    uscc: str = ""


@dataclass
class FlakyIdentity(IdentityStandIn):
    """Identity as the service sees it, which can be made to stop answering organisation lookups."""

    organizations_unavailable: bool = False

    def BatchGetOrganizations(self, request, context):
        if self.organizations_unavailable:
            context.abort(grpc.StatusCode.UNAVAILABLE, "identity is down")
        return super().BatchGetOrganizations(request, context)


class RareEarthHarness:
    """Calls as an actor (``None``: anonymous) through the chassis harness, which does the calling."""

    def __init__(self, service: ServiceHarness, identity: FlakyIdentity):
        self.service = service
        self.identity = identity
        self.context = service.context
        self.minter = service.minter

    def close(self) -> None:
        self.service.close()

    def call(self, actor: Actor | None, method: str, request: Any, *, with_call: bool = False,
             timeout: float = CALL_TIMEOUT) -> Any:
        return self.service.call(method, request, actor.token if actor else None, with_call=with_call,
                                 timeout=timeout)

    def fails(self, actor: Actor | None, method: str, request: Any) -> Refusal:
        return self.service.refused(method, request, actor.token if actor else None)

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
        self.identity.add_organization(organization_id, name, uscc)
        token = self.minter.mint(f"acct-{serial}", org=organization_id, roles=("OWNER",), scopes=scopes)
        return Actor(name, token, organization_id, uscc=uscc)

    def registered(self, name: str, enterprise_type: str = "MINING", *, city: str = "360700",
                   province: str = "360000") -> Actor:
        """An organisation with a saved and submitted registration (PENDING_REVIEW)."""
        actor = self.new_organization(name)
        self.call(actor, "SaveRegistration", registration_request(name, enterprise_type, province, city))
        submitted = self.call(actor, "SubmitRegistration", registration_pb.SubmitRegistrationRequest())
        actor.enterprise_id = submitted.id
        return actor

    def approved(self, name: str, enterprise_type: str = "MINING", **where: str) -> Actor:
        actor = self.registered(name, enterprise_type, **where)
        self.call(self.operator(), "ApproveRegistration",
                  registration_pb.ApproveRegistrationRequest(id=actor.enterprise_id))
        return actor

    def affiliate(self, child: Actor, parent: Actor, parent_type: str = "GROUP") -> affiliation_pb.Affiliation:
        created = self.call(child, "CreateAffiliation", affiliation_pb.CreateAffiliationRequest(
            parent_type=affiliation_pb.Affiliation.ParentType.Value(parent_type),
            parent_enterprise_id=parent.enterprise_id, relation=affiliation_pb.Affiliation.HOLDING,
            share_ratio="51", parent_may_view_ledgers=True))
        return self.call(parent, "ApproveAffiliation", affiliation_pb.ApproveAffiliationRequest(id=created.id))

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
                         city: str = "360700", **overrides: Any) -> registration_pb.SaveRegistrationRequest:
    fields = dict(enterprise_name=name, enterprise_type=resources_pb.EnterpriseType.Value(enterprise_type),
                  province_code=province, city_code=city, address="赣州市章贡区稀土大道1号", contact_name="张工",
                  contact_phone="13907970001", email="re@example.cn")
    fields.update(overrides)
    return registration_pb.SaveRegistrationRequest(**fields)


def valid_uscc(serial: int) -> str:
    """A USCC with a correct check digit, distinct per serial."""
    body = f"91450700MA5L{serial % 100000:05d}"
    return body + uscc_number.calc_check_digit(body)
