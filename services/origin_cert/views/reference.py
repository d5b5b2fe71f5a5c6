"""Reference data and the enterprise's filing, as protos."""

from __future__ import annotations

from protos.origin_cert.v1 import enterprise_pb2, reference_pb2
from services.chassis import wire
from services.origin_cert.domain.origin import CRITERION_LABELS
from services.origin_cert.domain.origin import Agreement as AgreementRule
from services.origin_cert.handlers.enterprise import EnterpriseView, MigrationView
from services.origin_cert.handlers.reference import AgreementInput
from services.origin_cert.models import Branch, Country


def branch_pb(b: Branch) -> reference_pb2.Branch:
    return reference_pb2.Branch(code=b.code, name=b.name, name_en=b.name_en, serial_code=b.serial_code)


def country_pb(c: Country) -> reference_pb2.Country:
    return reference_pb2.Country(code=c.code, name=c.name, name_en=c.name_en)


def agreement_pb(a: AgreementRule) -> reference_pb2.Agreement:
    return reference_pb2.Agreement(
        code=a.code, name=a.name, name_en=a.name_en, preferential=a.preferential, number_prefix=a.number_prefix,
        member_countries=sorted(a.members),
        criteria=[reference_pb2.OriginCriterion(code=c, label=CRITERION_LABELS[c]) for c in a.criteria],
        rvc_threshold=wire.decimal_text(a.rvc_threshold.normalize()), value_basis=a.value_basis,
        ctc_digits=a.ctc_digits, hs_digits=a.hs_digits, needs_ecfa_code=a.needs_ecfa_code)


def agreement_input(request: reference_pb2.SaveAgreementRequest) -> AgreementInput:
    return AgreementInput(
        code=request.code.strip(), name=request.name, name_en=request.name_en, preferential=request.preferential,
        number_prefix=request.number_prefix.strip(), member_countries=tuple(request.member_countries),
        criteria=tuple(request.criteria),
        rvc_threshold=wire.decimal_value(request.rvc_threshold, "rvcThreshold", label="区域价值成分标准"),
        value_basis=request.value_basis or "FOB", ctc_digits=request.ctc_digits or 4,
        hs_digits=request.hs_digits or 6, needs_ecfa_code=request.needs_ecfa_code)


def enterprise_pb(view: EnterpriseView) -> enterprise_pb2.Enterprise:
    e = view.enterprise
    return enterprise_pb2.Enterprise(
        organization_id=e.organization_id, name=e.name, uscc=e.uscc, branch=e.branch, branch_name=view.branch_name,
        name_en=e.name_en, address_en=e.address_en, enterprise_type=e.enterprise_type, contact_name=e.contact_name,
        contact_phone=e.contact_phone, create_time=wire.timestamp(e.created_at),
        update_time=wire.timestamp(e.updated_at))


def migration_pb(view: MigrationView) -> enterprise_pb2.BranchMigration:
    m, names = view.migration, view.names
    return enterprise_pb2.BranchMigration(
        id=m.id, organization_id=m.organization_id, organization_name=m.organization_name,
        from_branch=m.from_branch, from_branch_name=names.get(m.from_branch, ""), to_branch=m.to_branch,
        to_branch_name=names.get(m.to_branch, ""), reason=m.reason, status=m.status,
        decided_by_name=m.decided_by_name, decision_note=m.decision_note, create_time=wire.timestamp(m.created_at),
        decide_time=wire.timestamp(m.decided_at))
