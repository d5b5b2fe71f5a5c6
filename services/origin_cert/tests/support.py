"""The origin_cert service over real gRPC for its tests, with the actors of the manual: exporters (ADMIN and
SIGNER members of an organisation identity knows), CCPIT branch officers, customs users and the public."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from protos.origin_cert.v1 import enterprise_pb2
from services.chassis.testing.service import Refusal, ServiceHarness
from services.origin_cert.definition import DEFINITION
from services.origin_cert.seed import seed_reference

_serial = itertools.count(1)
SCOPE = "origin_cert"


@dataclass
class Actor:
    label: str
    token: str
    account_id: str = ""
    organization_id: str = ""
    members: dict[str, Actor] = field(default_factory=dict)

    def member(self, role: str) -> Actor:
        return self.members[role]


class OriginHarness:
    @classmethod
    def started(cls, database_url: str, environ: dict[str, str]) -> OriginHarness:
        """A real server on ``database_url`` with its reference data, configured by ``environ``."""
        service = ServiceHarness(DEFINITION, database_url, environ=environ)
        seed_reference(service.context)
        return cls(service)

    def __init__(self, service: ServiceHarness):
        self.service = service
        self.context = service.context
        self.identity = service.identity
        self.minter = service.minter

    def close(self) -> None:
        self.service.close()

    def call(self, actor: Actor | None, method: str, request: Any, **kwargs: Any) -> Any:
        return self.service.call(method, request, actor.token if actor else None, **kwargs)

    def fails(self, actor: Actor | None, method: str, request: Any) -> Refusal:
        return self.service.refused(method, request, actor.token if actor else None)

    # --- actors -----------------------------------------------------------------------

    def organization(self, label: str, *, filed_with: str | None = "BEIJING") -> Actor:
        """An organisation with an ADMIN (the actor itself) and a SIGNER member; filed with a branch."""
        serial = next(_serial)
        organization_id = f"org-{serial}-{label}"
        self.identity.add_organization(organization_id, f"{label}进出口有限公司", f"91110000MA0{serial:07d}")
        admin = self._member(organization_id, "ADMIN", f"{label}-admin-{serial}")
        admin.members = {"ADMIN": admin, "SIGNER": self._member(organization_id, "SIGNER", f"{label}-signer-{serial}")}
        if filed_with:
            self.call(admin, "SaveEnterprise", enterprise_pb2.SaveEnterpriseRequest(
                branch=filed_with, name_en=f"{label.upper()} IMPORT AND EXPORT CO., LTD.",
                address_en="NO. 1 CHANGAN AVENUE, BEIJING, CHINA", enterprise_type="TRADER"))
        return admin

    def _member(self, organization_id: str, role: str, account: str) -> Actor:
        token = self.minter.mint(account, org=organization_id, roles=(role,), scopes=(SCOPE,))
        return Actor(role, token, account, organization_id)

    def officer(self, branch: str = "BEIJING", *roles: str) -> Actor:
        account = f"ccpit-{next(_serial)}"
        token = self.minter.mint(account, roles=("STAFF", *(roles or ("PRE_REVIEWER", "VISA_OFFICER"))),
                                 scopes=(SCOPE,), kind="STAFF", agency=f"CCPIT:{branch}")
        return Actor(f"CCPIT:{branch}", token, account)

    def customs(self) -> Actor:
        account = f"customs-{next(_serial)}"
        token = self.minter.mint(account, roles=("STAFF", "CHECKER"), scopes=("inspection", SCOPE), kind="STAFF",
                                 agency="CUSTOMS:0100")
        return Actor("CUSTOMS:0100", token, account)

    # --- what was published -------------------------------------------------------------

    def _last_message(self) -> int:
        table = self.context.tables.outbox
        with self.context.engine.connect() as connection:
            return connection.scalar(select(func.max(table.c.id))) or 0

    def notices(self, template: str, *, after: int = 0) -> list[dict]:
        """The notification requests for ``template`` in the outbox (those written after message ``after``)."""
        table = self.context.tables.outbox
        query = (select(table.c.payload).where(table.c.routing_key.startswith("notify.request"), table.c.id > after)
                 .order_by(table.c.id))
        with self.context.engine.connect() as connection:
            requests = [json.loads(payload) for payload in connection.scalars(query)]
        return [request for request in requests if request["template"] == template]

    @contextmanager
    def new_notices(self, template: str) -> Iterator[list[dict]]:
        """The requests for ``template`` the block wrote, in the list once it ends."""
        mark = self._last_message()
        found: list[dict] = []
        yield found
        found.extend(self.notices(template, after=mark))
