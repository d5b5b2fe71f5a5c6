"""What every rendered workload must have, as a list of problems (empty: all is well).

- the Pod Security Standard "restricted" profile, item by item, for every container
  (init containers too), plus a read-only root filesystem with /tmp on an emptyDir;
- its own ServiceAccount, with no token mounted;
- resources (cpu and memory requested, both limited) on every container, Jobs and CronJobs too;
- a readiness and a liveness probe on every long-running container, a PDB, spread over nodes; an HPA where no
  replica count is fixed; a preStop pause where a Service sends it traffic.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}
WORKLOADS = LONG_RUNNING | {"Job", "CronJob"}
# Volume types the restricted profile allows.
ALLOWED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                   "projected", "secret"}


def key(obj: Mapping[str, Any]) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def pod_template(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]
    return obj["spec"]["template"]


def workloads(objects: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    return (obj for obj in objects if obj["kind"] in WORKLOADS)


def containers(pod: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        yield from pod.get(field) or ()


def selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(name) == value for name, value in selector.items())


def _security(pod: Mapping[str, Any], where: str) -> list[str]:
    problems = []
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            problems.append(f"{where}: {field} is set")
    for volume in pod.get("volumes") or ():
        kinds = set(volume) - {"name"}
        if not kinds <= ALLOWED_VOLUMES:
            problems.append(f"{where}: volume {volume['name']} is {', '.join(sorted(kinds - ALLOWED_VOLUMES))}")
    emptydirs = {v["name"] for v in pod.get("volumes") or () if "emptyDir" in v}
    pod_context = pod.get("securityContext") or {}
    for c in containers(pod):
        here = f"{where}: container {c['name']}"
        context = c.get("securityContext") or {}

        def setting(name: str, context: Mapping[str, Any] = context) -> Any:
            return context.get(name, pod_context.get(name))

        if context.get("privileged"):
            problems.append(f"{here}: privileged")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{here}: allowPrivilegeEscalation is not false")
        capabilities = context.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or ()):
            problems.append(f"{here}: capabilities do not drop ALL")
        if capabilities.get("add"):
            problems.append(f"{here}: capabilities add {capabilities['add']}")
        if setting("runAsNonRoot") is not True:
            problems.append(f"{here}: runAsNonRoot is not true")
        if setting("runAsUser") == 0:
            problems.append(f"{here}: runs as UID 0")
        if (setting("seccompProfile") or {}).get("type") != "RuntimeDefault":
            problems.append(f"{here}: seccompProfile is not RuntimeDefault")
        if context.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{here}: the root filesystem is writable")
        if any(port.get("hostPort") for port in c.get("ports") or ()):
            problems.append(f"{here}: uses a hostPort")
        tmp = [m for m in c.get("volumeMounts") or () if m["mountPath"] == "/tmp"]
        if not tmp or tmp[0]["name"] not in emptydirs:
            problems.append(f"{here}: /tmp is not an emptyDir")
    return problems


def _resources(pod: Mapping[str, Any], where: str) -> list[str]:
    problems = []
    for c in containers(pod):
        resources = c.get("resources") or {}
        for part in ("requests", "limits"):
            missing = {"cpu", "memory"} - set(resources.get(part) or {})
            if missing:
                problems.append(f"{where}: container {c['name']} has no {part} for {', '.join(sorted(missing))}")
    return problems


def _account(pod: Mapping[str, Any], where: str, accounts: Mapping[str, Mapping[str, Any]]) -> list[str]:
    name = pod.get("serviceAccountName")
    if not name or name == "default":
        return [f"{where}: runs as the default ServiceAccount"]
    problems = []
    if pod.get("automountServiceAccountToken") is not False:
        problems.append(f"{where}: mounts a ServiceAccount token")
    account = accounts.get(name)
    if account is None:
        problems.append(f"{where}: its ServiceAccount {name} is not defined")
    elif account.get("automountServiceAccountToken") is not False:
        problems.append(f"{where}: ServiceAccount {name} mounts its token by default")
    return problems


def _long_running(obj: Mapping[str, Any], pod: Mapping[str, Any], where: str,
                  objects: list[Mapping[str, Any]]) -> list[str]:
    problems = []
    labels = pod_template(obj)["metadata"]["labels"]
    for c in pod["containers"]:
        for probe in ("readinessProbe", "livenessProbe"):
            if not c.get(probe):
                problems.append(f"{where}: container {c['name']} has no {probe}")
    if not any(o["kind"] == "PodDisruptionBudget" and selects(o["spec"]["selector"].get("matchLabels", {}), labels)
               for o in objects):
        problems.append(f"{where}: no PodDisruptionBudget")
    if not any(s.get("topologyKey") == "kubernetes.io/hostname" for s in pod.get("topologySpreadConstraints") or ()):
        problems.append(f"{where}: not spread across nodes")
    name = obj["metadata"]["name"]
    scaled = any(o["spec"]["scaleTargetRef"]["name"] == name for o in objects if o["kind"] == "HorizontalPodAutoscaler")
    if "replicas" not in obj["spec"] and not scaled:
        problems.append(f"{where}: no HorizontalPodAutoscaler and no replica count")
    if any(o["kind"] == "Service" and selects(o["spec"].get("selector") or {}, labels) for o in objects):
        pauses = [c for c in pod["containers"] if ((c.get("lifecycle") or {}).get("preStop"))]
        if not pauses:
            problems.append(f"{where}: behind a Service but no preStop pause before SIGTERM")
    return problems


def problems(objects: Iterable[Mapping[str, Any]]) -> list[str]:
    objects = list(objects)
    accounts = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ServiceAccount"}
    found: list[str] = []
    for namespace in (o for o in objects if o["kind"] == "Namespace"):
        if namespace["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") != "restricted":
            found.append(f"{key(namespace)}: does not enforce the restricted profile")
    for obj in workloads(objects):
        where = key(obj)
        pod = pod_template(obj)["spec"]
        found += _security(pod, where)
        found += _resources(pod, where)
        found += _account(pod, where, accounts)
        if obj["kind"] in LONG_RUNNING:
            found += _long_running(obj, pod, where, objects)
    return found
