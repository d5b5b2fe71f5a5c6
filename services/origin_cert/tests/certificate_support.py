"""Certificates walked through for the tests: from an approved pre-review to a complete, sent, approved one."""

from __future__ import annotations

from protos.origin_cert.v1 import certificate_review_pb2 as review_pb
from protos.origin_cert.v1 import certificates_pb2 as pb
from services.origin_cert.tests.test_pre_reviews import approved


def goods(pre_review_id: str, **overrides) -> pb.GoodsLineInput:
    fields = dict(pre_review_id=pre_review_id, origin_criterion="RVC", marks="TONGBAN/TYO\nC/NO.1-200",
                  description="LED DESK LAMPS", package_quantity=200, package_unit="CARTONS", autofill=True,
                  quantity="1200", quantity_unit="PCS", gross_weight="1250.5", fob_value="18400.00")
    fields.update(overrides)
    return pb.GoodsLineInput(**fields)


def complete(certificate_id: str, pre_review_id: str, *, lines=None, **overrides) -> pb.UpdateCertificateRequest:
    fields = dict(id=certificate_id, invoice_number="INV-2026-0318", invoice_date="2026-03-18",
                  importer_name="TOKYO LIGHTING TRADING K.K.", importer_address="2-1 MARUNOUCHI, CHIYODA-KU, TOKYO",
                  importer_country="JP", departure_date="2026-03-25", transport_means="SEA",
                  vessel="COSCO HARMONY V.026E", port_of_loading="SHANGHAI", port_of_discharge="TOKYO",
                  goods=lines if lines is not None else [goods(pre_review_id)])
    fields.update(overrides)
    return pb.UpdateCertificateRequest(**fields)


def drafted(origin, admin, certificate_type: str = "RCEP", destination: str = "JP", criterion: str = "RVC"):
    """An approved lamp pre-review and a smart-created draft of ``certificate_type`` for ``destination``."""
    pre_review = approved(origin, admin)
    draft = origin.call(admin, "CreateCertificate", pb.CreateCertificateRequest(
        pre_review_id=pre_review.id, destination_country=destination, certificate_type=certificate_type,
        origin_criterion=criterion if certificate_type != "GENERAL" else ""))
    return pre_review, draft


def issued(origin, admin, certificate_type: str = "RCEP", destination: str = "JP", criterion: str = "RVC"):
    """A complete certificate sent and approved by a Beijing visa officer."""
    pre_review, draft = drafted(origin, admin, certificate_type, destination, criterion)
    line = goods(pre_review.id, origin_criterion=criterion if certificate_type != "GENERAL" else "")
    origin.call(admin, "UpdateCertificate", complete(draft.id, pre_review.id, lines=[line]))
    origin.call(admin, "SubmitCertificate", review_pb.CertificateActionRequest(id=draft.id))
    return origin.call(origin.officer("BEIJING", "VISA_OFFICER"), "ApproveCertificate",
                       review_pb.ApproveCertificateRequest(id=draft.id))


def printed(origin, admin, **kwargs):
    certificate = issued(origin, admin, **kwargs)
    origin.call(admin, "PrintCertificate", review_pb.CertificateActionRequest(id=certificate.id))
    return certificate
