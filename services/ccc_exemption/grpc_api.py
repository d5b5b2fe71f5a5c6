"""gRPC servicer: request -> plain values -> use case -> view; nothing else."""

from protos.ccc_exemption.v1 import ccc_exemption_pb2_grpc
from services.chassis.context import ServiceContext
from services.chassis.server import ServiceBinding


class CccExemptionService(ccc_exemption_pb2_grpc.CccExemptionServiceServicer):
    def __init__(self, context: ServiceContext):
        self._context = context


def bindings(context: ServiceContext) -> list[ServiceBinding]:
    return [ServiceBinding.of(CccExemptionService(context))]
