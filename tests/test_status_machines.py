"""Every status of every service moves through its state machine.

A status column is bound to the machine declared in the service's domain
(``status_column``), so a flush refuses any move that machine does not allow, however
the record was changed. A set-based UPDATE of a status bypasses the flush, so it must
be the machine's own guarded ``update``: no UPDATE statement in a service sets a status.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from sqlalchemy import inspect

from services.chassis.config import REPO_ROOT
from services.chassis.registry import SERVICES
from services.chassis.states import StateMachine, machines_of

BUILT = [service for service in SERVICES
         if importlib.import_module(f"services.{service}.definition").DEFINITION.metadata.tables.keys()
         - {"outbox_messages", "inbox_messages"}]


def _is_status(name: str) -> bool:
    return name == "status" or name.endswith("_status")


def _models(service: str) -> list[type]:
    metadata = importlib.import_module(f"services.{service}.definition").DEFINITION.metadata
    models = importlib.import_module(f"services.{service}.models")
    classes = [getattr(models, name) for name in dir(models)]
    return [c for c in classes if isinstance(c, type) and getattr(c, "metadata", None) is metadata
            and hasattr(c, "__table__")]


def status_machines(service: str) -> dict[str, StateMachine]:
    """``Model.column`` -> its machine, for every bound status column of the service."""
    return {f"{model.__name__}.{column}": machine
            for model in _models(service) for column, machine in machines_of(model).items()}


@pytest.mark.parametrize("service", BUILT)
def test_every_status_column_of_the_service_is_bound_to_a_state_machine(service):
    unbound = [f"{model.__name__}.{attribute.key}" for model in _models(service)
               for attribute in inspect(model).column_attrs
               if _is_status(attribute.key) and attribute.key not in machines_of(model)]
    assert unbound == []
    machines = status_machines(service)
    assert machines, f"{service} declares no state machine"
    for where, machine in machines.items():
        assert machine.states and machine.initial, where
        for state in machine.states:
            # Every state is reachable from a starting state, or is one.
            assert state in machine.initial or machine.sources_of(state), f"{where}: {state} is unreachable"


def test_the_machines_of_identity_notify_and_rare_earth_are_listed():
    listed = {service: sorted({m.name for m in status_machines(service).values()}) for service in BUILT}
    assert {"identity", "notify", "rare_earth"} <= set(listed)
    for service in ("identity", "notify", "rare_earth"):
        assert listed[service], service
    print("\n".join(f"{service}: {', '.join(names)}" for service, names in listed.items()))


def _status_updates(path: Path) -> list[str]:
    """``update(...)...values(status=...)`` written by hand in a service's code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "values"):
            continue
        chain = ast.unparse(node.func.value)
        if "update(" not in chain:
            continue
        keys = [k.arg for k in node.keywords if k.arg] + [
            k.value for arg in node.args if isinstance(arg, ast.Dict) for k in arg.keys
            if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        if any(_is_status(key) for key in keys):
            found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    return found


@pytest.mark.parametrize("service", BUILT)
def test_no_update_statement_sets_a_status_past_its_machine(service):
    folder = REPO_ROOT / "services" / service
    sources = [p for p in folder.rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts]
    assert [hit for path in sources for hit in _status_updates(path)] == []
