"""How the identity service is put together."""

from __future__ import annotations

from services.chassis.auth import TokenVerifier
from services.chassis.context import ServiceDefinition
from services.chassis.revocations import Revocation, RevocationList
from services.identity import cli, grpc_api
from services.identity.handlers.keys import keep_keys_fresh, published_keys
from services.identity.handlers.revocations import list_revocations
from services.identity.models import Base
from services.identity.providers import IdentityContext, IdentityProviders, make_providers
from services.identity.secrets import IdentityConfig


def own_token_verifier(context: IdentityContext) -> TokenVerifier:
    """Identity verifies tokens against its own key table, read again on an unknown kid, and refuses
    those its own revocations cover, read from its database as other services ask for them.

    The key read is a small read-only query in the auth interceptor, before the call's use case
    opens its unit of work; no network, so no need to space the refetches out.
    """
    def fetch(since_ms: int, page_token: str) -> tuple[list[Revocation], str, int]:
        page = list_revocations(context, since_ms, 0, page_token)
        entries = [Revocation(id=str(listed.revocation.id), kind=listed.revocation.kind, key=listed.revocation.key,
                              issued_before_ms=listed.revocation.issued_before_ms,
                              expires_at=listed.expires_at_ms / 1000,
                              organization_id=listed.revocation.organization_id or "") for listed in page.items]
        return entries, page.next_page_token, page.as_of_ms

    revocations = RevocationList(fetch, interval=context.settings.revocation_poll_seconds)
    return TokenVerifier(lambda: published_keys(context), refetch_interval=0.0, revocations=revocations)


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
