"""Every service's migrations build its schema from nothing, and match its models exactly."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.chassis import migrations
from services.chassis.config import REPO_ROOT
from services.chassis.registry import SERVICES


def definition_of(service: str):
    return importlib.import_module(f"services.{service}.definition").DEFINITION


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_upgrade_a_fresh_postgresql_database_to_match_the_models(service, postgres_database):
    definition = definition_of(service)
    url = postgres_database(f"migrate_{service}")
    migrations.upgrade(definition.metadata, definition.versions_dir, url)
    assert migrations.differences(definition.metadata, url) == []


def test_a_model_without_a_migration_is_reported(postgres_database, tmp_path):
    from sqlalchemy import Column, MetaData, String, Table

    metadata = MetaData()
    Table("applications", metadata, Column("id", String(32), primary_key=True))
    url = postgres_database("migrate_missing")
    empty_versions = Path(tmp_path)
    migrations.upgrade(metadata, empty_versions, url)
    [difference] = migrations.differences(metadata, url)
    assert difference[0] == "add_table"
    assert difference[1].name == "applications"


def test_replicas_migrating_one_database_at_once_take_turns_and_apply_it_once(postgres_database):
    """Alembic takes no lock of its own; three pods starting together must not all apply the same upgrade."""
    url = postgres_database("migrate_together")
    env = {**os.environ, "INSPECTION_DATABASE_URL": url, "TONGBAN_ENV": "test",
           "INSPECTION_SECRET_KEY": "inspection-test-secret-key-0123456789"}
    runs = [subprocess.Popen([sys.executable, "-m", "services.inspection", "migrate"], env=env, cwd=REPO_ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert sum("Running upgrade" in output for output in outputs) == 1, outputs
    assert migrations.differences(definition_of("inspection").metadata, url) == []
