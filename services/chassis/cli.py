"""``python -m services.<name>``: serve it, migrate it, relay its outbox, or run one of its own commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from services.chassis import migrations
from services.chassis.auth import TokenVerifier
from services.chassis.context import ServiceContext, ServiceDefinition, build_context
from services.chassis.interceptors import chassis_interceptors
from services.chassis.revocations import RevocationList
from services.chassis.server import RunningServer, run_until_signalled, start_server


def identity_jwks_verifier(context: ServiceContext) -> TokenVerifier:
    revocations = RevocationList(context.identity.revocations, interval=context.settings.revocation_poll_seconds)
    return TokenVerifier(context.identity.jwks, revocations=revocations)


def migrate(definition: ServiceDefinition, context: ServiceContext) -> None:
    migrations.upgrade(definition.metadata, definition.versions_dir, context.settings.database_url)


def serve(definition: ServiceDefinition, context: ServiceContext, *, port: int | None = None) -> RunningServer:
    """Start the service's gRPC server (not blocking) and register it for discovery."""
    from services.chassis.audit_api import AuditInterceptor, audit_bindings
    from services.chassis.discovery import register_for_discovery
    from services.chassis.metrics import metrics_port, record_call, serve_metrics

    stop_hooks = [definition.before_serving(context)] if definition.before_serving else []
    verifier = (definition.token_verifier or identity_jwks_verifier)(context)
    trail = AuditInterceptor(context.session_factory, context.tables.audit) if context.tables.audit is not None \
        else None
    interceptors = chassis_interceptors(verifier, observers=[record_call],
                                        refusals=[trail.admission_refused] if trail else [])
    if trail is not None:
        # Inside the chassis interceptor: the caller is current and the request id bound.
        interceptors.append(trail)
    running = start_server(
        [*definition.bindings(context), *audit_bindings(definition.name, context)],
        host=context.settings.grpc_host,
        port=context.settings.grpc_port if port is None else port,
        workers=context.settings.grpc_workers,
        interceptors=interceptors,
    )
    running.on_stop.extend(stop_hooks)
    running.on_stop.append(verifier.close)
    metrics_server = serve_metrics(definition.name, metrics_port(definition.name))
    if metrics_server is not None:
        running.on_stop.append(metrics_server.stop)
    # Leave discovery as soon as stopping starts, before in-flight calls drain.
    running.on_draining.append(register_for_discovery(context.settings, running.port))
    return running


def main(definition: ServiceDefinition, argv: Sequence[str] | None = None) -> int:
    from services.chassis.metrics import metrics_port, serve_metrics
    from services.chassis.registry import REGISTRY
    from services.chassis.telemetry import configure_logging, configure_tracing

    parser = argparse.ArgumentParser(prog=f"python -m services.{definition.name}")
    sub = parser.add_subparsers(dest="command")
    serve_parser = sub.add_parser("serve", help="serve gRPC (the default)")
    serve_parser.add_argument("--migrate", action="store_true", help="apply migrations first (dev)")
    sub.add_parser("migrate", help="apply database migrations")
    revision_parser = sub.add_parser("makemigration", help="autogenerate a migration from the models")
    revision_parser.add_argument("message")
    sub.add_parser("relay", help="relay the outbox to RabbitMQ")
    sub.add_parser("verify-audit", help="walk the audit trail's hash chain; non-zero when it is broken")
    sub.add_parser("purge-audit", help="delete audit rows past AUDIT_RETENTION_DAYS, keeping the chain verifiable")
    for name, (help_text, _command) in definition.commands.items():
        # The service's own command parses its own options (``create-admin --login L``).
        sub.add_parser(name, help=help_text, add_help=False)
    args, rest = parser.parse_known_args(argv)
    if rest and args.command not in definition.commands:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")

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
    if command in ("verify-audit", "purge-audit"):
        from services.chassis.audit_api import purge_command, verify_command

        return (verify_command if command == "verify-audit" else purge_command)(context, rest)
    configure_tracing(definition.name)
    workers = next((entry.workers for entry in REGISTRY if entry.name == definition.name), ())
    if command == "relay" or command in workers:
        # Long-running like serve, and in its own pod in Kubernetes: answers scrapes on the same port.
        serve_metrics(definition.name, metrics_port(definition.name))
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
    return extra_command(context, rest)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run a service: python -m services.<name>")
