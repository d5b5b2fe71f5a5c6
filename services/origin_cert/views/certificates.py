"""Certificates, their options, lost-reissues and checks, as protos; and an edit request as plain values."""

from __future__ import annotations

from protos.origin_cert.v1 import certificates_pb2 as pb
from protos.origin_cert.v1 import checks_pb2
from services.chassis import wire
from services.origin_cert.domain import certificates as rules
from services.origin_cert.domain import words
from services.origin_cert.domain.origin import CRITERION_LABELS, RVC, Criterion, Option
from services.origin_cert.forms import transport_text
from services.origin_cert.handlers.certificate_edit import EditInput, LineInput
from services.origin_cert.handlers.certificates import CertificateQuery, CertificateView, OptionsView
from services.origin_cert.handlers.checks import CheckView
from services.origin_cert.models import CertificateGood, LostReissue
from services.origin_cert.views.common import amount, day_text, day_value, decimal_text, history_pb, plain


def query_of(request: pb.ListCertificatesRequest) -> CertificateQuery:
    return CertificateQuery(
        certificate_type=request.certificate_type.strip(), invoice_number=request.invoice_number.strip(),
        number=request.number.strip().upper(), created_from=day_value(request.created_from, "createdFrom"),
        created_to=day_value(request.created_to, "createdTo"),
        destination_country=request.destination_country.strip().upper(), status=request.status,
        print_status=request.print_status, visa_officer=request.visa_officer.strip(),
        importer=request.importer.strip())


def edit_input(request: pb.UpdateCertificateRequest) -> EditInput:
    fields = rules.CertificateFields(
        invoice_number=request.invoice_number.strip(), invoice_date=day_value(request.invoice_date, "invoiceDate"),
        importer_name=request.importer_name, importer_address=request.importer_address,
        importer_country=request.importer_country.strip().upper(), producer_name=request.producer_name,
        producer_address=request.producer_address,
        departure_date=day_value(request.departure_date, "departureDate"),
        transport_means=request.transport_means.strip().upper(), vessel=request.vessel,
        port_of_loading=request.port_of_loading, port_of_discharge=request.port_of_discharge,
        remarks=request.remarks, declaration_place=request.declaration_place,
        intermediary_name=request.intermediary_name, intermediary_address=request.intermediary_address,
        intermediary_shown=request.intermediary_shown, third_party_invoicing=request.third_party_invoicing,
        back_to_back=request.back_to_back, issued_retroactively=request.issued_retroactively,
        exhibition=request.exhibition)
    lines = tuple(LineInput(rules.GoodsLine(
        pre_review_id=g.pre_review_id.strip(), origin_criterion=g.origin_criterion.strip().upper(), marks=g.marks,
        marks_image_id=g.marks_image_id.strip(), description=g.description,
        package_quantity=g.package_quantity or None, package_unit=g.package_unit, hs_code=g.hs_code.strip(),
        quantity=amount(g.quantity, f"goods[{i}].quantity", "数量"), quantity_unit=g.quantity_unit,
        gross_weight=amount(g.gross_weight, f"goods[{i}].grossWeight", "毛重"),
        fob_value=amount(g.fob_value, f"goods[{i}].fobValue", "FOB值")), autofill=g.autofill)
        for i, g in enumerate(request.goods))
    return EditInput(fields, lines, request.importer_party_id.strip(), request.producer_party_id.strip(),
                     tuple(i.strip() for i in request.special_clause_ids))


def _criterion_pb(c: Criterion) -> pb.CriterionOption:
    return pb.CriterionOption(code=c.code, label=CRITERION_LABELS[c.code], holds=c.holds, reason=c.reason,
                              value=decimal_text(c.value), threshold=decimal_text(c.threshold.normalize())
                              if c.threshold is not None else "", basis=c.basis)


def _option_pb(o: Option) -> pb.CertificateOption:
    return pb.CertificateOption(certificate_type=o.agreement.code, name=o.agreement.name,
                                preferential=o.agreement.preferential, applies=o.applies, reason=o.reason,
                                criteria=[_criterion_pb(c) for c in o.criteria])


def options_pb(view: OptionsView) -> pb.CertificateOptions:
    return pb.CertificateOptions(
        pre_review_id=view.pre_review.id, destination_country=view.destination, destination_name=view.destination_name,
        hs_code=view.hs_code, options=[_option_pb(o) for o in view.options if o.applies],
        not_applicable=[_option_pb(o) for o in view.options if not o.applies and o.agreement.covers(view.destination)])


def _line_pb(line: CertificateGood, view: CertificateView) -> pb.GoodsLine:
    product = view.products.get(line.pre_review_id)
    shown = f"{RVC} {line.value_content}%" if line.origin_criterion == RVC and line.value_content is not None \
        else line.origin_criterion
    return pb.GoodsLine(
        pre_review_id=line.pre_review_id, pre_review_number=product.number if product else "",
        product_name=product.product_name if product else "", origin_criterion=line.origin_criterion,
        origin_criterion_shown=shown, value_content=decimal_text(line.value_content), marks=line.marks,
        marks_image_id=line.marks_image_id, description=line.description, package_quantity=line.package_quantity or 0,
        package_unit=line.package_unit,
        full_description=words.described(line.description, line.package_quantity, line.package_unit),
        hs_code=line.hs_code, quantity=plain(line.quantity), quantity_unit=line.quantity_unit,
        gross_weight=plain(line.gross_weight), fob_value=plain(line.fob_value))


def lost_reissue_pb(reissue: LostReissue, number: str) -> pb.LostReissue:
    return pb.LostReissue(id=reissue.id, certificate_id=reissue.certificate_id, certificate_number=number,
                          reason=reissue.reason, status=reissue.status, decided_by_name=reissue.decided_by_name,
                          decision_note=reissue.decision_note, create_time=wire.timestamp(reissue.created_at),
                          decide_time=wire.timestamp(reissue.decided_at))


def certificate_pb(view: CertificateView) -> pb.Certificate:
    c = view.certificate
    return pb.Certificate(
        id=c.id, organization_id=c.organization_id, branch=c.branch, branch_name=view.branch_name,
        certificate_type=c.certificate_type, certificate_type_name=view.type_name, status=c.status,
        print_status=c.print_status, number=c.number or "", print_number=c.print_number, check_code=c.check_code,
        destination_country=c.destination_country, destination_name=view.country_names.get(c.destination_country, ""),
        invoice_number=c.invoice_number, invoice_date=day_text(c.invoice_date), exporter_name=c.exporter_name,
        exporter_address=c.exporter_address, intermediary_name=c.intermediary_name,
        intermediary_address=c.intermediary_address, intermediary_shown=c.intermediary_shown,
        importer_name=c.importer_name, importer_address=c.importer_address, importer_country=c.importer_country,
        producer_name=c.producer_name, producer_address=c.producer_address, departure_date=day_text(c.departure_date),
        transport_means=c.transport_means, vessel=c.vessel, port_of_loading=c.port_of_loading,
        port_of_discharge=c.port_of_discharge, remarks=c.remarks, declaration_place=c.declaration_place,
        third_party_invoicing=c.third_party_invoicing, back_to_back=c.back_to_back,
        issued_retroactively=c.issued_retroactively, exhibition=c.exhibition,
        goods=[_line_pb(g, view) for g in view.goods],
        gaps=[pb.FieldGap(field=g.field, description=g.description) for g in view.gaps],
        amends_id=c.amends_id or "", amend_reason=c.amend_reason, amended_by_id=c.amended_by_id or "",
        copied_from_id=c.copied_from_id or "", visa_officer_id=c.visa_officer_id,
        visa_officer_name=c.visa_officer_name, rejection_reason=c.rejection_reason, void_reason=c.void_reason,
        lost_reissue=lost_reissue_pb(view.lost_reissue, c.number or "") if view.lost_reissue else None,
        history=history_pb(view.steps), create_time=wire.timestamp(c.created_at),
        update_time=wire.timestamp(c.updated_at), submit_time=wire.timestamp(c.submitted_at),
        approve_time=wire.timestamp(c.approved_at), print_time=wire.timestamp(c.printed_at))


def check_pb(check: CheckView) -> checks_pb2.CertificateCheck:
    view, c = check.view, check.view.certificate
    answer = checks_pb2.CertificateCheck(
        genuine=True, record_status=check.status, message=check.message, number=c.number or "",
        certificate_type=c.certificate_type, certificate_type_name=view.type_name, exporter_name=c.exporter_name,
        destination_country=c.destination_country, destination_name=view.country_names.get(c.destination_country, ""),
        issuing_branch=view.branch_name, issue_time=wire.timestamp(c.approved_at), detailed=check.detailed,
        goods=[checks_pb2.CheckedGoods(description=g.description, hs_code=g.hs_code,
                                       origin_criterion=g.origin_criterion) for g in view.goods])
    if check.detailed:
        for line, shown in zip(view.goods, answer.goods, strict=True):
            shown.quantity = f"{plain(line.quantity)} {line.quantity_unit}".strip()
            shown.gross_weight, shown.fob_value = plain(line.gross_weight), plain(line.fob_value)
            shown.marks = line.marks
        answer.importer_name, answer.importer_address = c.importer_name, c.importer_address
        answer.producer_name, answer.invoice_number = c.producer_name, c.invoice_number
        answer.invoice_date, answer.print_number = day_text(c.invoice_date), c.print_number
        answer.print_status, answer.visa_officer_name = c.print_status, c.visa_officer_name
        answer.amended_by_number, answer.transport = check.amended_by_number, transport_text(c.transport_means,
                                                                                              c.vessel)
    return answer
