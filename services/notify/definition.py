"""How the notify service is put together."""

from services.chassis.context import ServiceDefinition
from services.notify import grpc_api
from services.notify.commands import COMMANDS, direct_deliveries
from services.notify.models import Base
from services.notify.providers import NotifyProviders, providers_for
from services.notify.settings import NotifySettings

DEFINITION: ServiceDefinition[NotifySettings, NotifyProviders] = ServiceDefinition(
    name="notify",
    metadata=Base.metadata,
    bindings=grpc_api.bindings,
    commands=COMMANDS,
    config=NotifySettings.from_env,
    providers=providers_for,
    direct_deliveries=direct_deliveries,
)
