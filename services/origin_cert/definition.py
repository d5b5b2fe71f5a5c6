"""How the origin_cert service is put together."""

from services.chassis.context import ServiceDefinition
from services.origin_cert import grpc_api
from services.origin_cert.models import Base

DEFINITION = ServiceDefinition(name="origin_cert", metadata=Base.metadata, bindings=grpc_api.bindings)
