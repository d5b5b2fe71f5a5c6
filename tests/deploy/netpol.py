"""Whether NetworkPolicies let one pod reach another, evaluated the way Kubernetes does.

A connection is allowed when the source's egress allows it (or no Egress policy selects the
source) and the destination's ingress allows it (likewise). Only what the manifests use is
understood: ``matchLabels`` selectors, pod/namespace/ipBlock peers, numbered ports.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: Mapping[str, str]
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    ip: str = "10.0.0.1"


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    selector = selector or {}
    if selector.get("matchExpressions"):
        raise NotImplementedError("matchExpressions")
    return all(labels.get(name) == value for name, value in (selector.get("matchLabels") or {}).items())


def _peer_matches(peer: Mapping[str, Any], pod: Pod, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        address = ipaddress.ip_address(pod.ip)
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(excluded) for excluded in block.get("except") or ())
    if "namespaceSelector" in peer:
        if not matches(peer["namespaceSelector"], pod.namespace_labels):
            return False
    elif pod.namespace != policy_namespace:
        return False
    return matches(peer.get("podSelector"), pod.labels)


def _port_matches(rule: Mapping[str, Any], port: int, protocol: str) -> bool:
    ports = rule.get("ports")
    return not ports or any(p.get("protocol", "TCP") == protocol and p.get("port") in (None, port) for p in ports)


def _allowed_one_way(policies: list[Mapping[str, Any]], kind: str, subject: Pod, peer: Pod, port: int,
                     protocol: str) -> bool:
    peers_field, rules_field = ("to", "egress") if kind == "Egress" else ("from", "ingress")
    selecting = [p for p in policies if p["metadata"].get("namespace") == subject.namespace
                 and kind in p["spec"].get("policyTypes", ()) and matches(p["spec"]["podSelector"], subject.labels)]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get(rules_field) or ():
            peers = rule.get(peers_field)
            if (not peers or any(_peer_matches(x, peer, subject.namespace) for x in peers)) and \
                    _port_matches(rule, port, protocol):
                return True
    return False


def allowed(policies: Iterable[Mapping[str, Any]], source: Pod, destination: Pod, port: int,
            protocol: str = "TCP") -> bool:
    policies = [p for p in policies if p["kind"] == "NetworkPolicy"]
    return (_allowed_one_way(policies, "Egress", source, destination, port, protocol)
            and _allowed_one_way(policies, "Ingress", destination, source, port, protocol))
