"""gRPC servicer: request -> plain values -> use case -> view; nothing else."""

from protos.origin_cert.v1 import origin_cert_pb2_grpc
from services.chassis.context import ServiceContext
from services.chassis.server import ServiceBinding


class OriginCertService(origin_cert_pb2_grpc.OriginCertServiceServicer):
    def __init__(self, context: ServiceContext):
        self._context = context


def bindings(context: ServiceContext) -> list[ServiceBinding]:
    return [ServiceBinding.of(OriginCertService(context))]
