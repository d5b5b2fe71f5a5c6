"""The servicers, one per gRPC service of the protos: request -> plain values -> use case -> view."""

from __future__ import annotations

from services.chassis.server import ServiceBinding
from services.origin_cert.config import OriginCertContext
from services.origin_cert.grpc_api.certificates import CertificateReviewServicer, CertificateServicer, CheckServicer
from services.origin_cert.grpc_api.enterprise import EnterpriseServicer, ReferenceServicer
from services.origin_cert.grpc_api.exchange import (
    PartyServicer,
    QuestionnaireServicer,
    TodoServicer,
    VerificationServicer,
)
from services.origin_cert.grpc_api.pre_reviews import PreReviewServicer, TariffServicer

SERVICERS = (ReferenceServicer, EnterpriseServicer, PreReviewServicer, TariffServicer, CertificateServicer,
             CertificateReviewServicer, CheckServicer, PartyServicer, VerificationServicer, QuestionnaireServicer,
             TodoServicer)


def bindings(context: OriginCertContext) -> list[ServiceBinding]:
    return [ServiceBinding.of(servicer(context)) for servicer in SERVICERS]
