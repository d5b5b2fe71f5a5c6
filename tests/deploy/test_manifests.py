"""deploy/k8s: generated from the registry, valid against the newest Kubernetes schema, restricted, and wired right."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import pytest

from deploy import generate
from deploy.generate import K8S, k8s_name, secret_name
from deploy.manifests.facts import GATEWAY_PORT, METRICS_PORT
from services.chassis.registry import REGISTRY, ServiceSpec
from tests.deploy import policy
from tests.deploy.conftest import OVERLAYS, documents, kustomize
from tests.deploy.netpol import Pod, allowed

REPO = generate.DEPLOY.parent


def by_key(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {policy.key(obj): obj for obj in objects}


def service_of(container: Mapping[str, Any]) -> str | None:
    """The registry service a container runs as, from its arguments (None: the gateway)."""
    args = container["args"]
    if args[0].startswith("services."):
        return args[0].removeprefix("services.")
    return None


def secret_refs(container: Mapping[str, Any]) -> set[str]:
    refs = {source["secretRef"]["name"] for source in container.get("envFrom") or () if "secretRef" in source}
    refs |= {var["valueFrom"]["secretKeyRef"]["name"] for var in container.get("env") or ()
             if "secretKeyRef" in (var.get("valueFrom") or {})}
    return refs


# ---- generated, and valid ------------------------------------------------------------------

def test_the_committed_files_are_what_the_generator_writes_now():
    changed = generate.differences(generate.outputs())
    assert not changed, f"run `make manifests`: {', '.join(str(p.relative_to(REPO)) for p in changed)}"


def test_the_check_mode_notices_a_hand_edit(tmp_path, monkeypatch, capsys):
    copy_of = tmp_path / "deploy"
    shutil.copytree(generate.DEPLOY / "k8s", copy_of / "k8s")
    shutil.copytree(generate.DEPLOY / "rabbitmq", copy_of / "rabbitmq")
    monkeypatch.setattr(generate, "DEPLOY", copy_of)
    monkeypatch.setattr(generate, "K8S", copy_of / "k8s")
    monkeypatch.setattr(generate, "BASE", copy_of / "k8s" / "base")
    assert generate.main(["--check"]) == 0
    edited = copy_of / "k8s" / "base" / "services" / "notify.yaml"
    edited.write_text(edited.read_text().replace("maxUnavailable: 1", "maxUnavailable: 2"))
    (copy_of / "k8s" / "base" / "services" / "retired.yaml").write_text("{}\n")
    assert generate.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert "notify.yaml" in out and "retired.yaml" in out
    assert generate.main([]) == 0
    assert generate.main(["--check"]) == 0
    assert not (copy_of / "k8s" / "base" / "services" / "retired.yaml").exists()


@pytest.mark.parametrize("name", OVERLAYS)
def test_every_overlay_is_valid_against_the_newest_schema_strictly(name, render, tmp_path):
    rendered = tmp_path / f"{name}.yaml"
    rendered.write_text(render(K8S / "overlays" / name))
    result = subprocess.run([sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet", str(rendered)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_workload_meets_the_restricted_profile_and_has_resources_probes_and_a_pdb(overlay):
    _name, objects = overlay
    assert policy.problems(objects) == []


# The checker itself: each item it enforces, taken away once, is reported.
def _first_container(objects, name, kind="Deployment", field="containers"):
    return policy.pod_template(by_key(objects)[f"{kind}/{name}"])["spec"][field][0]


MUTATIONS = {
    "writable root filesystem": (lambda o: _first_container(o, "identity", field="initContainers")["securityContext"]
                                 .pop("readOnlyRootFilesystem"), "identity: container migrate: the root filesystem"),
    "a capability kept": (lambda o: _first_container(o, "gateway")["securityContext"]["capabilities"]
                          .update(add=["NET_ADMIN"]), "container gateway: capabilities add"),
    "privilege escalation": (lambda o: _first_container(o, "notify-relay")["securityContext"]
                             .update(allowPrivilegeEscalation=True), "allowPrivilegeEscalation is not false"),
    "root": (lambda o: (_first_container(o, "notify")["securityContext"].update(runAsUser=0)), "runs as UID 0"),
    "no seccomp": (lambda o: [policy.pod_template(by_key(o)["Deployment/gateway"])["spec"]["securityContext"]
                              .pop("seccompProfile"),
                              _first_container(o, "gateway")["securityContext"].pop("seccompProfile")],
                   "seccompProfile is not RuntimeDefault"),
    "no resources on a CronJob": (lambda o: _first_container(o, "rare-earth-jobs", "CronJob").pop("resources"),
                                  "CronJob/rare-earth-jobs: container jobs has no requests"),
    "no cpu limit on the seed Job": (lambda o: _first_container(o, "tongban-seed", "Job")["resources"]["limits"]
                                     .pop("cpu"), "Job/tongban-seed: container "),
    "no readiness": (lambda o: _first_container(o, "notify-consume").pop("readinessProbe"),
                     "consume has no readinessProbe"),
    "no liveness": (lambda o: _first_container(o, "rare-earth-relay").pop("livenessProbe"),
                    "relay has no livenessProbe"),
    "token mounted": (lambda o: policy.pod_template(by_key(o)["Deployment/inspection"])["spec"]
                      .update(automountServiceAccountToken=True), "inspection: mounts a ServiceAccount token"),
    "default account": (lambda o: policy.pod_template(by_key(o)["Deployment/inspection"])["spec"]
                        .pop("serviceAccountName"), "inspection: runs as the default ServiceAccount"),
    "no preStop": (lambda o: _first_container(o, "gateway").pop("lifecycle"), "no preStop pause"),
    "a hostPath": (lambda o: policy.pod_template(by_key(o)["Deployment/origin-cert"])["spec"]["volumes"]
                   .append({"name": "host", "hostPath": {"path": "/"}}), "volume host is hostPath"),
    "/tmp not writable": (lambda o: _first_container(o, "ccc-exemption")["volumeMounts"].clear(),
                          "ccc-exemption: container server: /tmp is not an emptyDir"),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_the_check_reports_each_missing_item(mutation, render):
    objects = copy.deepcopy(documents(render(K8S / "overlays" / "dev")))
    change, expected = MUTATIONS[mutation]
    change(objects)
    assert any(expected in problem for problem in policy.problems(objects)), policy.problems(objects)


@pytest.mark.parametrize("kind", ["PodDisruptionBudget", "HorizontalPodAutoscaler"])
def test_the_check_reports_a_missing_pdb_or_hpa(kind, render):
    objects = [o for o in documents(render(K8S / "overlays" / "prod"))
               if not (o["kind"] == kind and o["metadata"]["name"] == "gateway")]
    expected = "no PodDisruptionBudget" if kind == "PodDisruptionBudget" else "no HorizontalPodAutoscaler"
    assert any(problem.startswith(f"Deployment/gateway: {expected}") for problem in policy.problems(objects))


def test_the_namespace_enforces_the_restricted_profile(overlay):
    _name, objects = overlay
    namespaces = [o for o in objects if o["kind"] == "Namespace"]
    assert [n["metadata"]["name"] for n in namespaces] == ["tongban"]
    assert namespaces[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert all(o["metadata"].get("namespace") == "tongban" for o in objects if o["kind"] != "Namespace")


# ---- one registry entry, one service -------------------------------------------------------

def test_every_registry_service_has_its_server_relay_workers_service_and_cronjobs(overlay):
    _name, objects = overlay
    index = by_key(objects)
    for spec in REGISTRY:
        name = k8s_name(spec.name)
        server = policy.pod_template(index[f"Deployment/{name}"])["spec"]
        assert server["containers"][0]["args"] == [f"services.{spec.name}", "serve"]
        assert server["containers"][0]["ports"] == [{"name": "grpc", "containerPort": spec.port},
                                                    {"name": "metrics", "containerPort": METRICS_PORT}]
        assert all(probe in server["containers"][0] and server["containers"][0][probe]["grpc"]["port"] == spec.port
                   for probe in ("startupProbe", "readinessProbe", "livenessProbe"))
        # Migrations run before the new version serves: the pod's first step, under the lock.
        assert [c["args"] for c in server["initContainers"]] == [[f"services.{spec.name}", "migrate"]]
        service = index[f"Service/{name}"]["spec"]
        assert service["ports"][0]["port"] == spec.port and service["clusterIP"] == "None"
        server_labels = policy.pod_template(index[f"Deployment/{name}"])["metadata"]["labels"]
        assert policy.selects(service["selector"], server_labels)
        relay = policy.pod_template(index[f"Deployment/{name}-relay"])["spec"]["containers"][0]
        assert relay["args"] == [f"services.{spec.name}", "relay"]
        assert relay["ports"] == [{"name": "metrics", "containerPort": METRICS_PORT}]
        assert index["ConfigMap/tongban-config"]["data"][f"{spec.env_prefix}_METRICS_PORT"] == str(METRICS_PORT)
        for worker in spec.workers:
            assert policy.pod_template(index[f"Deployment/{name}-{worker}"])["spec"]["containers"][0]["args"] == [
                f"services.{spec.name}", worker]
        for command, every in spec.schedule:
            cron = index[f"CronJob/{name}-{'-'.join(command)}"]
            assert cron["spec"]["schedule"] == generate.cron_schedule(every)
            assert cron["spec"]["concurrencyPolicy"] == "Forbid"
            assert policy.pod_template(cron)["spec"]["containers"][0]["args"] == [f"services.{spec.name}", *command]
        assert f"HorizontalPodAutoscaler/{name}" in index and f"ServiceAccount/{name}" in index


def test_the_gateway_is_ready_once_it_holds_identitys_keys_not_on_its_other_upstreams(overlay):
    _name, objects = overlay
    gateway = policy.pod_template(by_key(objects)["Deployment/gateway"])["spec"]["containers"][0]
    # /readyz: 503 until identity's keys are loaded, 200 with other upstreams down (gateway/tests/test_gunicorn.py).
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {m["mountPath"] for m in gateway["volumeMounts"]} == {"/tmp"}
    assert {"name": "XDG_RUNTIME_DIR", "value": "/tmp"} in gateway["env"]
    assert "secretRef" not in str(gateway["envFrom"])


def test_the_ingress_serves_tls_for_the_public_url(overlay):
    _name, objects = overlay
    index = by_key(objects)
    ingress = index["Ingress/gateway"]["spec"]
    host = ingress["rules"][0]["host"]
    assert ingress["tls"][0]["hosts"] == [host] and ingress["tls"][0]["secretName"]
    assert ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "gateway"
    assert index["ConfigMap/tongban-config"]["data"]["TONGBAN_PUBLIC_URL"] == f"https://{host}"


def test_the_ingress_routes_the_api_and_its_document_but_not_metrics_or_readiness(overlay):
    _name, objects = overlay
    paths = by_key(objects)["Ingress/gateway"]["spec"]["rules"][0]["http"]["paths"]

    def routed(path: str) -> bool:
        return any(path == p["path"] if p["pathType"] == "Exact" else path.startswith(p["path"]) for p in paths)

    assert routed("/v1/identity/sessions") and routed("/openapi.json") and routed("/docs")
    assert not routed("/metrics") and not routed("/readyz")


def test_prometheus_in_the_monitoring_namespace_scrapes_every_process_and_nobody_else_does(overlay):
    _name, objects = overlay
    prometheus = Pod("monitoring", {"app": "prometheus"}, {"tongban.io/monitoring": "true"})
    stranger = Pod("elsewhere", {"app": "prometheus"}, {"kubernetes.io/metadata.name": "elsewhere"})
    for name, pod in _pods(objects).items():
        port = GATEWAY_PORT if name == "gateway" else METRICS_PORT
        assert allowed(objects, prometheus, pod, port), name
        assert not allowed(objects, stranger, pod, port), name


def test_each_container_gets_only_its_own_services_secret(overlay):
    _name, objects = overlay
    seen = set()
    for obj in policy.workloads(objects):
        for c in policy.containers(policy.pod_template(obj)["spec"]):
            service = service_of(c)
            expected = set() if service is None else {secret_name(service)}
            assert secret_refs(c) == expected, f"{policy.key(obj)}: {c['name']}"
            seen.add(service)
    assert seen == {*(spec.name for spec in REGISTRY), None}


def test_the_example_secrets_hold_one_services_url_and_keys_each():
    every = documents((K8S / "examples" / "secrets.yaml").read_text())
    secrets = [s for s in every if not s["metadata"]["name"].endswith("-signer")]
    assert [s["metadata"]["name"] for s in secrets] == [secret_name(spec.name) for spec in REGISTRY]
    signers = [s for s in every if s["metadata"]["name"].endswith("-signer")]
    assert [s["metadata"]["name"] for s in signers] == [f"{secret_name(spec.name)}-signer" for spec in REGISTRY
                                                         if spec.issues_certificates]
    assert all(set(s["stringData"]) == {"key.pem", "cert.pem", "chain.pem", "trust.pem"} for s in signers)
    for spec, secret in zip(REGISTRY, secrets, strict=True):
        keys = set(secret["stringData"])
        assert {key for key in keys if key.endswith("_DATABASE_URL")} == {f"{spec.env_prefix}_DATABASE_URL"}
        assert "AMQP_URL" in keys
        assert ("IDENTITY_SECRET_KEY" in keys) == (spec.name == "identity")
        placeholders = secret["stringData"].items()
        assert all("CHANGE-ME" in value or key.startswith("TONGBAN_ADMIN") for key, value in placeholders)


def _seed_steps(objects: list[dict[str, Any]], job: str) -> list[list[str]]:
    pod = policy.pod_template(by_key(objects)[f"Job/{job}"])["spec"]
    return [c["args"] for c in [*pod.get("initContainers", ()), *pod["containers"]]]


def test_the_seed_job_migrates_then_runs_every_reference_seed_in_order(overlay):
    name, objects = overlay
    steps = _seed_steps(objects, "tongban-seed")
    expected: list[list[str]] = []
    for spec in REGISTRY:
        reference = [s for s in spec.seeds if (spec.name, s) not in generate.DEMO_SEEDS]
        if reference:
            expected += [[f"services.{spec.name}", "migrate"], *([f"services.{spec.name}", s] for s in reference)]
    assert steps == expected
    assert ["services.notify", "seed-templates"] in steps
    demo = [f"{spec.name}:{s}" for spec in REGISTRY for s in spec.seeds if (spec.name, s) in generate.DEMO_SEEDS]
    if name == "dev":
        assert [":".join((a[0].removeprefix("services."), a[1])) for a in _seed_steps(objects, "tongban-seed-demo")
                if a[1] != "migrate"] == demo
    else:
        assert "Job/tongban-seed-demo" not in by_key(objects)


def test_prod_spreads_strictly_and_runs_more_replicas(render):
    objects = documents(render(K8S / "overlays" / "prod"))
    for obj in objects:
        if obj["kind"] == "Deployment":
            constraints = policy.pod_template(obj)["spec"]["topologySpreadConstraints"]
            assert constraints[0]["whenUnsatisfiable"] == "DoNotSchedule"
        if obj["kind"] == "HorizontalPodAutoscaler":
            assert obj["spec"]["minReplicas"] == 3
    assert by_key(objects)["Deployment/identity-relay"]["spec"]["replicas"] == 2


def test_a_new_service_is_one_registry_entry(tmp_path):
    """Render the overlays with a seventh service in the registry: it is deployed whole, and passes the checks."""
    customs = ServiceSpec("customs_declaration", 50057, "/v1/customs", "报关", scope="customs_declaration",
                          workers=("consume",), seeds=("seed-codes",), schedule=((("sweep", "--once"), 3600),))
    copy_of = tmp_path / "deploy"
    shutil.copytree(K8S, copy_of / "k8s")
    for path, text in generate.outputs((*REGISTRY, customs)).items():
        target = copy_of / path.relative_to(generate.DEPLOY)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    objects = documents(kustomize(copy_of / "k8s" / "overlays" / "prod"))
    index = by_key(objects)
    assert policy.problems(objects) == []
    for key in ("Deployment/customs-declaration", "Deployment/customs-declaration-relay",
                "Deployment/customs-declaration-consume", "Service/customs-declaration",
                "CronJob/customs-declaration-sweep---once", "HorizontalPodAutoscaler/customs-declaration",
                "PodDisruptionBudget/customs-declaration-relay", "ServiceAccount/customs-declaration",
                "NetworkPolicy/customs-declaration-grpc-ingress"):
        assert key in index, key
    assert index["CronJob/customs-declaration-sweep---once"]["spec"]["schedule"] == "0 * * * *"
    assert index["ConfigMap/tongban-config"]["data"]["CUSTOMS_DECLARATION_ADDR"] == "customs-declaration:50057"
    assert ["services.customs_declaration", "seed-codes"] in _seed_steps(objects, "tongban-seed")
    gateway = policy.pod_template(index["Deployment/gateway"])["metadata"]["labels"]
    assert gateway["tongban.io/calls-customs-declaration"] == "true"


@pytest.mark.parametrize(("every", "cron"), [(60, "* * * * *"), (600, "*/10 * * * *"), (3600, "0 * * * *"),
                                             (7200, "0 */2 * * *"), (86400, "15 1 * * *")])
def test_registry_periods_become_cron_schedules(every, cron):
    assert generate.cron_schedule(every) == cron


@pytest.mark.parametrize("every", [45, 700, 5400, 172800])
def test_a_period_cron_cannot_keep_is_refused(every):
    with pytest.raises(ValueError, match=f"{every} s"):
        generate.cron_schedule(every)


# ---- the network ---------------------------------------------------------------------------

def _pods(objects: list[dict[str, Any]]) -> dict[str, Pod]:
    return {obj["metadata"]["name"]: Pod("tongban", policy.pod_template(obj)["metadata"]["labels"])
            for obj in policy.workloads(objects)}


def test_each_server_accepts_only_the_gateway_and_its_callers(overlay):
    _name, objects = overlay
    pods = _pods(objects)
    ports = {k8s_name(spec.name): spec.port for spec in REGISTRY}
    reaching = {server: sorted(source for source, pod in pods.items()
                               if source != server and allowed(objects, pod, pods[server], port))
                for server, port in ports.items()}
    relays = [f"{k8s_name(spec.name)}-relay" for spec in REGISTRY]
    others = [name for name in ports if name != "identity"]
    assert reaching["identity"] == sorted(["gateway", *others, "notify-consume"])
    assert reaching["notify"] == sorted(["gateway", "notify-consume", *relays])
    # notify's server asks rare_earth whether a staff notice's sender may address its recipients.
    assert reaching["rare-earth"] == ["gateway", "notify"]
    for name in ("inspection", "ccc-exemption", "origin-cert"):
        assert reaching[name] == ["gateway"]
    # Off its own port, not even the gateway.
    assert not allowed(objects, pods["gateway"], pods["identity"], ports["notify"])
    stranger = Pod("tongban", {"app.kubernetes.io/name": "debug"})
    assert not any(allowed(objects, stranger, pods[server], port) for server, port in ports.items())


def test_only_the_ingress_controller_reaches_the_gateway(overlay):
    _name, objects = overlay
    pods = _pods(objects)
    controller = Pod("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"},
                     {"kubernetes.io/metadata.name": "ingress-nginx"})
    other_namespace = Pod("shop", {"app.kubernetes.io/name": "ingress-nginx"}, {"kubernetes.io/metadata.name": "shop"})
    assert allowed(objects, controller, pods["gateway"], 8080)
    assert not allowed(objects, other_namespace, pods["gateway"], 8080)
    assert not allowed(objects, controller, pods["identity"], 50051)


def test_egress_goes_only_to_the_platforms_backends(overlay):
    _name, objects = overlay
    pods = _pods(objects)
    postgresql = Pod("databases", {"app": "postgresql"}, {"tongban.io/postgresql": "true"})
    rabbitmq = Pod("messaging", {"app": "rabbitmq"}, {"tongban.io/rabbitmq": "true"})
    collector = Pod("observability", {"app": "otel"}, {"tongban.io/otel-collector": "true"})
    consul = Pod("consul", {"app": "consul"}, {"tongban.io/consul": "true"})
    dns = Pod("kube-system", {"k8s-app": "kube-dns"}, {"kubernetes.io/metadata.name": "kube-system"})
    internet = Pod("outside", {}, ip="203.0.113.10")
    for name, pod in pods.items():
        assert allowed(objects, pod, dns, 53, "UDP"), name
        assert allowed(objects, pod, collector, 4317) and allowed(objects, pod, consul, 8500), name
        assert allowed(objects, pod, postgresql, 5432) == (name != "gateway"), name
        assert not allowed(objects, pod, postgresql, 6379), name
        assert not allowed(objects, pod, internet, 80), name
        assert allowed(objects, pod, internet, 443) == name.startswith("notify"), name
    assert allowed(objects, pods["identity-relay"], rabbitmq, 5672)
    assert allowed(objects, pods["notify-consume"], rabbitmq, 5671)
    assert not allowed(objects, pods["identity"], rabbitmq, 5672)
    assert not allowed(objects, pods["gateway"], rabbitmq, 5672)


def test_the_operations_guide_creates_each_services_secret_with_its_own_url():
    guide = (REPO / "docs" / "operations.md").read_text()
    commands = guide.split("kubectl -n tongban create secret generic ")[1:]
    by_secret = {command.split()[0]: command.split("\n   kubectl")[0] for command in commands}
    for spec in REGISTRY:
        command = by_secret[secret_name(spec.name)]
        urls = [word for word in command.split() if "_DATABASE_URL=" in word]
        assert urls and all(url.startswith(f"--from-literal={spec.env_prefix}_DATABASE_URL=") for url in urls)
        assert "--from-literal=AMQP_URL=" in command
    assert "services.identity rotate-keys" in guide


def test_only_the_server_of_a_system_that_issues_certificates_holds_its_signer(render):
    objects = documents(render(K8S / "overlays" / "prod"))
    holders = {policy.key(obj) for obj in objects if obj["kind"] in ("Deployment", "Job", "CronJob")
               and any(v.get("secret", {}).get("secretName", "").endswith("-signer")
                       for v in policy.pod_template(obj)["spec"].get("volumes", []))}
    assert holders == {f"Deployment/{k8s_name(spec.name)}" for spec in REGISTRY if spec.issues_certificates}
    for spec in REGISTRY:
        if spec.issues_certificates:
            server = policy.pod_template(by_key(objects)[f"Deployment/{k8s_name(spec.name)}"])["spec"]
            env = {var["name"]: var.get("value") for var in server["containers"][0]["env"]}
            assert env[f"{spec.env_prefix}_SIGNING_KEY_FILE"].startswith("/etc/tongban/signer/")
            mount = next(m for m in server["containers"][0]["volumeMounts"] if m["name"] == "signer")
            assert mount["readOnly"] is True
