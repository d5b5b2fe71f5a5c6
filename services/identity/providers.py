"""Identity's pluggable parts, and the type of its per-process context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.chassis.context import ServiceContext
from services.identity.keys import KeyStore
from services.identity.secrets import IdentityConfig, Secrets


@dataclass(frozen=True)
class IdentityProviders:
    secrets: Secrets
    keys: KeyStore


IdentityContext = ServiceContext[IdentityConfig, IdentityProviders]


def make_providers(context: ServiceContext[IdentityConfig, Any]) -> IdentityProviders:
    secrets = Secrets(context.config)
    return IdentityProviders(secrets=secrets, keys=KeyStore(secrets, context.config.access_token_seconds))
