"""The ccc_exemption service over real gRPC for its tests (the chassis ServiceHarness): enterprises that
identity knows, a bureau's posts, customs, and an application walked as far as a test needs."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from protos.ccc_exemption.v1 import applications_pb2 as applications_pb
from protos.ccc_exemption.v1 import attachments_pb2 as attachments_pb
from protos.ccc_exemption.v1 import products_pb2 as products_pb
from protos.ccc_exemption.v1 import review_pb2 as review_pb
from protos.common.v1 import common_pb2
from services.chassis.testing.service import Refusal, ServiceHarness

_serial = itertools.count(1)
SCOPE = "ccc_exemption"
SHANGHAI, PUDONG = "310000", "310115"
SHENZHEN, NANSHAN = "440300", "440305"
ALL_POSTS = ("ACCEPTANCE", "FIRST_REVIEW", "FINAL_REVIEW", "CERT_CHANGE", "WRITE_OFF", "FOLLOW_UP")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DECISION = review_pb.ReviewRequest.Decision


@dataclass
class Actor:
    name: str
    token: str
    organization_id: str | None = None


class CccHarness:
    def __init__(self, service: ServiceHarness):
        self.service = service
        self.identity = service.identity
        self.context = service.context

    def close(self) -> None:
        self.service.close()

    def call(self, actor: Actor | None, method: str, request: Any) -> Any:
        return self.service.call(method, request, actor.token if actor else None)

    def fails(self, actor: Actor | None, method: str, request: Any) -> Refusal:
        return self.service.refused(method, request, actor.token if actor else None)

    # --- actors -----------------------------------------------------------------------

    def enterprise(self, name: str = "上海浦江精密机械有限公司") -> Actor:
        serial = next(_serial)
        organization_id = f"org-{serial}"
        self.identity.add_organization(organization_id, name, f"91310000MA1K{serial:06d}")
        token = self.service.minter.mint(f"acct-{serial}", org=organization_id, roles=("OWNER",), scopes=(SCOPE,))
        return Actor(name, token, organization_id)

    def staff(self, agency: str, *posts: str) -> Actor:
        token = self.service.minter.mint(f"staff-{next(_serial)}", roles=("STAFF", *posts), scopes=(SCOPE,),
                                         kind="STAFF", agency=agency)
        return Actor(agency, token)

    def bureau(self, code: str = SHANGHAI, *posts: str) -> Actor:
        return self.staff(f"CIQ:{code}", *(posts or ALL_POSTS))

    # --- an application as far as a test needs ---------------------------------------------

    def draft(self, enterprise: Actor, *, location: str = PUDONG, **basic: str) -> applications_pb.Application:
        created = self.call(enterprise, "CreateApplication", applications_pb.CreateApplicationRequest(
            declaration_accepted=True, exemption_clause="RESEARCH_TESTING", trade_mode="GENERAL_TRADE"))
        fields = {"contract_number": "PJ-2026-0318", "final_use_location_code": location, "contact_name": "王工",
                  "contact_phone": "13916001234", "contact_email": "wang@example.cn", **basic}
        return self.call(enterprise, "UpdateApplication", applications_pb.UpdateApplicationRequest(
            id=created.id, **fields))

    def add_product(self, enterprise: Actor, application_id: str, *, code: str = "8471411000",
                    quantity: str = "10", standard: str = "10", **fields: Any) -> products_pb.Product:
        form = self.call(enterprise, "GetHsCode", _hs(code, application_id))
        values = {"hs_code": code, "name": "工业控制计算机", "model": "IPC-610H", "brand": "研华",
                  "manufacturer": "研华科技股份有限公司", "quantity": quantity,
                  "quantity_unit": form.hs_code.standard_unit, "standard_quantity": standard,
                  "characteristics": [products_pb.Characteristic(name=c, value="220") for c in
                                      form.hs_code.characteristics], **fields}
        return self.call(enterprise, "CreateProduct", products_pb.CreateProductRequest(
            application_id=application_id, product=products_pb.ProductFields(**values)))

    def attach(self, enterprise: Actor, application_id: str, kind: str = "CONTRACT", content: bytes = PDF) -> Any:
        return self.call(enterprise, "UploadAttachment", attachments_pb.UploadAttachmentRequest(
            application_id=application_id, kind=kind,
            file=common_pb2.FileUpload(file_name=f"{kind.lower()}.pdf", content_type="application/pdf",
                                       content=content)))

    def submitted(self, enterprise: Actor, *, location: str = PUDONG, products: int = 1) -> applications_pb.Application:
        application = self.draft(enterprise, location=location)
        for _ in range(products):
            self.add_product(enterprise, application.id)
        self.attach(enterprise, application.id)
        return self.call(enterprise, "SubmitApplication", applications_pb.SubmitApplicationRequest(id=application.id))

    def review(self, actor: Actor, method: str, application_id: str, decision: str, **fields: str) -> Any:
        return self.call(actor, method, review_pb.ReviewRequest(id=application_id,
                                                                decision=DECISION.Value(decision), **fields))

    def issued(self, enterprise: Actor, *, location: str = PUDONG, products: int = 1,
               bureau: Actor | None = None) -> applications_pb.Application:
        application = self.submitted(enterprise, location=location, products=products)
        bureau = bureau or self.bureau(application.bureau.code)
        for method in ("ReviewAcceptance", "ReviewFirst", "ReviewFinal"):
            application = self.review(bureau, method, application.id, "PASS")
        return application

    # --- what was published -------------------------------------------------------------

    def notices(self, template: str) -> list[dict]:
        table = self.context.tables.outbox
        with self.context.engine.connect() as connection:
            rows = connection.execute(select(table.c.routing_key, table.c.payload).order_by(table.c.id)).all()
        payloads = [json.loads(p) for key, p in rows if key.startswith("notify.request")]
        return [p for p in payloads if p["template"] == template]

    @contextmanager
    def new_notices(self, template: str) -> Iterator[list[dict]]:
        before = len(self.notices(template))
        found: list[dict] = []
        yield found
        found.extend(self.notices(template)[before:])


def _hs(code: str, application_id: str = ""):
    from protos.ccc_exemption.v1 import catalogue_pb2

    return catalogue_pb2.GetHsCodeRequest(code=code, application_id=application_id)
