"""Wires a service from its definition: settings, database, channels, and its command line.

``python -m services.<name>`` serves it; ``migrate``, ``relay`` and the service's own
commands (jobs, consumers, seeds) are subcommands of the same entry point.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from google.protobuf import json_format
from sqlalchemy import Engine, MetaData
from sqlalchemy.orm import Session, sessionmaker

from services.chassis import migrations
from services.chassis.auth import TokenVerifier
from services.chassis.config import ServiceSettings
from services.chassis.db import make_engine, make_session_factory
from services.chassis.grpc_client import DEFAULT_DEADLINE, ChannelFactory
from services.chassis.interceptors import AuthInterceptor, ErrorInterceptor
from services.chassis.outbox import MessageTables
from services.chassis.server import ServiceBinding, run_until_signalled, start_server
from services.chassis.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class ServiceContext:
    """Everything a service's use cases and servicers need at run time, made once per process."""

    settings: ServiceSettings
    tables: MessageTables
    channels: ChannelFactory

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """``read_only=True`` for queries: on SQLite they then never wait for (or block) writers."""
        from services.chassis.telemetry import outgoing_headers

        return UnitOfWork(self.session_factory, self.tables, header_source=outgoing_headers, read_only=read_only)


Command = Callable[[ServiceContext, Sequence[str]], int]


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    metadata: MetaData
    tables: MessageTables
    versions_dir: Path
    bindings: Callable[[ServiceContext], Sequence[ServiceBinding]]
    # Extra subcommands: name -> (help, command).
    commands: Mapping[str, tuple[str, Command]] = field(default_factory=dict)
    # Identity verifies with its own keys; everyone else fetches identity's JWKS.
    token_verifier: Callable[[ServiceContext], TokenVerifier] | None = None
    # When no broker answers, the relay hands messages for these exchanges straight to a
    # callable (exchange -> delivery); None means the default: notification requests to
    # notify over gRPC. Messages for other exchanges wait in the outbox for the broker.
    direct_deliveries: Callable[[ServiceContext], Mapping[str, Callable]] | None = None


def identity_jwks_verifier(context: ServiceContext) -> TokenVerifier:
    from protos.identity.v1 import identity_pb2, identity_pb2_grpc

    def fetch() -> dict:
        stub = context.channels.stub("identity", identity_pb2_grpc.IdentityServiceStub)
        jwks = stub.GetJwks(identity_pb2.GetJwksRequest(), timeout=DEFAULT_DEADLINE)
        return json_format.MessageToDict(jwks)

    return TokenVerifier(fetch)


def build_context(definition: ServiceDefinition, settings: ServiceSettings | None = None) -> ServiceContext:
    from services.chassis.discovery import channel_factory_for

    settings = settings or ServiceSettings.from_env(definition.name)
    return ServiceContext(settings=settings, tables=definition.tables, channels=channel_factory_for(settings))


def migrate(definition: ServiceDefinition, context: ServiceContext) -> None:
    migrations.upgrade(definition.metadata, definition.versions_dir, context.settings.database_url)


def serve(definition: ServiceDefinition, context: ServiceContext, *, port: int | None = None):
    """Start the service's gRPC server (not blocking) and register it for discovery."""
    from services.chassis.discovery import register_for_discovery
    from services.chassis.telemetry import server_interceptors

    verifier = (definition.token_verifier or identity_jwks_verifier)(context)
    running = start_server(
        definition.bindings(context),
        host=context.settings.grpc_host,
        port=context.settings.grpc_port if port is None else port,
        workers=context.settings.grpc_workers,
        interceptors=[*server_interceptors(), AuthInterceptor(verifier), ErrorInterceptor()],
    )
    # Leave discovery as soon as stopping starts, before in-flight calls drain.
    running.on_draining.append(register_for_discovery(context.settings, running.port, running.service_names))
    return running


def main(definition: ServiceDefinition, argv: Sequence[str] | None = None) -> int:
    from services.chassis.telemetry import configure_logging, configure_tracing

    parser = argparse.ArgumentParser(prog=f"python -m services.{definition.name}")
    sub = parser.add_subparsers(dest="command")
    serve_parser = sub.add_parser("serve", help="serve gRPC (the default)")
    serve_parser.add_argument("--migrate", action="store_true", help="apply migrations first (dev)")
    sub.add_parser("migrate", help="apply database migrations")
    revision_parser = sub.add_parser("makemigration", help="autogenerate a migration from the models")
    revision_parser.add_argument("message")
    sub.add_parser("relay", help="relay the outbox to RabbitMQ")
    for name, (help_text, _command) in definition.commands.items():
        extra = sub.add_parser(name, help=help_text)
        extra.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    context = build_context(definition)
    configure_logging(definition.name, context.settings.log_level)
    command = args.command or "serve"
    if command == "migrate":
        migrate(definition, context)
        return 0
    if command == "makemigration":
        migrations.make_revision(definition.metadata, definition.versions_dir,
                                 context.settings.database_url, args.message)
        return 0
    configure_tracing(definition.name)
    if command == "relay":
        from services.chassis.relay import run_relay

        routes = definition.direct_deliveries(context) if definition.direct_deliveries else None
        return run_relay(context, routes)
    if command == "serve":
        if args.migrate:
            migrate(definition, context)
        running = serve(definition, context)
        run_until_signalled(running, context.settings.grace_seconds)
        return 0
    _help, extra_command = definition.commands[command]
    return extra_command(context, args.args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run a service: python -m services.<name>")
