"""A service, described once (:class:`ServiceDefinition`) and made once per process (:class:`ServiceContext`).

The context is the one per-process object a service has: the shared settings, the
service's own typed settings, its database and units of work, the channels to its
peers, the identity client and the service's providers (its pluggable parts: an SMS
gateway, a key store). Use cases take it as their first argument.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, MetaData
from sqlalchemy.orm import Session, sessionmaker

from services.chassis import registry
from services.chassis.auth import TokenVerifier
from services.chassis.clients.identity import IdentityClient
from services.chassis.config import REPO_ROOT, ServiceSettings
from services.chassis.db import make_engine, make_session_factory
from services.chassis.grpc_client import ChannelFactory
from services.chassis.messages import InboundMessage
from services.chassis.outbox import MessageTables
from services.chassis.server import ServiceBinding
from services.chassis.uow import UnitOfWork

ConfigT = TypeVar("ConfigT")
ProvidersT = TypeVar("ProvidersT")

# Raises when the message was not delivered; returning means the receiver has it.
DirectDelivery = Callable[[InboundMessage], None]


@dataclass
class ServiceContext(Generic[ConfigT, ProvidersT]):
    """Everything a service's use cases and servicers need at run time, made once per process."""

    settings: ServiceSettings
    tables: MessageTables
    channels: ChannelFactory
    # The service's own settings (its ``<SERVICE>_*`` variables), typed; None when it has none.
    config: ConfigT = None  # type: ignore[assignment]
    # The service's pluggable parts, made by its definition once the context exists.
    providers: ProvidersT = None  # type: ignore[assignment]
    identity: IdentityClient = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.identity is None:
            self.identity = IdentityClient(self.channels)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """One per use case; ``read_only=True`` for queries (on SQLite they never wait for or block writers)."""
        from services.chassis.telemetry import outgoing_headers

        return UnitOfWork(self.session_factory, self.tables, header_source=outgoing_headers, read_only=read_only,
                          strict=self.settings.environment != "prod")


Command = Callable[[ServiceContext, Sequence[str]], int]


@dataclass(frozen=True)
class ServiceDefinition(Generic[ConfigT, ProvidersT]):
    """How one service is put together; its name is its entry in the service registry."""

    name: str
    metadata: MetaData
    bindings: Callable[[ServiceContext], Sequence[ServiceBinding]]
    # Extra subcommands: name -> (help, command).
    commands: Mapping[str, tuple[str, Command]] = field(default_factory=dict)
    # Reads the service's own settings from an environment (None: os.environ), naming every bad variable.
    config: Callable[[Mapping[str, str] | None], ConfigT] | None = None
    providers: Callable[[ServiceContext], ProvidersT] | None = None
    # Identity verifies with its own keys; everyone else fetches identity's JWKS.
    token_verifier: Callable[[ServiceContext], TokenVerifier] | None = None
    # Runs before the server takes its first call; returns what to run once it has stopped.
    before_serving: Callable[[ServiceContext], Callable[[], None]] | None = None
    # When no broker answers, the relay hands messages for these exchanges straight to a
    # delivery; None removes a default route. Messages for other exchanges wait in the outbox.
    direct_deliveries: Callable[[ServiceContext], Mapping[str, DirectDelivery | None]] | None = None

    @property
    def spec(self) -> registry.ServiceSpec:
        return registry.spec(self.name)

    @property
    def tables(self) -> MessageTables:
        return MessageTables.of(self.metadata)

    @property
    def versions_dir(self) -> Path:
        return REPO_ROOT / "services" / self.name / "migrations" / "versions"


def build_context(definition: ServiceDefinition[ConfigT, ProvidersT], settings: ServiceSettings | None = None, *,
                  environ: Mapping[str, str] | None = None, config: ConfigT | None = None,
                  providers: ProvidersT | None = None, channels: ChannelFactory | None = None,
                  identity: IdentityClient | None = None) -> ServiceContext[ConfigT, ProvidersT]:
    """The service's context from the environment; tests pass their own settings, parts or channels."""
    from services.chassis.discovery import channel_factory_for

    settings = settings or ServiceSettings.from_env(definition.name, environ)
    if config is None and definition.config is not None:
        config = definition.config(environ)
    context: ServiceContext[Any, Any] = ServiceContext(
        settings=settings, tables=definition.tables, channels=channels or channel_factory_for(settings),
        config=config, identity=identity)  # type: ignore[arg-type]
    if providers is None and definition.providers is not None:
        providers = definition.providers(context)
    context.providers = providers
    return context
