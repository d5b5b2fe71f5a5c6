"""Finding services: Consul when ``CONSUL_HTTP_ADDR`` is set, static ``<SERVICE>_ADDR`` otherwise.

A running server registers as ``tongban-<service>`` with a gRPC health check the
Consul agent runs against it, and deregisters when it stops. Peers are resolved
through Consul's health API, healthy instances only.
"""

from __future__ import annotations

import logging
import random
import socket
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import urlsplit

import consul

from services.chassis.config import ServiceSettings
from services.chassis.errors import Unavailable
from services.chassis.grpc_client import ChannelFactory

log = logging.getLogger(__name__)

CONSUL_NAME_PREFIX = "tongban-"
CHECK_INTERVAL = "10s"
CHECK_TIMEOUT = "5s"
# An instance whose check stays critical this long was not stopped cleanly: Consul forgets it.
DEREGISTER_CRITICAL_AFTER = "1m"
CONSUL_TIMEOUT_SECONDS = 5.0


def consul_name(service: str) -> str:
    return f"{CONSUL_NAME_PREFIX}{service}"


def consul_client(address: str) -> consul.Consul:
    """A client for the agent at ``host:port`` or ``http(s)://host:port`` (``CONSUL_HTTP_ADDR``).

    The ACL token, when there is one, comes from ``CONSUL_HTTP_TOKEN`` (read by py-consul).
    """
    parts = urlsplit(address if "//" in address else f"//{address}")
    if not parts.hostname:
        raise ValueError(f"CONSUL_HTTP_ADDR={address!r} must be host:port or http(s)://host:port")
    return consul.Consul(host=parts.hostname, port=parts.port or 8500, scheme=parts.scheme or "http",
                         connections_timeout=CONSUL_TIMEOUT_SECONDS)


def advertised_host(settings: ServiceSettings) -> str:
    """Where peers and the Consul agent reach this process."""
    if settings.advertise_host:
        return settings.advertise_host
    if settings.grpc_host not in ("0.0.0.0", "::", "[::]", ""):
        return settings.grpc_host
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return socket.gethostname()


def register_for_discovery(settings: ServiceSettings, port: int) -> Callable[[], None]:
    """Register the running server; returns the deregistration to run on stop.

    The health check asks about the server's overall health. Without Consul this does nothing.
    """
    if not settings.consul_http_addr:
        return lambda: None
    client = consul_client(settings.consul_http_addr)
    host = advertised_host(settings)
    service_id = f"{settings.service}-{host}-{port}"
    # The server's overall health (the empty service name), as Kubernetes' probes ask it: a server
    # serves several gRPC services, and it is one instance whichever of them a caller wants.
    target = f"{host}:{port}"
    check = consul.Check.grpc(target, CHECK_INTERVAL, timeout=CHECK_TIMEOUT, deregister=DEREGISTER_CRITICAL_AFTER)
    try:
        client.agent.service.register(
            consul_name(settings.service), service_id=service_id, address=host, port=port,
            tags=[settings.environment], check=check,
        )
    except Exception as exc:
        raise RuntimeError(
            f"cannot register {service_id} with Consul at CONSUL_HTTP_ADDR={settings.consul_http_addr}: {exc}"
        ) from exc
    log.info("registered %s in Consul as %s", service_id, consul_name(settings.service))
    deregistered = False

    def deregister() -> None:
        nonlocal deregistered
        if deregistered:
            return
        deregistered = True
        try:
            client.agent.service.deregister(service_id)
        except Exception:
            # Consul removes it anyway once the check has been critical for DEREGISTER_CRITICAL_AFTER.
            log.warning("could not deregister %s from Consul", service_id, exc_info=True)

    return deregister


class ConsulResolver:
    """Resolves a service name to the ``host:port`` of one healthy instance, chosen at random."""

    def __init__(self, client: consul.Consul, choose: Callable[[Sequence[str]], str] = random.choice):
        self._client = client
        self._choose = choose

    def addresses(self, service: str) -> list[str]:
        try:
            _index, entries = self._client.health.service(consul_name(service), passing=True)
        except Exception as exc:
            raise Unavailable(f"无法连接服务注册中心以查找服务 {service}", reason="DISCOVERY_UNAVAILABLE",
                              metadata={"service": service}) from exc
        found = []
        for entry in entries or ():
            instance = entry.get("Service") or {}
            address = instance.get("Address") or (entry.get("Node") or {}).get("Address")
            if address and instance.get("Port"):
                found.append(f"{address}:{instance['Port']}")
        return found

    def __call__(self, service: str) -> str:
        addresses = self.addresses(service)
        if not addresses:
            raise Unavailable(f"服务 {service} 暂无健康实例（Consul 中 {consul_name(service)} 无通过检查的实例）",
                              reason="NO_HEALTHY_INSTANCE", metadata={"service": service})
        return self._choose(addresses)


def channel_factory(peers: Mapping[str, str], consul_http_addr: str | None) -> ChannelFactory:
    """Channels to the peers: through Consul when it is configured, else to the static addresses."""
    if consul_http_addr:
        resolver = ConsulResolver(consul_client(consul_http_addr))
        return ChannelFactory(resolver, reresolve_on_unavailable=True)
    return ChannelFactory.static(peers)


def channel_factory_for(settings: ServiceSettings) -> ChannelFactory:
    return channel_factory(settings.peers, settings.consul_http_addr)
