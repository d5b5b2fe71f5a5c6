"""How the inspection service is put together."""

from services.chassis.context import ServiceDefinition
from services.inspection import grpc_api
from services.inspection.config import make_providers, read_config
from services.inspection.jobs import jobs_command
from services.inspection.models import Base
from services.inspection.seed import seed_demo_command, seed_reference_command

DEFINITION = ServiceDefinition(
    name="inspection",
    metadata=Base.metadata,
    bindings=grpc_api.bindings,
    config=read_config,
    providers=make_providers,
    commands={
        "seed-reference": ("load the dropdown lists every deployment needs (idempotent)", seed_reference_command),
        "seed-demo": ("load example rules, regulations and filed institutions (idempotent)", seed_demo_command),
        "jobs": ("end the not-recognised disposals whose period has run out (idempotent)", jobs_command),
    },
)
