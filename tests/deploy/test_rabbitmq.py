"""deploy/rabbitmq/definitions.json: loads into RabbitMQ, and the services' own declarations agree with it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import pika
import pytest

from deploy.generate import DEPLOY, VHOST, rabbitmq_definitions
from services.chassis import testing
from services.chassis.topology import declare_topology


def rabbitmqctl(*args: str) -> str:
    executable = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    result = subprocess.run([executable, "-q", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def queue_types(vhost: str) -> dict[str, str]:
    lines = rabbitmqctl("list_queues", "-p", vhost, "name", "type").splitlines()
    return dict(line.split("\t") for line in lines[1:] if "\t" in line)


def connect(vhost: str) -> pika.BlockingConnection:
    return pika.BlockingConnection(pika.URLParameters(f"{testing.AMQP_BASE}/{vhost}"))


@pytest.fixture
def vhosts() -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for vhost in made:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)


def test_the_committed_file_is_the_chassis_topology_in_the_tongban_vhost():
    committed = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    assert committed == rabbitmq_definitions()
    assert committed["vhosts"][0]["name"] == VHOST
    assert all(q["arguments"]["x-queue-type"] == "quorum" for q in committed["queues"] if q["durable"])


def test_definitions_load_and_the_services_declare_the_same_quorum_queues(vhosts):
    imported, declared_alone = testing.unique_name("defs"), testing.unique_name("defs_alone")
    vhosts += [imported, declared_alone]
    definitions = rabbitmq_definitions(imported)
    definitions["permissions"] = [{"user": "guest", "vhost": imported, "configure": ".*", "write": ".*",
                                   "read": ".*"}]
    # A file anyone may read: rabbitmqctl may run as the broker's user, who cannot read pytest's folders.
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir="/tmp") as file:
        json.dump(definitions, file)
        file.flush()
        os.chmod(file.name, 0o644)
        rabbitmqctl("import_definitions", file.name)
    loaded = queue_types(imported)
    assert loaded == {q["name"]: "quorum" for q in definitions["queues"]}

    # The relays and consumers declare the topology on every connect, naming no queue type:
    # against the imported vhost that must succeed (no PRECONDITION_FAILED) and add nothing.
    connection = connect(imported)
    try:
        declare_topology(connection.channel())
    finally:
        connection.close()
    assert queue_types(imported) == loaded

    # And the file leaves out nothing the chassis declares.
    rabbitmqctl("add_vhost", declared_alone)
    rabbitmqctl("set_permissions", "-p", declared_alone, "guest", ".*", ".*", ".*")
    connection = connect(declared_alone)
    try:
        declare_topology(connection.channel())
    finally:
        connection.close()
    assert set(queue_types(declared_alone)) == set(loaded)
    policies = rabbitmqctl("list_policies", "-p", imported)
    assert "tongban-quorum" in policies and "delivery-limit" in policies
