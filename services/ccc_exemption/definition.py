"""How the ccc_exemption service is put together."""

from services.ccc_exemption import grpc_api
from services.ccc_exemption.config import make_providers, read_config
from services.ccc_exemption.jobs import jobs_command
from services.ccc_exemption.models import Base
from services.ccc_exemption.seed import seed_reference_command
from services.chassis.context import ServiceDefinition
from services.chassis.documents.providers import ready_to_issue

DEFINITION = ServiceDefinition(
    name="ccc_exemption",
    metadata=Base.metadata,
    bindings=grpc_api.bindings,
    config=read_config,
    providers=make_providers,
    before_serving=ready_to_issue,
    commands={
        "seed-reference": ("load the HS catalogue, bureaus, delegation table and ports (idempotent)",
                           seed_reference_command),
        "jobs": ("delete drafts ten days after they were first saved (idempotent)", jobs_command),
    },
)
