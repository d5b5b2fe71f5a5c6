"""The platform's REST contract as clients meet it: a valid OpenAPI document, and a client generated from it.

The client comes from openapi-python-client (a maintained generator on PyPI), generated
from the running stack's /openapi.json into a temporary folder, imported, and used to call
one route of every service: its answers parse into the generated models and back to the
same JSON.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
from openapi_spec_validator import validate

from services.chassis.registry import REGISTRY, SERVICES

pytestmark = pytest.mark.e2e

CLIENT_PACKAGE = "tongban_client"


@pytest.fixture(scope="module")
def document(stack) -> dict:
    response = requests.get(f"{stack.url}/openapi.json", timeout=30)
    assert response.status_code == 200
    return response.json()


def test_the_served_document_is_valid_openapi_with_every_service_in_it(stack, document):
    validate(document)
    assert document["servers"] == [{"url": stack.url}]
    areas = {spec.rest_area for spec in REGISTRY}
    assert {next(a for a in areas if path.startswith(a + "/") or path.startswith(a + ":"))
            for path in document["paths"]} == areas


@pytest.fixture(scope="module")
def client_package(document, tmp_path_factory) -> Iterator[ModuleType]:
    """The generated client, importable for the module's tests."""
    import json

    folder = tmp_path_factory.mktemp("client")
    source = folder / "openapi.json"
    source.write_text(json.dumps(document, ensure_ascii=False))
    generator = Path(sys.executable).with_name("openapi-python-client")
    # Its post-generation hooks run ruff, which sits beside it in the virtualenv.
    env = {**os.environ, "PATH": f"{generator.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(generator), "generate", "--path", str(source), "--meta", "none",
                           "--output-path", str(folder / CLIENT_PACKAGE)], capture_output=True, text=True,
                          timeout=300, env=env, cwd=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stdout, done.stdout
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(CLIENT_PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == CLIENT_PACKAGE or n.startswith(CLIENT_PACKAGE + ".")]:
            del sys.modules[name]


def _operations(package: ModuleType, document: dict) -> Iterator[tuple[str, str, ModuleType]]:
    """(service, path, generated module) of every JSON GET without path parameters, by path."""
    api = importlib.import_module(f"{package.__name__}.api")
    # The generator names a module after its operation id in snake case: compare without the underscores.
    modules = {info.name.rsplit(".", 1)[1].replace("_", ""): info.name
               for info in pkgutil.walk_packages(api.__path__, f"{api.__name__}.") if not info.ispkg}
    upstreams = sorted(SERVICES, key=len, reverse=True)  # ``ccc_exemption`` before a shorter prefix
    for path, item in sorted(document["paths"].items()):
        operation = item.get("get")
        if operation is None or "{" in path or "application/json" not in operation["responses"]["200"]["content"]:
            continue
        service = next(s for s in upstreams if operation["operationId"].startswith(s + "_"))
        yield service, path, importlib.import_module(modules[operation["operationId"].replace("_", "").lower()])


_MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


def _moments(value: Any) -> Any:
    """The JSON with RFC 3339 times as datetimes: a model writes ``+00:00`` where the gateway wrote ``Z``."""
    if isinstance(value, dict):
        return {key: _moments(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_moments(item) for item in value]
    if isinstance(value, str) and _MOMENT.match(value):
        return datetime.fromisoformat(value)
    return value


def test_a_generated_client_calls_one_route_of_every_service(stack, document, client_package):
    from tongban_client import AuthenticatedClient, Client
    from tongban_client.models.google_rpc_status import GoogleRpcStatus

    admin = stack.admin
    tokens = {"anonymous": None, "admin": stack.access_token(admin["login"], admin["password"], admin["phone"])}
    office = next(login for login in stack.demo_logins() if login.login == "demo_re_office")
    tokens["rare-earth office"] = stack.access_token(office.login, office.password, office.phone)
    clients = {who: AuthenticatedClient(base_url=stack.url, token=token, raise_on_unexpected_status=True)
               if token else Client(base_url=stack.url, raise_on_unexpected_status=True)
               for who, token in tokens.items()}
    answered: dict[str, tuple[str, str]] = {}
    for service, path, module in _operations(client_package, document):
        if service in answered:
            continue
        for who, client in clients.items():
            response = module.sync_detailed(client=client)
            if response.status_code == 200:
                parsed = response.parsed
                assert not isinstance(parsed, GoogleRpcStatus), path
                # The typed model holds every field the gateway sent, and gives back the same JSON.
                sent = requests.get(f"{stack.url}{path}", timeout=10,
                                    headers={"Authorization": f"Bearer {tokens[who]}"} if tokens[who] else {}).json()
                assert _moments(parsed.to_dict()) == _moments(sent), path
                answered[service] = (path, who)
                break
            assert isinstance(response.parsed, GoogleRpcStatus), (path, response.status_code)
    assert set(answered) == set(SERVICES), answered

    from tongban_client.api.tongban_identity_v_1_account_service import identity_account_service_get_me

    me = identity_account_service_get_me.sync(client=clients["admin"])
    assert me.account.login_name == stack.admin["login"]
    refused = identity_account_service_get_me.sync_detailed(client=clients["anonymous"])
    assert refused.status_code == 401 and isinstance(refused.parsed, GoogleRpcStatus)
    assert refused.parsed.code == 16
