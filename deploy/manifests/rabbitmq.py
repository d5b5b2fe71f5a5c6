"""The RabbitMQ topology as a definitions file, recorded from the chassis' own declarations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deploy.manifests.facts import VHOST
from services.chassis import topology


class RecordingChannel:
    """Stands in for a pika channel and keeps what the chassis declares, as definitions entries."""

    def __init__(self, vhost: str) -> None:
        self.vhost = vhost
        self.exchanges: list[dict[str, Any]] = []
        self.queues: list[dict[str, Any]] = []
        self.bindings: list[dict[str, Any]] = []

    def exchange_declare(self, exchange: str, exchange_type: Any = "direct", passive: bool = False,
                         durable: bool = False, auto_delete: bool = False, internal: bool = False,
                         arguments: Mapping[str, Any] | None = None) -> None:
        self.exchanges.append({"name": exchange, "vhost": self.vhost, "type": getattr(exchange_type, "value",
                                                                                      exchange_type),
                               "durable": durable, "auto_delete": auto_delete, "internal": internal,
                               "arguments": dict(arguments or {})})

    def queue_declare(self, queue: str, passive: bool = False, durable: bool = False, exclusive: bool = False,
                      auto_delete: bool = False, arguments: Mapping[str, Any] | None = None) -> None:
        # Quorum for every durable queue: replicated, and what the vhost's default type makes of
        # the services' own declarations, which name no type.
        queue_type = {"x-queue-type": "quorum"} if durable and not exclusive and not auto_delete else {}
        self.queues.append({"name": queue, "vhost": self.vhost, "durable": durable, "auto_delete": auto_delete,
                            "arguments": {**dict(arguments or {}), **queue_type}})

    def queue_bind(self, queue: str, exchange: str, routing_key: str | None = None,
                   arguments: Mapping[str, Any] | None = None) -> None:
        self.bindings.append({"source": exchange, "vhost": self.vhost, "destination": queue,
                              "destination_type": "queue", "routing_key": routing_key or "",
                              "arguments": dict(arguments or {})})


def rabbitmq_definitions(vhost: str = VHOST) -> dict[str, Any]:
    """services/chassis/topology.py's exchanges, queues and bindings, as a definitions file to import."""
    channel = RecordingChannel(vhost)
    topology.declare_topology(channel)  # type: ignore[arg-type]
    about = "Tongban: events, notification requests and their parking lots"
    return {
        "vhosts": [{"name": vhost, "description": about, "tags": [], "default_queue_type": "quorum",
                    "metadata": {"description": about, "tags": [], "default_queue_type": "quorum"}}],
        "policies": [{
            "vhost": vhost, "name": "tongban-quorum", "pattern": ".*", "apply-to": "queues", "priority": 0,
            # A message requeued this often (a consumer crashing on it) goes to its parking lot, and
            # dead-lettering waits for the parking lot's confirm instead of dropping it on the way.
            "definition": {"delivery-limit": 100, "dead-letter-strategy": "at-least-once",
                           "overflow": "reject-publish"},
        }],
        "exchanges": channel.exchanges,
        "queues": channel.queues,
        "bindings": channel.bindings,
    }
