"""Engines and sessions, one database per service: SQLite in dev, PostgreSQL in production."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Engine, Integer, Table, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

# An autoincrement primary key that is BIGINT on PostgreSQL and rowid-backed INTEGER on SQLite.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


# Execution option marking a transaction that only reads (see :func:`read_only_session`).
READ_ONLY_OPTION = "tongban_read_only"


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """Every stored time is UTC; SQLite hands them back naive."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def contains(column: Any, text: str) -> Any:
    """``column LIKE '%text%'`` with the wildcards in ``text`` taken literally: a fuzzy query of a list."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def insert_ignoring_duplicates(session: Session, table: Table, rows: Sequence[Mapping[str, Any]],
                               returning: Any = None) -> list[Any]:
    """INSERT ... ON CONFLICT DO NOTHING: what was already there stays, once; answers ``returning`` of the new."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).on_conflict_do_nothing()
    if returning is not None:
        return list(session.execute(statement.returning(returning), [dict(r) for r in rows]).scalars())
    session.execute(statement, [dict(r) for r in rows])
    return []


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine for a `<SERVICE>_DATABASE_URL`.

    ``postgresql://`` URLs use psycopg 3; SQLite files get their folder created, WAL,
    foreign keys and a busy timeout so a relay and a server can share the file.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
    elif parsed.get_backend_name() == "sqlite":
        in_memory = not parsed.database or parsed.database == ":memory:"
        if not in_memory:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # An in-memory database lives in one connection: share it rather than get an empty one per checkout.
        pool = {"poolclass": StaticPool} if in_memory else {}
        engine = create_engine(parsed, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        raise ValueError(f"unsupported database URL scheme: {parsed.drivername}")
    from services.chassis.telemetry import instrument_engine

    instrument_engine(engine)
    return engine


def _sqlite_begin(conn) -> None:
    """Writers take SQLite's write lock when their transaction starts, so they queue instead of failing.

    A DEFERRED transaction that reads and then writes cannot wait for the lock in WAL
    mode: if another writer committed since its read, it fails at once with
    SQLITE_BUSY. So every transaction starts IMMEDIATE unless it is marked read-only;
    read-only ones start DEFERRED and never block writers (WAL readers see a snapshot).
    """
    read_only = conn.get_execution_options().get(READ_ONLY_OPTION, False)
    # Set on every transaction, so a pooled connection never keeps a previous one's mode.
    conn.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # let the "begin" listener above issue BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def read_only_session(session: Session) -> Session:
    """Mark a fresh session's transaction read-only: SQLite starts it DEFERRED, PostgreSQL READ ONLY.

    Call before the session's first statement; a write inside it fails rather than half-happens.
    """
    session.connection(execution_options={READ_ONLY_OPTION: True, "postgresql_readonly": True})
    return session


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _lock_key(job: str) -> int:
    return int.from_bytes(hashlib.sha256(job.encode()).digest()[:8], "big", signed=True)


@contextmanager
def single_run(engine: Engine, job: str) -> Iterator[bool]:
    """Yields whether this process may run ``job`` now: False while another run holds it.

    On PostgreSQL a session advisory lock, held on its own connection for the whole run
    and freed even if the process dies; SQLite serialises writers anyway, so always True.
    """
    if not is_postgresql(engine):
        yield True
        return
    with engine.connect() as connection:
        acquired = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                           {"key": _lock_key(job)}).scalar())
        try:
            yield acquired
        finally:
            if acquired:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _lock_key(job)})
            connection.rollback()


@contextmanager
def one_at_a_time(engine: Engine, job: str) -> Iterator[None]:
    """Run the block while no other process runs ``job`` on this database, waiting for it if one does.

    The same advisory lock as :func:`single_run`, taken with a wait instead of a refusal.
    """
    if not is_postgresql(engine):
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _lock_key(job)})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _lock_key(job)})
            connection.rollback()
