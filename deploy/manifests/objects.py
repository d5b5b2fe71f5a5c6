"""Kubernetes objects as the manifests build them: names and labels, restricted containers and pods, workloads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from deploy.manifests.facts import (
    CALLS,
    DEFAULT_CALLS,
    EXTRA_SECRET_KEYS,
    HIGHEST_CPU_UTILIZATION,
    IMAGE,
    METRICS_PORT,
    PRE_STOP_SECONDS,
    SERVICE_SETTINGS,
    SIGNER_DIR,
    SIZE_OVERRIDES,
    SIZES,
    UID,
    WRITABLE,
    Size,
)
from services.chassis.registry import ServiceSpec

# ---- names and labels ----------------------------------------------------------------------

def k8s_name(service: str) -> str:
    return service.replace("_", "-")


def calls_label(service: str) -> str:
    return f"tongban.io/calls-{k8s_name(service)}"


def secret_name(service: str) -> str:
    return f"tongban-{k8s_name(service)}"


def settings_name(service: str) -> str:
    return f"tongban-{k8s_name(service)}-settings"


def secret_keys(spec: ServiceSpec) -> tuple[str, ...]:
    return (f"{spec.env_prefix}_DATABASE_URL", "AMQP_URL", *EXTRA_SECRET_KEYS.get(spec.name, ()))


def calls(service: str, component: str, kind: str) -> tuple[str, ...]:
    return CALLS.get((service, component), DEFAULT_CALLS.get(kind, ()))


def size(service: str, component: str, kind: str) -> Size:
    return SIZE_OVERRIDES.get((service, component), SIZES[kind])


def selector(name: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component}


def pod_labels(name: str, component: str, *, upstreams: Iterable[str] = (), postgresql: bool = False,
               rabbitmq: bool = False, external: bool = False) -> dict[str, str]:
    """The labels NetworkPolicies select on: what a pod may reach is what its labels say."""
    labels = {**selector(name, component), "app.kubernetes.io/part-of": "tongban"}
    flags = {"tongban.io/postgresql": postgresql, "tongban.io/rabbitmq": rabbitmq,
             "tongban.io/external-egress": external}
    labels.update({key: "true" for key, on in flags.items() if on})
    labels.update({calls_label(upstream): "true" for upstream in sorted(set(upstreams))})
    return labels


def object_labels(name: str, component: str | None = None) -> dict[str, str]:
    """An object's own labels; the NetworkPolicy flags are on its pods only."""
    labels = {"app.kubernetes.io/name": name}
    if component:
        labels["app.kubernetes.io/component"] = component
    labels["app.kubernetes.io/part-of"] = "tongban"
    return labels


def metadata(name: str, labels: Mapping[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = dict(labels)
    meta.update(extra)
    return meta


# ---- containers and pods -------------------------------------------------------------------

CONTAINER_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": UID,
    "runAsGroup": UID,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": UID,
    "runAsGroup": UID,
    "fsGroup": UID,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def env_from(service: str | None) -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = [{"configMapRef": {"name": "tongban-config"}}]
    if service is not None:
        if service in SERVICE_SETTINGS:
            sources.append({"configMapRef": {"name": settings_name(service)}})
        sources.append({"secretRef": {"name": secret_name(service)}})
    return sources


def container(name: str, args: Sequence[str], resources: Size, *, service: str | None,
              mounts: Sequence[str] = ("tmp", "var"), **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "image": IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": list(args),
        "envFrom": env_from(service),
    }
    spec.update(extra)
    spec["resources"] = resources.resources()
    spec["securityContext"] = dict(CONTAINER_SECURITY)
    spec["volumeMounts"] = [{"name": volume, "mountPath": WRITABLE[volume]} for volume in mounts]
    return spec


def migrate_container(service: str, name: str = "migrate") -> dict[str, Any]:
    """Migrations, which take the database's advisory lock, so replicas starting together take turns."""
    return container(name, [f"services.{service}", "migrate"], size(service, "migrate", "migrate"),
                     service=service)


def signer_secret_name(service: str) -> str:
    return f"{secret_name(service)}-signer"


SIGNER_FILES = {"KEY": "key.pem", "CERT": "cert.pem", "CHAIN": "chain.pem", "TRUST": "trust.pem"}


def signer_mount(spec: ServiceSpec) -> dict[str, Any]:
    """The issuing system's signer key, its certificate, chain and trusted roots, read-only from its own Secret."""
    env = [{"name": f"{spec.env_prefix}_SIGNING_{part}_FILE", "value": f"{SIGNER_DIR}/{file}"}
           for part, file in SIGNER_FILES.items()]
    return {"env": env, "volumeMounts": [{"name": "signer", "mountPath": SIGNER_DIR, "readOnly": True}],
            "volume": {"name": "signer", "secret": {"secretName": signer_secret_name(spec.name),
                                                    "defaultMode": 0o440}}}


def pod_spec(service_account: str, containers: list[dict[str, Any]], *, init: Sequence[dict[str, Any]] = (),
             volumes: Sequence[str] = ("tmp", "var"), **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"serviceAccountName": service_account, "automountServiceAccountToken": False}
    spec.update(extra)
    spec["securityContext"] = dict(POD_SECURITY)
    if init:
        spec["initContainers"] = list(init)
    spec["containers"] = containers
    # Memory-backed /tmp: gunicorn's worker heartbeat fchmods a file there on every loop.
    sizes = {"tmp": {"medium": "Memory", "sizeLimit": "64Mi"}, "var": {"sizeLimit": "256Mi"}}
    spec["volumes"] = [{"name": volume, "emptyDir": sizes[volume]} for volume in volumes]
    return spec


def spread(labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """Spread replicas over nodes, then zones; per ReplicaSet, so a rollout is spread too."""
    return [{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": dict(labels)}, "matchLabelKeys": ["pod-template-hash"]}
            for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")]


def grpc_probes(port: int) -> dict[str, Any]:
    """The standard gRPC health service; the overall status turns NOT_SERVING when the server starts stopping."""
    return {
        "startupProbe": {"grpc": {"port": port}, "periodSeconds": 2, "failureThreshold": 30},
        "readinessProbe": {"grpc": {"port": port}, "periodSeconds": 5, "failureThreshold": 2},
        "livenessProbe": {"grpc": {"port": port}, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 6},
    }


# Relays and consumers serve no port (deploy/probe.py): ready while they hold a connection to RabbitMQ,
# alive while each of their loops beats (a file each on the /tmp emptyDir). A liveness failure takes
# two minutes of a stale beat: longer than any one batch a loop may be busy with.
HEARTBEAT_DIR = "/tmp/heartbeat"
AMQP_PROBES = {
    "env": [{"name": "TONGBAN_HEARTBEAT_DIR", "value": HEARTBEAT_DIR}],
    "readinessProbe": {"exec": {"command": ["python", "-m", "deploy.probe", "amqp"]},
                       "periodSeconds": 15, "timeoutSeconds": 5, "failureThreshold": 4},
    "livenessProbe": {"exec": {"command": ["python", "-m", "deploy.probe", "alive"]},
                      "initialDelaySeconds": 30, "periodSeconds": 20, "timeoutSeconds": 5, "failureThreshold": 3},
}
METRICS_CONTAINER_PORT = {"name": "metrics", "containerPort": METRICS_PORT}
PRE_STOP = {"lifecycle": {"preStop": {"sleep": {"seconds": PRE_STOP_SECONDS}}}}


# ---- objects ---------------------------------------------------------------------------------

def deployment(name: str, component: str, labels: Mapping[str, str], pod: dict[str, Any], *,
               replicas: int | None = None) -> dict[str, Any]:
    """A Deployment; without ``replicas`` its HPA owns the count (an apply does not reset it)."""
    spec: dict[str, Any] = {} if replicas is None else {"replicas": replicas}
    pod.setdefault("topologySpreadConstraints", spread(selector(name, component)))
    spec.update({
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": selector(name, component)},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        "template": {"metadata": {"labels": dict(labels)}, "spec": pod},
    })
    deployment_name = name if component in ("server", "gateway") else f"{name}-{component}"
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": metadata(deployment_name, object_labels(name, component)), "spec": spec}


def hpa(target: dict[str, Any]) -> dict[str, Any]:
    name = target["metadata"]["name"]
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(name, target["metadata"]["labels"]),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 2,
            "maxReplicas": 6,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": HIGHEST_CPU_UTILIZATION}}}],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
        },
    }


def pdb(target: dict[str, Any]) -> dict[str, Any]:
    """At most one pod of it down for a drain; a single-replica one can still be evicted."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(target["metadata"]["name"], target["metadata"]["labels"]),
        "spec": {"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "AlwaysAllow",
                 "selector": {"matchLabels": target["spec"]["selector"]["matchLabels"]}},
    }


def service_account(name: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata(name, labels),
            "automountServiceAccountToken": False}


def config_map(name: str, data: Mapping[str, str], labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(name, labels), "data": dict(data)}


def network_policy(name: str, pods: Mapping[str, str], *, ingress: list[dict[str, Any]] | None = None,
                   egress: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": {"matchLabels": dict(pods)}}
    spec["policyTypes"] = [kind for kind, rules in (("Ingress", ingress), ("Egress", egress)) if rules is not None]
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": metadata(name, {"app.kubernetes.io/part-of": "tongban"}), "spec": spec}


def cron_schedule(every: int) -> str:
    """A registry period in seconds as a cron schedule; a period cron cannot keep is refused."""
    if every % 60 == 0 and every < 3600 and 3600 % every == 0:
        return "* * * * *" if every == 60 else f"*/{every // 60} * * * *"
    if every % 3600 == 0 and every < 86400 and 86400 % every == 0:
        return "0 * * * *" if every == 3600 else f"0 */{every // 3600} * * *"
    if every == 86400:
        return "15 1 * * *"
    raise ValueError(f"a period of {every} s cannot be a cron schedule: use a divisor of an hour or a day")
