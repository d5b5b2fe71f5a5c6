"""gRPC servicer: proto <-> use cases, nothing else."""

from protos.inspection.v1 import inspection_pb2, inspection_pb2_grpc
from services.chassis.runtime import ServiceContext
from services.chassis.server import ServiceBinding


class InspectionService(inspection_pb2_grpc.InspectionServiceServicer):
    def __init__(self, context: ServiceContext):
        self._context = context


def bindings(context: ServiceContext) -> list[ServiceBinding]:
    servicer = InspectionService(context)
    add_to_server = inspection_pb2_grpc.add_InspectionServiceServicer_to_server
    return [ServiceBinding.of(inspection_pb2, "InspectionService", add_to_server, servicer)]
