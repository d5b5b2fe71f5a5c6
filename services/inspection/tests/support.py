"""The inspection service over real gRPC for its tests (the chassis ServiceHarness), with its actors:
customs staff, overseas institutions (FOREIGN organisations identity knows) and consignee enterprises."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from services.chassis.testing.identity import IdentityStandIn, StandInAccount, StandInOrganization
from services.chassis.testing.service import Refusal, ServiceHarness
from services.inspection.definition import DEFINITION

_serial = itertools.count(1)
SCOPE = "inspection"


@dataclass
class Actor:
    name: str
    token: str
    organization_id: str = ""
    account_id: str = ""
    agency: str = ""


def _token(actor: Actor | None) -> str | None:
    return actor.token if actor else None


class InspectionHarness(ServiceHarness):
    """The chassis harness serving inspection with identity stood in; it calls as an actor (``None``: anonymous)."""

    def __init__(self, database_url: str):
        super().__init__(DEFINITION, database_url, identity=IdentityStandIn().start(),
                         environ={"INSPECTION_SECRET_KEY": "inspection-test-secret-key-0123456789"})

    def act(self, actor: Actor | None, method: str, request: Any) -> Any:
        return self.call(method, request, _token(actor))

    def fails(self, actor: Actor | None, method: str, request: Any) -> Refusal:
        return self.refused(method, request, _token(actor))

    # --- actors -----------------------------------------------------------------------

    def customs(self, code: str = "0100") -> Actor:
        serial = next(_serial)
        agency = f"CUSTOMS:{code}"
        account = f"customs-{serial}"
        self.identity.accounts.append(StandInAccount(account, phone=f"1360000{serial:04d}", agency=agency))
        token = self.minter.mint(account, roles=("STAFF",), scopes=(SCOPE, "ccc_exemption"), kind="STAFF",
                                 agency=agency)
        return Actor(f"海关{code}", token, account_id=account, agency=agency)

    def _member(self, name: str, kind: str, scopes: tuple[str, ...]) -> Actor:
        serial = next(_serial)
        organization_id, account = f"org-{serial}", f"acct-{serial}"
        self.identity.organizations[organization_id] = StandInOrganization(organization_id, name, kind=kind)
        self.identity.accounts.append(StandInAccount(account, phone=f"1370000{serial:04d}", name=name,
                                                     email=f"{account}@example.com",
                                                     organization_id=organization_id, role="OWNER"))
        token = self.minter.mint(account, org=organization_id, roles=("OWNER",), scopes=scopes)
        return Actor(name, token, organization_id, account)

    def institution(self, name: str = "示范检验机构", *, scopes: tuple[str, ...] = (SCOPE,)) -> Actor:
        return self._member(name, "FOREIGN", scopes)

    def enterprise(self, name: str = "示范进口企业有限公司", *, scopes: tuple[str, ...] = (SCOPE,)) -> Actor:
        return self._member(name, "DOMESTIC", scopes)

    # --- what was published -------------------------------------------------------------

    def mark(self) -> int:
        """Where the outbox stands now: ``notices(template, after=mark)`` reads what came since."""
        table = self.context.tables.outbox
        with self.context.engine.connect() as connection:
            return connection.execute(select(func.max(table.c.id))).scalar() or 0

    def notices(self, template: str, *, after: int = 0) -> list[dict]:
        """The notification requests for ``template`` in the outbox, oldest first."""
        table = self.context.tables.outbox
        query = (select(table.c.payload).where(table.c.id > after, table.c.routing_key.startswith("notify.request"))
                 .order_by(table.c.id))
        with self.context.engine.connect() as connection:
            payloads = [json.loads(row) for row in connection.execute(query).scalars()]
        return [p for p in payloads if p["template"] == template]
