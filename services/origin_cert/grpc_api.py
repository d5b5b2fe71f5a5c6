"""gRPC servicer: proto <-> use cases, nothing else."""

from protos.origin_cert.v1 import origin_cert_pb2, origin_cert_pb2_grpc
from services.chassis.runtime import ServiceContext
from services.chassis.server import ServiceBinding


class OriginCertService(origin_cert_pb2_grpc.OriginCertServiceServicer):
    def __init__(self, context: ServiceContext):
        self._context = context


def bindings(context: ServiceContext) -> list[ServiceBinding]:
    servicer = OriginCertService(context)
    add_to_server = origin_cert_pb2_grpc.add_OriginCertServiceServicer_to_server
    return [ServiceBinding.of(origin_cert_pb2, "OriginCertService", add_to_server, servicer)]
