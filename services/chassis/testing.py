"""Real PostgreSQL databases and RabbitMQ vhosts for tests, one fresh set per test run.

Names carry the process id, so parallel test runs on one machine never share state.
``TEST_POSTGRES_URL`` and ``TEST_AMQP_URL`` point elsewhere when needed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from urllib.parse import quote

import psycopg
from psycopg import sql

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_BASE = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")


def unique_name(label: str) -> str:
    return f"tb_{label}_{os.getpid()}".lower()


def create_postgres_database(label: str) -> str:
    """Create an empty database and return its SQLAlchemy URL."""
    name = unique_name(label)
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _rabbitmqctl(*args: str) -> None:
    executable = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([executable, "-q", *args], check=True, capture_output=True, timeout=60)


def create_rabbit_vhost(label: str) -> str:
    """Create an empty vhost the guest user may use, and return its AMQP URL."""
    vhost = unique_name(label)
    with contextlib.suppress(subprocess.CalledProcessError):
        _rabbitmqctl("delete_vhost", vhost)
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    return f"{AMQP_BASE}/{quote(vhost, safe='')}"


def delete_rabbit_vhost(url: str) -> None:
    from urllib.parse import unquote

    _rabbitmqctl("delete_vhost", unquote(url.rsplit("/", 1)[1]))
