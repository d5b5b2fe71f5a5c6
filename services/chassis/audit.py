"""The audit trail every service keeps: who did what, on which record, with what result, hash-chained.

One row per routed mutating call (Cybersecurity Law art. 21): written by the unit of work that commits
the change, in the same transaction (result OK), or after a refused or failed call in a transaction
of its own (services/chassis/audit_api.py). Rows are append-only and chained: each row's hash covers
the previous row's hash and its own canonical content, so an edited, removed or reordered row breaks
the chain at its sequence, which ``verify-audit`` reports. A purge of rows past the retention keeps
the chain verifiable: it appends a row naming the last purged sequence and its hash, which the first
kept row's ``previous_hash`` must match.

Besides its calls, a service may name what happened inside one (or in a job, outside any) as events
its users search by name, identity's ``LOGIN`` or ``ACCOUNT_LOCKED`` say: :func:`record_event` keeps
one with the session, and the unit of work appends it to the same chain when it commits, just before
the call's own row (action ``event/<NAME>``, the same request id). An event that records a failure
takes the code and reason of the refusal committed with it (``UnitOfWork.commit_refusal``).
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from services.chassis.auth import current_caller
from services.chassis.db import aware, utcnow

AUDIT_TABLE = "audit_trail"
AUDIT_INDEXES = (
    ("ix_audit_trail_at", ("at",)),
    ("ix_audit_trail_actor", ("actor_id", "sequence")),
    ("ix_audit_trail_record", ("record_type", "record_id", "sequence")),
)
# An event's action is this and its name; a call's is its gRPC method, which starts with "/".
EVENT_PREFIX = "event/"
# Where a session keeps the events recorded in it until its unit of work commits (Session.info).
_PENDING_EVENTS = "tongban.audit_events"
# The previous hash of the first row ever written.
GENESIS_HASH = "0" * 64
PURGE_ACTION = "audit.purge"
# The least the law allows (six months); the setting may only be longer.
MINIMUM_RETENTION_DAYS = 180
DETAIL_LIMIT = 2000
# Every column but the two hashes, in the canonical content a row's hash covers.
CHAINED_COLUMNS = ("sequence", "at", "actor_id", "actor_kind", "actor_roles", "organization_id", "agency",
                   "client_ip", "request_id", "action", "record_type", "record_id", "result_code",
                   "result_reason", "detail")
# Writers of one database append one at a time: a transaction-scoped advisory lock (PostgreSQL).
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"tongban.audit_trail").digest()[:8], "big", signed=True)


def audit_columns() -> list[Column]:
    """Fresh column objects each call: for the models' metadata and for the migration alike."""
    return [
        # Assigned under the append lock, one more than the last: the chain has no gaps.
        Column("sequence", BigInteger, primary_key=True, autoincrement=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor_id", String(64), nullable=True),
        Column("actor_kind", String(32), nullable=True),
        Column("actor_roles", String(500), nullable=False, default=""),
        Column("organization_id", String(64), nullable=True),
        Column("agency", String(64), nullable=True),
        Column("client_ip", String(64), nullable=True),
        Column("request_id", String(64), nullable=True),
        # The gRPC method, /tongban.<svc>.v1.<Service>/<Method>.
        Column("action", String(200), nullable=False),
        Column("record_type", String(64), nullable=False, default=""),
        Column("record_id", String(128), nullable=False, default=""),
        # A google.rpc.Code name and the error's reason.
        Column("result_code", String(32), nullable=False),
        Column("result_reason", String(64), nullable=False, default=""),
        Column("detail", Text, nullable=False, default="{}"),
        Column("previous_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    ]


def define_audit_table(metadata: MetaData) -> Table:
    return Table(AUDIT_TABLE, metadata, *audit_columns(),
                 *(Index(name, *columns) for name, columns in AUDIT_INDEXES))


@dataclass
class AuditCall:
    """The routed mutating call running on this thread, as its audit row will name it."""

    method: str
    record_type: str = ""
    record_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    # Set once a unit of work committed the call's row: a later failure is not written twice.
    written: bool = False


_call: contextvars.ContextVar[AuditCall | None] = contextvars.ContextVar("tongban_audit_call", default=None)


def current_call() -> AuditCall | None:
    return _call.get()


def begin_call(call: AuditCall) -> contextvars.Token:
    return _call.set(call)


def end_call(token: contextvars.Token) -> None:
    _call.reset(token)


def note(*, record_type: str | None = None, record_id: str | None = None, **detail: Any) -> None:
    """Name the record a use case acted on (a created one, say) or add to the detail; outside a call, nothing."""
    call = current_call()
    if call is None:
        return
    if record_type is not None:
        call.record_type = record_type
    if record_id is not None:
        call.record_id = record_id
    call.detail.update(detail)


def entry_of(call: AuditCall, result_code: str = "OK", result_reason: str = "",
             detail: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The row for ``call`` as the current caller, without its sequence and hashes."""
    from services.chassis.telemetry import current_request_id

    caller = current_caller()
    text_detail = json.dumps({**call.detail, **(detail or {})}, ensure_ascii=False, sort_keys=True, default=str)
    if len(text_detail) > DETAIL_LIMIT:
        text_detail = json.dumps({"truncated": text_detail[:DETAIL_LIMIT // 2]}, ensure_ascii=False)
    return {
        "at": utcnow(),
        "actor_id": caller.account_id,
        "actor_kind": caller.kind,
        "actor_roles": ",".join(sorted(caller.roles))[:500],
        "organization_id": caller.organization_id,
        "agency": caller.agency,
        "client_ip": (caller.client_ip or None) and caller.client_ip[:64],
        "request_id": (current_request_id() or "")[:64] or None,
        "action": call.method[:200],
        "record_type": call.record_type[:64],
        "record_id": call.record_id[:128],
        "result_code": result_code,
        "result_reason": (result_reason or "")[:64],
        "detail": text_detail,
    }


def refused_entry(call: AuditCall, code: str, reason: str, message: str) -> dict[str, Any]:
    """The row of a call refused with ``code``: its reason, and the first of its message."""
    return entry_of(call, code, reason, {"message": message[:300]} if message else {})


@dataclass(frozen=True)
class Event:
    name: str
    record_type: str
    record_id: str
    failed: bool
    detail: str
    actor_id: str | None
    user_agent: str


def record_event(session: Session, name: str, *, record_type: str = "", record_id: str = "", failed: bool = False,
                 detail: str = "", actor_id: str | None = None) -> None:
    """Keep event ``name`` for the unit of work of ``session`` to append when it commits (nothing if it does not).

    ``actor_id`` names the actor when the caller is not yet known (a login, a registration).
    """
    caller = current_caller()
    session.info.setdefault(_PENDING_EVENTS, []).append(Event(
        name, record_type, record_id, failed, detail, actor_id, (caller.user_agent or "")[:300]))


def pending_events(session: Session) -> list[Event]:
    """The events recorded in ``session`` since it last committed, forgotten here."""
    return session.info.pop(_PENDING_EVENTS, [])


def event_entry(event: Event, refusal: tuple[str, str] | None = None) -> dict[str, Any]:
    """The row of ``event`` as the current caller; a failed one takes ``refusal``'s code and reason."""
    code, reason = ("OK", "") if not event.failed else refusal or ("UNKNOWN", "")
    detail = {"detail": event.detail[:DETAIL_LIMIT // 2], "userAgent": event.user_agent}
    entry = entry_of(AuditCall(EVENT_PREFIX + event.name, event.record_type, event.record_id), code, reason, detail)
    if event.actor_id:
        entry["actor_id"] = event.actor_id
    return entry


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        # Both databases give the same instant back; SQLite drops the zone, so it is written as UTC.
        return aware(value).astimezone(UTC).isoformat(timespec="microseconds")
    return value


def canonical(row: Mapping[str, Any]) -> str:
    return json.dumps({name: _plain(row[name]) for name in CHAINED_COLUMNS}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"))


def chain_hash(previous_hash: str, row: Mapping[str, Any]) -> str:
    return hashlib.sha256(f"{previous_hash}\n{canonical(row)}".encode()).hexdigest()


def _lock(session: Session) -> None:
    """Held until the transaction ends; on SQLite every writer already holds the database's write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def append(session: Session, table: Table, entry: Mapping[str, Any], *,
           purged: tuple[int, str] | None = None) -> dict[str, Any]:
    """Add ``entry`` as the next row of the chain, in ``session``'s transaction (the caller commits).

    ``purged``: the sequence and hash of the last purged row, for a purge that left no row behind.
    """
    _lock(session)
    last = session.execute(select(table.c.sequence, table.c.hash)
                           .order_by(table.c.sequence.desc()).limit(1)).first()
    sequence, previous_hash = (last.sequence, last.hash) if last else purged or (0, GENESIS_HASH)
    row = {**entry, "at": aware(entry["at"]), "sequence": sequence + 1, "previous_hash": previous_hash}
    row["hash"] = chain_hash(row["previous_hash"], row)
    session.execute(insert(table), [row])
    return row


@dataclass(frozen=True)
class Verdict:
    """What a walk of the chain found: ``broken_at`` is the first sequence that does not hold, or None."""

    rows: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_rows(rows: Iterable[Mapping[str, Any]]) -> Verdict:
    """Walk ``rows`` in sequence order: gap-free sequences, each linked to the one before and hashed right."""
    count = 0
    first: Mapping[str, Any] | None = None
    previous: Mapping[str, Any] | None = None
    purges: list[Mapping[str, Any]] = []
    for row in rows:
        count += 1
        if previous is None:
            first = row
            if row["sequence"] == 1 and row["previous_hash"] != GENESIS_HASH:
                return Verdict(count, row["sequence"], "the first row does not start the chain")
        else:
            if row["sequence"] != previous["sequence"] + 1:
                return Verdict(count, previous["sequence"] + 1, "a row is missing")
            if row["previous_hash"] != previous["hash"]:
                return Verdict(count, row["sequence"], "not linked to the row before")
        if chain_hash(row["previous_hash"], row) != row["hash"]:
            return Verdict(count, row["sequence"], "its content does not match its hash")
        if row["action"] == PURGE_ACTION:
            purges.append(row)
        previous = row
    if first is not None and first["sequence"] != 1:
        # Rows before the first kept one may only have gone by a purge, which named where it stopped.
        expected = {"purgedThrough": first["sequence"] - 1, "lastHash": first["previous_hash"]}
        if not any({key: json.loads(p["detail"]).get(key) for key in expected} == expected for p in purges):
            return Verdict(count, first["sequence"] - 1, "rows before the first were removed without a purge")
    return Verdict(count)


def verify(session: Session, table: Table, batch: int = 1000) -> Verdict:
    """The verdict on the whole chain, read in batches (a table of millions never sits in memory)."""

    def rows() -> Iterable[Mapping[str, Any]]:
        after = 0
        while True:
            chunk = session.execute(select(table).where(table.c.sequence > after)
                                    .order_by(table.c.sequence).limit(batch)).mappings().all()
            yield from chunk
            if len(chunk) < batch:
                return
            after = chunk[-1]["sequence"]

    return verify_rows(rows())


def purge(session: Session, table: Table, retention_days: int, *, now: datetime | None = None) -> int:
    """Delete the rows older than ``retention_days`` and append a row naming the last one; returns how many.

    Only the chain's head goes, up to the first row still within the retention: a row's time need not
    follow its sequence (clocks of replicas differ; rows carried over by a migration keep their own time),
    and no row younger than the retention is ever removed, an older one after it waits for the next purge.
    """
    if retention_days < MINIMUM_RETENTION_DAYS:
        raise ValueError(f"audit rows are kept at least {MINIMUM_RETENTION_DAYS} days")
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    _lock(session)
    first_kept = session.scalar(select(func.min(table.c.sequence)).where(table.c.at >= cutoff))
    older = select(table.c.sequence).where(table.c.at < cutoff)
    if first_kept is not None:
        older = older.where(table.c.sequence < first_kept)
    through = session.scalar(older.order_by(table.c.sequence.desc()).limit(1))
    if through is None:
        return 0
    last_hash = session.scalar(select(table.c.hash).where(table.c.sequence == through))
    removed = session.execute(delete(table).where(table.c.sequence <= through)).rowcount
    append(session, table, {
        **entry_of(AuditCall(PURGE_ACTION, "audit_trail", str(through)),
                   detail={"purgedThrough": through, "lastHash": last_hash, "retentionDays": retention_days}),
        "actor_kind": "SYSTEM", "actor_id": None, "actor_roles": "", "organization_id": None, "agency": None,
        "client_ip": None}, purged=(through, last_hash))
    return removed
