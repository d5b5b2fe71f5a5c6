"""gRPC servicer: request -> plain values -> use case -> view; nothing else."""

from protos.inspection.v1 import inspection_pb2_grpc
from services.chassis.context import ServiceContext
from services.chassis.server import ServiceBinding


class InspectionService(inspection_pb2_grpc.InspectionServiceServicer):
    def __init__(self, context: ServiceContext):
        self._context = context


def bindings(context: ServiceContext) -> list[ServiceBinding]:
    return [ServiceBinding.of(InspectionService(context))]
