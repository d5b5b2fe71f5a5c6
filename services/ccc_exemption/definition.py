"""How the ccc_exemption service is put together."""

from pathlib import Path

from services.ccc_exemption import grpc_api
from services.ccc_exemption.models import MESSAGE_TABLES, Base
from services.chassis.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="ccc_exemption",
    metadata=Base.metadata,
    tables=MESSAGE_TABLES,
    versions_dir=Path(__file__).resolve().parent / "migrations" / "versions",
    bindings=grpc_api.bindings,
)
