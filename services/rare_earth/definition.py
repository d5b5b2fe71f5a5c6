"""How the rare_earth service is put together."""

from pathlib import Path

from services.chassis.runtime import ServiceDefinition
from services.rare_earth import grpc_api
from services.rare_earth.jobs import jobs_command
from services.rare_earth.models import MESSAGE_TABLES, Base
from services.rare_earth.seed import seed_demo_command

DEFINITION = ServiceDefinition(
    name="rare_earth",
    metadata=Base.metadata,
    tables=MESSAGE_TABLES,
    versions_dir=Path(__file__).resolve().parent / "migrations" / "versions",
    bindings=grpc_api.bindings,
    commands={
        "seed-demo": ("load the demo data dictionary (idempotent)", seed_demo_command),
        "jobs": ("after reporting windows close: upload-missing and trace-data cases (idempotent)", jobs_command),
    },
)
