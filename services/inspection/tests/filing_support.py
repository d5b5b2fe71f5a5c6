"""Filings walked to where a test needs them: drafted, complete, applied for, accepted."""

from __future__ import annotations

from typing import Any

from protos.inspection.v1 import filings_pb2 as pb
from services.inspection.tests.support import Actor, InspectionHarness


def filing_request(name: str = "德国装运前检验有限公司", **overrides: Any) -> pb.CreateFilingRequest:
    fields = dict(name=name, country="DE", address="Hafenstraße 5, 20457 Hamburg", legal_representative="Hans Müller",
                  contact_name="Eva Weber", phone="+49 40 7654321", email="psi@example.de", id_type=pb.PASSPORT,
                  id_number="C01X00T47")
    fields.update(overrides)
    return pb.CreateFilingRequest(**fields)


def fill_sub_tables(harness: InspectionHarness, institution: Actor, filing_id: str) -> None:
    harness.act(institution, "AddDepartment", pb.AddDepartmentRequest(
        id=filing_id, name="检验部", head="Klaus Becker", staff_count=12, responsibilities="实施装运前检验"))
    harness.act(institution, "AddEquipment", pb.AddEquipmentRequest(
        id=filing_id, name="超声波测厚仪", model="UTG-200", quantity=3, purpose="壁厚检测",
        calibrated_until="2027-12-31"))
    harness.act(institution, "AddCertification", pb.AddCertificationRequest(
        id=filing_id, name="ISO/IEC 17020", certificate_number="D-IS-12345", issuer="DAkkS", valid_until="2028-06-30"))


def applied(harness: InspectionHarness, institution: Actor, name: str | None = None) -> pb.Filing:
    created = harness.act(institution, "CreateFiling", filing_request(name or institution.name))
    fill_sub_tables(harness, institution, created.id)
    return harness.act(institution, "SubmitFiling", pb.SubmitFilingRequest(id=created.id))


def filed(harness: InspectionHarness, institution: Actor | None = None, name: str = "示范检验机构") -> tuple[Actor,
                                                                                                          pb.Filing]:
    """An institution whose filing customs accepted."""
    institution = institution or harness.institution(name)
    submitted = applied(harness, institution)
    accepted = harness.act(harness.customs(), "AcceptFiling", pb.AcceptFilingRequest(id=submitted.id))
    return institution, accepted
