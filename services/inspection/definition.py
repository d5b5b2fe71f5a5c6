"""How the inspection service is put together."""

from pathlib import Path

from services.chassis.runtime import ServiceDefinition
from services.inspection import grpc_api
from services.inspection.models import MESSAGE_TABLES, Base

DEFINITION = ServiceDefinition(
    name="inspection",
    metadata=Base.metadata,
    tables=MESSAGE_TABLES,
    versions_dir=Path(__file__).resolve().parent / "migrations" / "versions",
    bindings=grpc_api.bindings,
)
