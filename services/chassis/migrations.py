"""Alembic per service: one shared environment, each service's revisions in its own ``migrations/versions``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

SCRIPT_LOCATION = Path(__file__).resolve().parent / "alembic"


def alembic_config(metadata: MetaData, versions_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("version_locations", str(versions_dir))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = database_url
    config.attributes["target_metadata"] = metadata
    return config


def upgrade(metadata: MetaData, versions_dir: Path, database_url: str) -> None:
    command.upgrade(alembic_config(metadata, versions_dir, database_url), "head")


def make_revision(metadata: MetaData, versions_dir: Path, database_url: str, message: str) -> None:
    """Autogenerate a revision from the difference between the models and the database."""
    versions_dir.mkdir(parents=True, exist_ok=True)
    command.revision(alembic_config(metadata, versions_dir, database_url), message=message, autogenerate=True)
