"""How the ccc_exemption service is put together."""

from services.ccc_exemption import grpc_api
from services.ccc_exemption.models import Base
from services.chassis.context import ServiceDefinition

DEFINITION = ServiceDefinition(name="ccc_exemption", metadata=Base.metadata, bindings=grpc_api.bindings)
