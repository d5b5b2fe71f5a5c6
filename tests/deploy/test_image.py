"""deploy/Dockerfile: a pinned base, a non-root user the manifests agree with, nothing but what runs."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from deploy import generate
from deploy.manifests.facts import UID

REPO = generate.DEPLOY.parent
DOCKERFILE = generate.DEPLOY / "Dockerfile"
IGNORE = generate.DEPLOY / "Dockerfile.dockerignore"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _pattern(rule: str) -> re.Pattern[str]:
    """A .dockerignore pattern as Docker reads it: `**` any depth, `*` and `?` within one path element."""
    out, i = "", 0
    while i < len(rule):
        if rule.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif rule.startswith("**", i):
            out, i = out + ".*", i + 2
        elif rule[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif rule[i] == "?":
            out, i = out + "[^/]", i + 1
        elif rule[i] == "[":
            end = rule.index("]", i)
            out, i = out + rule[i:end + 1], end + 1
        else:
            out, i = out + re.escape(rule[i]), i + 1
    return re.compile(out)


def in_context(path: str) -> bool:
    """Whether Docker sends ``path`` to the build: the last rule matching it or a parent folder decides."""
    rules = [line.strip() for line in IGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    included = True
    for rule in rules:
        negated = rule.startswith("!")
        pattern = _pattern(rule.removeprefix("!").strip("/"))
        if any(pattern.fullmatch(prefix) for prefix in prefixes):
            included = negated
    return included


def test_every_base_image_is_pinned_by_digest():
    args = dict(re.match(r"(\w+)=(\S+)", value).groups() for kind, value in instructions() if kind == "ARG")
    bases = [re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], value.split()[0])
             for kind, value in instructions() if kind == "FROM"]
    assert len(bases) == 2
    for base in bases:
        assert re.fullmatch(r"python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", base), base


def test_the_image_runs_as_the_user_the_manifests_require():
    users = [value for kind, value in instructions() if kind == "USER"]
    assert users == [f"{UID}:{UID}"]
    assert UID != 0


def test_what_the_dockerfile_copies_exists_and_is_in_the_context():
    for kind, value in instructions():
        if kind == "COPY" and "--from=" not in value:
            for source in value.split()[:-1]:
                assert (REPO / source).exists(), source
                assert in_context(source), source


@pytest.mark.parametrize("path", ["services/identity/tests/test_login.py", "services/chassis/tests/conftest.py",
                                  "gateway/tests/test_app.py", "tests/e2e/test_platform.py",
                                  "protos/identity/v1/accounts_pb2.py", "protos/notify/v1/notify_pb2_grpc.py",
                                  "protos/testing/v1/echo.proto", "services/identity/__pycache__/cli.cpython-311.pyc",
                                  "deploy/local/run.py", "deploy/k8s/base/gateway.yaml", "deploy/generate.py",
                                  "bench/bench_gateway.py", ".venv/bin/python", "var/identity.db", ".git/HEAD"])
def test_tests_generated_code_and_local_files_stay_out(path):
    assert not in_context(path)


@pytest.mark.parametrize("path", ["pyproject.toml", "constraints.txt", "protos/generate.py",
                                  "protos/identity/v1/accounts.proto", "services/chassis/alembic/env.py",
                                  "services/chassis/data/divisions.json", "gateway/gunicorn_conf.py",
                                  "deploy/probe.py"])
def test_what_runs_goes_in(path):
    assert in_context(path)


def test_no_tracked_test_file_reaches_the_image():
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    sent = [f for f in files if in_context(f)]
    assert sent and not [f for f in sent if "tests/" in f or Path(f).name.startswith("test_")]
    assert {f.split("/")[0] for f in sent} == {"pyproject.toml", "constraints.txt", "protos", "services", "gateway",
                                               "deploy"}


def test_the_code_generator_is_no_runtime_dependency_and_leaves_the_image_after_generating():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.lower().startswith("grpcio-tools")]
    assert [d for d in project["optional-dependencies"]["protos"] if d.lower().startswith("grpcio-tools")]
    runs = [value for kind, value in instructions() if kind == "RUN"]
    generating = next(i for i, value in enumerate(runs) if "protos.generate" in value)
    assert "/tmp/protos.txt" in " ".join(runs[:generating + 1]), "the build stage does not install the protos extra"
    step = runs[generating]
    assert step.index("protos.generate") < step.index("pip uninstall --yes --requirement /tmp/protos.txt")
    copies = [value for kind, value in instructions() if kind == "COPY" and "--from=build" in value]
    assert "/opt/venv" in " ".join(copies)
