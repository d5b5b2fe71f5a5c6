"""Commissions walked to where a test needs them: drafted, with goods and a document, submitted, accepted."""

from __future__ import annotations

from typing import Any

from protos.common.v1 import common_pb2 as common_pb
from protos.inspection.v1 import commissions_pb2 as pb
from protos.inspection.v1 import resources_pb2 as resources_pb
from services.chassis.documents.tests.files import MINIMAL_PDF
from services.inspection.tests.support import Actor, InspectionHarness


def commission_request(filing_id: str, **overrides: Any) -> pb.CreateCommissionRequest:
    fields = dict(consignee="上海示范机械进口有限公司", contact_name="王经理", contact_phone="021-61234567",
                  contact_mobile="13912345678", contact_email="import@example.cn", entry_customs="2200",
                  destination="310000", destination_customs="2200", usage="01", filing_id=filing_id)
    fields.update(overrides)
    return pb.CreateCommissionRequest(**fields)


def goods_request(commission_id: str, **overrides: Any) -> pb.AddGoodsRequest:
    fields = dict(id=commission_id, name="数控折弯机", hs_code="8462291000", model="TruBend 5130",
                  manufacture_year=2015, quantity="2", unit="台", unit_price="125000.50", currency="EUR")
    fields.update(overrides)
    return pb.AddGoodsRequest(**fields)


def pdf(kind: str, record_id: str, name: str = "contract.pdf") -> resources_pb.UploadAttachmentRequest:
    return resources_pb.UploadAttachmentRequest(id=record_id, kind=kind, file=common_pb.FileUpload(
        file_name=name, content_type="application/pdf", content=MINIMAL_PDF))


def drafted(harness: InspectionHarness, enterprise: Actor, filing_id: str) -> pb.Commission:
    """A draft with one goods line and its contract."""
    draft = harness.act(enterprise, "CreateCommission", commission_request(filing_id))
    harness.act(enterprise, "AddGoods", goods_request(draft.id))
    harness.act(enterprise, "UploadCommissionAttachment", pdf("CONTRACT", draft.id))
    return draft


def submitted(harness: InspectionHarness, enterprise: Actor, filing_id: str) -> pb.Commission:
    draft = drafted(harness, enterprise, filing_id)
    return harness.act(enterprise, "SubmitCommission", pb.SubmitCommissionRequest(id=draft.id))
