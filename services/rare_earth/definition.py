"""How the rare_earth service is put together."""

from services.chassis.context import ServiceDefinition
from services.rare_earth import grpc_api
from services.rare_earth.config import read_config
from services.rare_earth.jobs import jobs_command
from services.rare_earth.models import Base
from services.rare_earth.seed import seed_reference_command

DEFINITION = ServiceDefinition(
    name="rare_earth",
    metadata=Base.metadata,
    bindings=grpc_api.bindings,
    config=read_config,
    commands={
        "seed-reference": ("load the data dictionary (idempotent)", seed_reference_command),
        "jobs": ("after reporting windows close: upload-missing and trace-data cases (idempotent)", jobs_command),
    },
)
