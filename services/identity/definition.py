"""How the identity service is put together."""

from pathlib import Path

from services.chassis.auth import TokenVerifier
from services.chassis.runtime import ServiceContext, ServiceDefinition
from services.identity import cli, grpc_api
from services.identity.handlers.common import IdentityApp
from services.identity.models import MESSAGE_TABLES, Base


def own_token_verifier(context: ServiceContext) -> TokenVerifier:
    """Identity verifies tokens against its own key store, read fresh on an unknown kid."""
    keys = IdentityApp.for_context(context).keys
    # The key store is in our own database: an unknown kid costs one small query, no network.
    return TokenVerifier(lambda: keys.jwks(fresh=True), refetch_interval=0.0)


DEFINITION = ServiceDefinition(
    name="identity",
    metadata=Base.metadata,
    tables=MESSAGE_TABLES,
    versions_dir=Path(__file__).resolve().parent / "migrations" / "versions",
    bindings=grpc_api.bindings,
    commands=cli.COMMANDS,
    token_verifier=own_token_verifier,
)
