"""How the origin_cert service is put together."""

from pathlib import Path

from services.chassis.runtime import ServiceDefinition
from services.origin_cert import grpc_api
from services.origin_cert.models import MESSAGE_TABLES, Base

DEFINITION = ServiceDefinition(
    name="origin_cert",
    metadata=Base.metadata,
    tables=MESSAGE_TABLES,
    versions_dir=Path(__file__).resolve().parent / "migrations" / "versions",
    bindings=grpc_api.bindings,
)
