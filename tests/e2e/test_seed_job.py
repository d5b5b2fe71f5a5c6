"""A cluster's first deploy: fresh databases set up only by what the prod overlay runs before serving.

The prod overlay's seed Job (migrations and every reference seed, no demo data) and the
servers' migration init containers run here, step by step, with the commands the
manifests name; the platform then starts on those databases (``--prepared``: no setup of
its own), and a new user registers with a verification code and logs in. A template or
a reference seed that only `make run` loads would fail here.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from stdnum.cn import ric

from deploy.generate import K8S
from services.chassis.config import REPO_ROOT
from services.chassis.testing.stack import PRODUCTION_LIKE, Stack, stack_environment
from tests.deploy import policy
from tests.deploy.conftest import documents, kustomize

pytestmark = [
    pytest.mark.e2e,
    # The setup runs each service's migration and seed in a process of its own, then starts the platform.
    pytest.mark.timeout(600),
    pytest.mark.skipif(os.environ.get("TONGBAN_E2E_PROFILE", PRODUCTION_LIKE.name) != PRODUCTION_LIKE.name,
                       reason="a cluster runs on PostgreSQL and RabbitMQ"),
]

_rng = random.Random()


def _steps_before_serving(objects: list[dict[str, Any]]) -> list[list[str]]:
    """The seed Job's steps in order, then each Deployment's init containers (its migration)."""
    by_key = {policy.key(obj): obj for obj in objects}
    seed = policy.pod_template(by_key["Job/tongban-seed"])["spec"]
    steps = [c["args"] for c in [*seed.get("initContainers", ()), *seed["containers"]]]
    for obj in objects:
        if obj["kind"] == "Deployment":
            steps += [c["args"] for c in policy.pod_template(obj)["spec"].get("initContainers", ())]
    return steps


@pytest.fixture(scope="module")
def cluster_seeded(tmp_path_factory, postgres_database, rabbit_vhost) -> Iterator[tuple[Stack, list[list[str]]]]:
    var_dir = tmp_path_factory.mktemp("seed-job")
    env = stack_environment(PRODUCTION_LIKE, var_dir, database_url=lambda s: postgres_database(f"seedjob_{s}"),
                            amqp_url=rabbit_vhost("seedjob"))
    stack = Stack(PRODUCTION_LIKE, var_dir, env, arguments=("--prepared",))
    steps = _steps_before_serving(documents(kustomize(K8S / "overlays" / "prod")))
    process_env = stack.config.environment(env)
    for args in steps:
        # The image's entrypoint is `python -m`.
        result = subprocess.run([sys.executable, "-m", *args], env=process_env, cwd=REPO_ROOT, capture_output=True,
                                text=True, timeout=180)
        assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}"
    stack.start()
    try:
        yield stack, steps
    finally:
        stack.stop()


def test_the_prod_seed_job_loads_no_demo_data(cluster_seeded):
    _stack, steps = cluster_seeded
    assert ["services.notify", "seed-templates"] in steps
    assert not [args for args in steps if args[-1] == "seed-demo"]


def test_after_only_the_prod_seed_job_a_new_user_registers_with_a_code_and_logs_in(cluster_seeded):
    stack, _steps = cluster_seeded
    phone = f"15{_rng.randrange(10**9):09d}"
    before = stack.code_count(phone)
    response = requests.post(f"{stack.url}/v1/identity/verification-codes",
                             json={"channel": "SMS", "target": phone, "purpose": "REGISTER"}, timeout=30)
    assert response.status_code == 200, response.text
    code = stack.latest_code(phone, after=before)
    first = "11010119900307" + f"{_rng.randrange(1000):03d}"
    body = {"loginName": f"first{_rng.randrange(10**8)}", "password": "Passw0rd1", "name": "周首批",
            "idType": "RESIDENT_ID", "idNumber": first + ric.calc_check_digit(first + "0"), "phone": phone,
            "smsCode": code}
    registered = requests.post(f"{stack.url}/v1/identity/registrations/natural-person", json=body, timeout=30)
    assert registered.status_code == 201, registered.text
    session = stack.login(body["loginName"], body["password"], phone)
    assert session["accessToken"]
