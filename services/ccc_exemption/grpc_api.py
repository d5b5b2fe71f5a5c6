"""gRPC servicer: proto <-> use cases, nothing else."""

from protos.ccc_exemption.v1 import ccc_exemption_pb2, ccc_exemption_pb2_grpc
from services.chassis.runtime import ServiceContext
from services.chassis.server import ServiceBinding


class CccExemptionService(ccc_exemption_pb2_grpc.CccExemptionServiceServicer):
    def __init__(self, context: ServiceContext):
        self._context = context


def bindings(context: ServiceContext) -> list[ServiceBinding]:
    servicer = CccExemptionService(context)
    add_to_server = ccc_exemption_pb2_grpc.add_CccExemptionServiceServicer_to_server
    return [ServiceBinding.of(ccc_exemption_pb2, "CccExemptionService", add_to_server, servicer)]
