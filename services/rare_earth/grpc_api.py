"""gRPC servicer: proto <-> use cases, nothing else."""

from protos.rare_earth.v1 import rare_earth_pb2, rare_earth_pb2_grpc
from services.chassis.runtime import ServiceContext
from services.chassis.server import ServiceBinding


class RareEarthService(rare_earth_pb2_grpc.RareEarthServiceServicer):
    def __init__(self, context: ServiceContext):
        self._context = context


def bindings(context: ServiceContext) -> list[ServiceBinding]:
    servicer = RareEarthService(context)
    add_to_server = rare_earth_pb2_grpc.add_RareEarthServiceServicer_to_server
    return [ServiceBinding.of(rare_earth_pb2, "RareEarthService", add_to_server, servicer)]
