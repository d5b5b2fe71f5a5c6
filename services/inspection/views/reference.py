"""Business rules, regulations, dropdown entries and filed institutions as protos."""

from __future__ import annotations

from protos.inspection.v1 import reference_pb2 as pb
from services.chassis import wire
from services.inspection.domain.oversight import DISPOSAL_KINDS, NORMAL
from services.inspection.handlers.institutions import FiledInstitution
from services.inspection.models import BusinessRule, ReferenceItem, Regulation
from services.inspection.views import day


def rule(r: BusinessRule) -> pb.BusinessRule:
    return pb.BusinessRule(id=r.id, hs_code=r.hs_code, product_name=r.product_name, category=r.category,
                           requirement=r.requirement, basis=r.basis, remarks=r.remarks,
                           update_time=wire.timestamp(r.updated_at))


def regulation(r: Regulation) -> pb.Regulation:
    return pb.Regulation(id=r.id, title=r.title, kind=wire.enum_value(pb.RegulationKind, r.kind),
                         document_number=r.document_number, issuer=r.issuer, published_on=day(r.published_on),
                         summary=r.summary, link=r.link, update_time=wire.timestamp(r.updated_at))


def reference_item(item: ReferenceItem) -> pb.ReferenceItem:
    return pb.ReferenceItem(list=wire.enum_value(pb.ReferenceList, item.list_code), code=item.code, name=item.name)


def institution(found: FiledInstitution) -> pb.FiledInstitution:
    f, disposal = found.filing, found.disposal
    return pb.FiledInstitution(
        filing_id=f.id, certificate_number=f.certificate_number or "", name=f.name, country=f.country,
        address=f.address, contact_name=f.contact_name, phone=f.phone, email=f.email,
        disposal_status=DISPOSAL_KINDS[disposal.kind] if disposal else NORMAL,
        disposal_kind=disposal.kind if disposal else "", disposal_ends_on=day(disposal.ends_on) if disposal else "",
        accept_time=wire.timestamp(f.accepted_at))
