"""How the identity service is put together."""

from __future__ import annotations

from services.chassis.auth import TokenVerifier
from services.chassis.context import ServiceDefinition
from services.identity import cli, grpc_api
from services.identity.handlers.keys import keep_keys_fresh, published_keys
from services.identity.models import Base
from services.identity.providers import IdentityContext, IdentityProviders, make_providers
from services.identity.secrets import IdentityConfig


def own_token_verifier(context: IdentityContext) -> TokenVerifier:
    """Identity verifies tokens against its own key table, read again on an unknown kid.

    The read is a small read-only query in the auth interceptor, before the call's use case
    opens its unit of work; no network, so no need to space the refetches out.
    """
    return TokenVerifier(lambda: published_keys(context), refetch_interval=0.0)


DEFINITION: ServiceDefinition[IdentityConfig, IdentityProviders] = ServiceDefinition(
    name="identity",
    metadata=Base.metadata,
    bindings=grpc_api.bindings,
    commands=cli.COMMANDS,
    config=IdentityConfig.from_env,
    providers=make_providers,
    token_verifier=own_token_verifier,
    # The signing keys are loaded before the first call and then kept fresh by a thread of their own.
    before_serving=keep_keys_fresh,
)
