"""How the origin_cert service is put together."""

from __future__ import annotations

from services.chassis.context import ServiceDefinition
from services.chassis.documents.config import DocumentsConfig
from services.chassis.documents.providers import DocumentsProviders, ready_to_issue
from services.origin_cert import grpc_api, seed
from services.origin_cert.config import make_providers, read_config
from services.origin_cert.models import Base

DEFINITION: ServiceDefinition[DocumentsConfig, DocumentsProviders] = ServiceDefinition(
    name="origin_cert",
    metadata=Base.metadata,
    bindings=grpc_api.bindings,
    config=read_config,
    providers=make_providers,
    before_serving=ready_to_issue,
    commands={
        "seed-reference": ("load the reference data: branches, countries, certificate types, sample tariffs "
                           "(idempotent)", seed.seed_reference_command),
        "import-tariffs": ("import full tariff schedules from a CSV file "
                           "(importing_country,agreement,hs_code,rate,year)", seed.import_tariffs_command),
    },
)
