"""How the notify service is put together."""

from pathlib import Path

from services.chassis.runtime import ServiceDefinition
from services.notify import grpc_api
from services.notify.commands import COMMANDS, direct_deliveries
from services.notify.models import MESSAGE_TABLES, Base

DEFINITION = ServiceDefinition(
    name="notify",
    metadata=Base.metadata,
    tables=MESSAGE_TABLES,
    versions_dir=Path(__file__).resolve().parent / "migrations" / "versions",
    bindings=grpc_api.bindings,
    commands=COMMANDS,
    direct_deliveries=direct_deliveries,
)
