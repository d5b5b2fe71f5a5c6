"""The servicers, one per gRPC service of the protos: request -> plain values -> use case -> view."""

from __future__ import annotations

from protos.origin_cert.v1 import (
    questionnaires_pb2_grpc,
    todo_pb2_grpc,
    verifications_pb2_grpc,
)
from services.chassis.server import ServiceBinding
from services.origin_cert.config import OriginCertContext
from services.origin_cert.grpc_api.certificates import CertificateReviewServicer, CertificateServicer, CheckServicer
from services.origin_cert.grpc_api.enterprise import EnterpriseServicer, ReferenceServicer
from services.origin_cert.grpc_api.exchange import PartyServicer
from services.origin_cert.grpc_api.pre_reviews import PreReviewServicer, TariffServicer

SERVICERS = (ReferenceServicer, EnterpriseServicer, PreReviewServicer, TariffServicer, CertificateServicer,
             CertificateReviewServicer, CheckServicer, PartyServicer)
# Declared and served (so health checks answer SERVING) while their use cases are being built.
PENDING = (verifications_pb2_grpc.VerificationServiceServicer,
           questionnaires_pb2_grpc.QuestionnaireServiceServicer, todo_pb2_grpc.TodoServiceServicer)


def bindings(context: OriginCertContext) -> list[ServiceBinding]:
    return [*(ServiceBinding.of(servicer(context)) for servicer in SERVICERS),
            *(ServiceBinding.of(servicer()) for servicer in PENDING)]
