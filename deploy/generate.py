"""Write what repeats per service from the service registry: the Kubernetes manifests and RabbitMQ definitions.

``make manifests`` (``python -m deploy.generate``) writes them; ``--check`` only says which
files differ, and tests/deploy fails when the committed files are not what this writes now.
A new registry entry gets, with nothing written by hand: its gRPC server Deployment (with
the migration as an init container), its outbox relay, its workers, a CronJob per scheduled
command, a headless Service, a ServiceAccount, HPAs, PDBs, NetworkPolicies, the steps of the
seed Job, its address in the shared ConfigMap and an example of its Secret.

The registry does not yet say everything a cluster needs; the tables below hold the rest,
keyed by registry name, until the registry does: which services each process calls over
gRPC, resource sizes, which seeds are demo data, a service's own settings and secret keys.

Hand-written, and read by nobody here: base/namespace.yaml, base/network.yaml,
base/ingress.yaml and the overlays.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from deploy.manifests.facts import (
    BASE,
    DEMO_SEEDS,
    DEPLOY,
    EXTERNAL_EGRESS,
    GATEWAY_DEADLINE_SECONDS,
    GATEWAY_PORT,
    GRPC_GRACE_SECONDS,
    HEADER,
    K8S,
    METRICS_PORT,
    NAMESPACE,
    PRE_STOP_SECONDS,
    PUBLIC_HOST,
    SERVICE_SETTINGS,
    SIZES,
    VHOST,
)
from deploy.manifests.objects import (
    AMQP_PROBES,
    METRICS_CONTAINER_PORT,
    PRE_STOP,
    SIGNER_FILES,
    calls,
    calls_label,
    config_map,
    container,
    cron_schedule,
    deployment,
    grpc_probes,
    hpa,
    k8s_name,
    metadata,
    migrate_container,
    network_policy,
    object_labels,
    pdb,
    pod_labels,
    pod_spec,
    secret_keys,
    secret_name,
    selector,
    service_account,
    settings_name,
    signer_mount,
    signer_secret_name,
    size,
)
from deploy.manifests.rabbitmq import rabbitmq_definitions
from services.chassis.registry import REGISTRY, ServiceSpec

# ---- one service -----------------------------------------------------------------------------

def server(spec: ServiceSpec) -> dict[str, Any]:
    name = k8s_name(spec.name)
    labels = pod_labels(name, "server", upstreams=calls(spec.name, "server", "server"), postgresql=True,
                        external=spec.name in EXTERNAL_EGRESS)
    main = container(
        "server", [f"services.{spec.name}", "serve"], size(spec.name, "server", "server"), service=spec.name,
        ports=[{"name": "grpc", "containerPort": spec.port}, METRICS_CONTAINER_PORT],
        # Registered in Consul under the pod's own address when CONSUL_HTTP_ADDR is set.
        env=[{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
        **grpc_probes(spec.port), **PRE_STOP)
    pod = pod_spec(name, [main], init=[migrate_container(spec.name)],
                   terminationGracePeriodSeconds=PRE_STOP_SECONDS + GRPC_GRACE_SECONDS + 10)
    if spec.issues_certificates:
        # Only the server signs: relays, jobs and migrations of the service never see the key.
        signer = signer_mount(spec)
        main["env"] += signer["env"]
        main["volumeMounts"] += signer["volumeMounts"]
        pod["volumes"].append(signer["volume"])
    return deployment(name, "server", labels, pod)


def long_running(spec: ServiceSpec, component: str, kind: str, *, replicas: int | None) -> dict[str, Any]:
    """A relay or a worker: no port but its metrics, so no Service and no preStop pause."""
    name = k8s_name(spec.name)
    labels = pod_labels(name, component, upstreams=calls(spec.name, component, kind), postgresql=True,
                        rabbitmq=True, external=spec.name in EXTERNAL_EGRESS)
    main = container(component, [f"services.{spec.name}", component], size(spec.name, component, kind),
                     service=spec.name, ports=[METRICS_CONTAINER_PORT], **AMQP_PROBES)
    return deployment(name, component, labels, pod_spec(name, [main], terminationGracePeriodSeconds=30),
                      replicas=replicas)


def grpc_service(spec: ServiceSpec) -> dict[str, Any]:
    """Headless: clients resolve every ready pod's address, which round_robin balancing needs."""
    name = k8s_name(spec.name)
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": metadata(name, object_labels(name, "server")),
            "spec": {"clusterIP": "None", "selector": selector(name, "server"),
                     "ports": [{"name": "grpc", "port": spec.port, "targetPort": "grpc", "appProtocol": "grpc"}]}}


def cron_job(spec: ServiceSpec, command: Sequence[str], every: int) -> dict[str, Any]:
    name = k8s_name(spec.name)
    component = "-".join(command)
    labels = pod_labels(name, component, upstreams=calls(spec.name, component, "job"), postgresql=True,
                        external=spec.name in EXTERNAL_EGRESS)
    main = container(component, [f"services.{spec.name}", *command], size(spec.name, component, "job"),
                     service=spec.name)
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": metadata(f"{name}-{component}", object_labels(name, component)),
        "spec": {
            "schedule": cron_schedule(every),
            # Each run is idempotent: a missed one is caught up by the next, never run twice at once.
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": min(every, 300),
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {"spec": {
                "backoffLimit": 1,
                "activeDeadlineSeconds": max(every, 1800),
                "template": {"metadata": {"labels": labels},
                             "spec": pod_spec(name, [main], restartPolicy="Never")},
            }},
        },
    }


def grpc_policies(spec: ServiceSpec) -> list[dict[str, Any]]:
    """Who may call the service: the pods labelled as its callers, on its gRPC port, both ways."""
    name = k8s_name(spec.name)
    callers = {calls_label(spec.name): "true"}
    port = [{"protocol": "TCP", "port": spec.port}]
    return [
        network_policy(f"{name}-grpc-ingress", selector(name, "server"),
                       ingress=[{"from": [{"podSelector": {"matchLabels": callers}}], "ports": port}]),
        network_policy(f"{name}-grpc-egress", callers,
                       egress=[{"to": [{"podSelector": {"matchLabels": selector(name, "server")}}], "ports": port}]),
    ]


def service_objects(spec: ServiceSpec) -> list[dict[str, Any]]:
    name = k8s_name(spec.name)
    objects: list[dict[str, Any]] = [service_account(name, object_labels(name))]
    if spec.name in SERVICE_SETTINGS:
        objects.append(config_map(settings_name(spec.name), SERVICE_SETTINGS[spec.name], object_labels(name)))
    main = server(spec)
    objects += [main, grpc_service(spec), hpa(main), pdb(main)]
    relay = long_running(spec, "relay", "relay", replicas=1)
    objects += [relay, pdb(relay)]
    for worker in spec.workers:
        process = long_running(spec, worker, "worker", replicas=None)
        objects += [process, hpa(process), pdb(process)]
    objects += [cron_job(spec, command, every) for command, every in spec.schedule]
    objects += grpc_policies(spec)
    return objects


# ---- the platform ----------------------------------------------------------------------------

def shared_config(registry: Sequence[ServiceSpec]) -> dict[str, Any]:
    data = {"TONGBAN_ENV": "prod", "LOG_LEVEL": "INFO", "GRPC_GRACE_SECONDS": str(GRPC_GRACE_SECONDS),
            "GATEWAY_PORT": str(GATEWAY_PORT), "GATEWAY_DEADLINE_SECONDS": str(GATEWAY_DEADLINE_SECONDS),
            # Where the public reaches the gateway (the certificates' QR check links): the Ingress host.
            "TONGBAN_PUBLIC_URL": f"https://{PUBLIC_HOST}"}
    data.update({f"{spec.env_prefix}_ADDR": f"{k8s_name(spec.name)}:{spec.port}" for spec in registry})
    data.update({f"{spec.env_prefix}_METRICS_PORT": str(METRICS_PORT) for spec in registry})
    return config_map("tongban-config", data, {"app.kubernetes.io/part-of": "tongban"})


def gateway_objects(registry: Sequence[ServiceSpec]) -> list[dict[str, Any]]:
    labels = pod_labels("gateway", "gateway", upstreams=[spec.name for spec in registry])
    health = {"httpGet": {"path": "/healthz", "port": "http"}}
    main = container(
        "gateway", ["gateway"], SIZES["gateway"], service=None, mounts=("tmp",),
        ports=[{"name": "http", "containerPort": GATEWAY_PORT}],
        env=[
            # One proxy, the ingress controller, sets X-Forwarded-For.
            {"name": "GATEWAY_TRUSTED_PROXIES", "value": "1"},
            # gunicorn's control socket goes to $XDG_RUNTIME_DIR/gunicorn.ctl; its worker heartbeat files to /tmp.
            {"name": "XDG_RUNTIME_DIR", "value": "/tmp"},
        ],
        startupProbe={**health, "periodSeconds": 2, "failureThreshold": 30},
        # Ready once it holds identity's signing keys (/readyz); an upstream that is down answers
        # 503 on its own routes and does not take every gateway pod out. /readyz waits at most a
        # second for the upstreams' health it reports.
        readinessProbe={"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5, "timeoutSeconds": 3,
                        "failureThreshold": 2},
        livenessProbe={**health, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 6},
        **PRE_STOP)
    grace = PRE_STOP_SECONDS + GATEWAY_DEADLINE_SECONDS + 5 + 10
    gateway = deployment("gateway", "gateway", labels,
                         pod_spec("gateway", [main], volumes=("tmp",), terminationGracePeriodSeconds=grace))
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": metadata("gateway", object_labels("gateway", "gateway")),
               "spec": {"selector": selector("gateway", "gateway"),
                        "ports": [{"name": "http", "port": 80, "targetPort": "http", "appProtocol": "http"}]}}
    account = service_account("gateway", object_labels("gateway"))
    return [account, gateway, service, hpa(gateway), pdb(gateway)]


def seed_job(name: str, steps: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """One pod, one container a step, in order: each service migrated first, each step with its own Secret.

    Every step is idempotent, so a retried pod runs them all again harmlessly.
    """
    containers: list[dict[str, Any]] = []
    migrated: set[str] = set()
    for service, command in steps:
        if service not in migrated:
            migrated.add(service)
            containers.append(migrate_container(service, f"migrate-{k8s_name(service)}"))
        containers.append(container(f"{k8s_name(service)}-{command}", [f"services.{service}", command],
                                    SIZES["seed"], service=service))
    labels = pod_labels(name, "seed", postgresql=True)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(name, object_labels(name, "seed")),
        "spec": {
            "backoffLimit": 4,
            "activeDeadlineSeconds": 1800,
            "template": {"metadata": {"labels": labels},
                         "spec": pod_spec("tongban-seed", containers[-1:], init=containers[:-1],
                                          restartPolicy="Never")},
        },
    }


def seed_steps(registry: Sequence[ServiceSpec], *, demo: bool) -> list[tuple[str, str]]:
    return [(spec.name, command) for spec in registry for command in spec.seeds
            if ((spec.name, command) in DEMO_SEEDS) == demo]


def example_secrets(registry: Sequence[ServiceSpec]) -> list[dict[str, Any]]:
    """What each service's Secret holds, with placeholders; the real ones are made with kubectl (docs/operations.md)."""
    def placeholder(spec: ServiceSpec, key: str) -> str:
        user = k8s_name(spec.name)
        if key.endswith("_DATABASE_URL"):
            return f"postgresql://{user}:CHANGE-ME@postgresql.databases.svc:5432/{spec.name}?sslmode=require"
        if key == "AMQP_URL":
            return f"amqp://{user}:CHANGE-ME@rabbitmq.messaging.svc:5672/{VHOST}"
        return {"TONGBAN_ADMIN_LOGIN": "admin", "TONGBAN_ADMIN_PHONE": "13800000000",
                "IDENTITY_SECRET_KEY": "CHANGE-ME-at-least-16-characters"}.get(key, "CHANGE-ME")

    secrets = [{"apiVersion": "v1", "kind": "Secret",
                "metadata": metadata(secret_name(spec.name), object_labels(k8s_name(spec.name)), namespace=NAMESPACE),
                "type": "Opaque",
                "stringData": {key: placeholder(spec, key) for key in secret_keys(spec)}} for spec in registry]
    # The signer of a system that issues certificates: PEM files, mounted read-only on its server only.
    secrets += [{"apiVersion": "v1", "kind": "Secret",
                 "metadata": metadata(signer_secret_name(spec.name), object_labels(k8s_name(spec.name)),
                                      namespace=NAMESPACE),
                 "type": "Opaque",
                 "stringData": {file: f"-----BEGIN CHANGE-ME ({file})-----" for file in SIGNER_FILES.values()}}
                for spec in registry if spec.issues_certificates]
    return secrets


def kustomization(registry: Sequence[ServiceSpec]) -> dict[str, Any]:
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": NAMESPACE,
        "resources": ["namespace.yaml", "network.yaml", "ingress.yaml", "config.yaml", "gateway.yaml", "seed.yaml",
                      *(f"services/{k8s_name(spec.name)}.yaml" for spec in registry)],
    }


# ---- RabbitMQ --------------------------------------------------------------------------------


# ---- output ----------------------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # every object written out in full: no &anchors for repeated parts


def dump(documents: Iterable[dict[str, Any]]) -> str:
    parts = [yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
             for document in documents]
    return HEADER + "---\n".join(parts)


def outputs(registry: Sequence[ServiceSpec] = REGISTRY) -> dict[Path, str]:
    """Every generated file and its text."""
    files = {
        BASE / "kustomization.yaml": dump([kustomization(registry)]),
        BASE / "config.yaml": dump([shared_config(registry)]),
        BASE / "gateway.yaml": dump(gateway_objects(registry)),
        BASE / "seed.yaml": dump([service_account("tongban-seed", object_labels("tongban-seed", "seed")),
                                  seed_job("tongban-seed", seed_steps(registry, demo=False))]),
        K8S / "examples" / "secrets.yaml": dump(example_secrets(registry)),
        DEPLOY / "rabbitmq" / "definitions.json": json.dumps(rabbitmq_definitions(), indent=2) + "\n",
    }
    demo = seed_steps(registry, demo=True)
    if demo:
        files[K8S / "overlays" / "dev" / "seed-demo.yaml"] = dump([seed_job("tongban-seed-demo", demo)])
    for spec in registry:
        files[BASE / "services" / f"{k8s_name(spec.name)}.yaml"] = dump(service_objects(spec))
    return files


def stale(files: Mapping[Path, str]) -> list[Path]:
    """Generated files no longer generated (a service left the registry)."""
    return sorted(path for path in (BASE / "services").glob("*.yaml") if path not in files)


def differences(files: Mapping[Path, str]) -> list[Path]:
    changed = [path for path, text in files.items() if not path.is_file() or path.read_text() != text]
    return sorted(changed + stale(files))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file would change")
    args = parser.parse_args(argv)
    files = outputs()
    changed = differences(files)
    root = DEPLOY.parent
    if args.check:
        for path in changed:
            print(f"out of date: {path.relative_to(root)}")
        if changed:
            print("run `make manifests`", file=sys.stderr)
        return 1 if changed else 0
    for path in stale(files):
        path.unlink()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"{len(changed)} of {len(files)} generated files changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
