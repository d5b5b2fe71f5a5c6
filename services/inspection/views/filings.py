"""Filings, their sub-tables and their changes as protos; ID numbers masked."""

from __future__ import annotations

from protos.inspection.v1 import filings_pb2 as pb
from services.chassis import wire
from services.chassis.wire import decimal_text
from services.inspection.domain.fields import json_name, mask
from services.inspection.domain.filings import FILING_FIELDS
from services.inspection.handlers.filing_changes import ChangeView
from services.inspection.handlers.filings import FilingView
from services.inspection.models import Certification, Department, Equipment, Filing, PastInspection
from services.inspection.views import day


def filing(f: Filing, view: FilingView | None = None) -> pb.Filing:
    message = pb.Filing(
        id=f.id, application_number=f.application_number, status=wire.enum_value(pb.Filing.Status, f.status),
        certificate_number=f.certificate_number or "", name=f.name, country=f.country, address=f.address,
        legal_representative=f.legal_representative, contact_name=f.contact_name, phone=f.phone, email=f.email,
        id_type=wire.enum_value(pb.IdType, f.id_type), id_number=mask(f.id_number), review_opinion=f.review_opinion,
        create_time=wire.timestamp(f.created_at), update_time=wire.timestamp(f.updated_at),
        submit_time=wire.timestamp(f.submitted_at), accept_time=wire.timestamp(f.accepted_at))
    if view is not None:
        message.departments.extend(department(d) for d in view.departments)
        message.equipment.extend(equipment(e) for e in view.equipment)
        message.certifications.extend(certification(c) for c in view.certifications)
        message.inspections.extend(past_inspection(i) for i in view.inspections)
        message.pending_change_id = view.pending_change_id
    return message


def filing_view(view: FilingView) -> pb.Filing:
    return filing(view.filing, view)


def department(d: Department) -> pb.Department:
    return pb.Department(id=d.id, name=d.name, head=d.head, staff_count=d.staff_count,
                         responsibilities=d.responsibilities)


def equipment(e: Equipment) -> pb.Equipment:
    return pb.Equipment(id=e.id, name=e.name, model=e.model, quantity=e.quantity, purpose=e.purpose,
                        calibrated_until=day(e.calibrated_until))


def certification(c: Certification) -> pb.Certification:
    return pb.Certification(id=c.id, name=c.name, certificate_number=c.certificate_number, issuer=c.issuer,
                            valid_until=day(c.valid_until))


def past_inspection(i: PastInspection) -> pb.PastInspection:
    return pb.PastInspection(id=i.id, year=i.year, goods_category=i.goods_category, batch_count=i.batch_count,
                             goods_value=decimal_text(i.goods_value), currency=i.currency, destination=i.destination)


def _shown(name: str, value: str) -> str:
    return mask(value) if name == "id_number" else value


def filing_change(view: ChangeView) -> pb.FilingChange:
    change, f = view.change, view.filing
    old = view.old_values
    return pb.FilingChange(
        id=change.id, filing_id=f.id, certificate_number=f.certificate_number or "", institution_name=f.name,
        status=wire.enum_value(pb.FilingChange.Status, change.status),
        changes=[pb.FilingChange.FieldChange(field=json_name(name), label=FILING_FIELDS[name].label,
                                             old_value=_shown(name, old.get(name, "")), new_value=_shown(name, value))
                 for name, value in view.new_values.items()],
        review_opinion=change.review_opinion, create_time=wire.timestamp(change.created_at),
        review_time=wire.timestamp(change.reviewed_at))
