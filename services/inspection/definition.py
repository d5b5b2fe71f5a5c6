"""How the inspection service is put together."""

from services.chassis.context import ServiceDefinition
from services.inspection import grpc_api
from services.inspection.models import Base

DEFINITION = ServiceDefinition(name="inspection", metadata=Base.metadata, bindings=grpc_api.bindings)
