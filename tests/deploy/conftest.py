"""Rendering the overlays once per run: ``kubectl kustomize`` is the same binary CI and operators use."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.generate import K8S

OVERLAYS = ("dev", "prod")


def kustomize(directory: Path) -> str:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is not installed: the manifests cannot be rendered")
    result = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return result.stdout


def documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


@pytest.fixture(scope="session")
def render() -> Callable[[Path], str]:
    cache: dict[Path, str] = {}

    def rendered(directory: Path) -> str:
        if directory not in cache:
            cache[directory] = kustomize(directory)
        return cache[directory]

    return rendered


@pytest.fixture(scope="session", params=OVERLAYS)
def overlay(request, render) -> tuple[str, list[dict[str, Any]]]:
    """(name, rendered objects) of each overlay."""
    return request.param, documents(render(K8S / "overlays" / request.param))
