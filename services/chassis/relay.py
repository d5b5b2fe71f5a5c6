"""The outbox relay: publishes what use cases committed to the outbox, and marks it sent on the broker's ack.

It claims unsent rows in id order, a batch at a time (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several relays can share one outbox), publishes the batch persistent and
mandatory on a confirm-mode channel, then collects the confirms. A nack, a
basic.return (unroutable) or a missing confirm leaves the row unsent with ``attempts``
+1 and ``last_error``; it is retried after a back-off of its own.

When no broker answers, the relay says so once and hands messages for exchanges with
a direct route to that route instead (by default notification requests go to notify
over gRPC); everything else waits in the outbox until the broker is back.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import grpc
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from services.chassis.amqp import (
    Backoff,
    BrokerUnavailable,
    ConfirmingPublisher,
    Outcomes,
    Publication,
    describe,
    redacted,
    stop_event_on_signals,
)
from services.chassis.db import is_postgresql, read_only_session, utcnow
from services.chassis.heartbeat import Heartbeat
from services.chassis.messages import InboundMessage
from services.chassis.metrics import LAG_BUCKETS, WatchedGauge, meter

if TYPE_CHECKING:
    from services.chassis.context import DirectDelivery, ServiceContext

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500
POLL_INTERVAL_SECONDS = 0.2
MAX_ROW_RETRY_DELAY_SECONDS = 60.0

_meter = meter("tongban.relay")
_lag = _meter.create_histogram("outbox.relay.lag", unit="s", explicit_bucket_boundaries_advisory=LAG_BUCKETS,
                               description="From the commit that wrote a message to its delivery (broker ack)")
_published = _meter.create_counter("outbox.published", description="Outbox messages delivered, by exchange and route")
_failed = _meter.create_counter("outbox.failed", description="Outbox delivery attempts that failed (kept for a retry)")
OUTBOX_DEPTH = WatchedGauge("outbox.depth", "Outbox messages not yet delivered")
OUTBOX_OLDEST_AGE = WatchedGauge("outbox.oldest.age", "How long the oldest undelivered message has waited", unit="s")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    message_id: str
    exchange: str
    routing_key: str
    payload: str
    headers: str
    priority: int
    created_at: datetime
    attempts: int

    def header_map(self) -> dict[str, str]:
        try:
            headers = json.loads(self.headers or "{}")
        except json.JSONDecodeError:
            return {}
        return {str(key): str(value) for key, value in headers.items()} if isinstance(headers, dict) else {}

    def publication(self) -> Publication:
        created = self.created_at if self.created_at.tzinfo else self.created_at.replace(tzinfo=UTC)
        return Publication(key=self.id, exchange=self.exchange, routing_key=self.routing_key,
                           body=self.payload.encode("utf-8"), message_id=self.message_id,
                           headers=self.header_map(), priority=self.priority, timestamp=int(created.timestamp()))

    def inbound(self) -> InboundMessage:
        return InboundMessage(message_id=self.message_id, routing_key=self.routing_key, exchange=self.exchange,
                              payload=json.loads(self.payload), headers=self.header_map(),
                              redelivered=self.attempts > 0)


@dataclass(frozen=True)
class BatchResult:
    claimed: int
    sent: int


def direct_routes(context: ServiceContext,
                  overrides: Mapping[str, DirectDelivery | None] | None = None) -> dict[str, DirectDelivery]:
    """The default routes (notify over gRPC) with a service's own added or replaced; None removes one."""
    from services.chassis.clients.notify import default_direct_routes

    routes: dict[str, DirectDelivery] = default_direct_routes(context.channels)
    for exchange, delivery in (overrides or {}).items():
        if delivery is None:
            routes.pop(exchange, None)
        else:
            routes[exchange] = delivery
    return routes


def _failure_text(exc: BaseException) -> str:
    if isinstance(exc, grpc.RpcError) and hasattr(exc, "code"):
        return f"direct delivery failed: {exc.code().name} {exc.details()}"
    return f"direct delivery failed: {describe(exc)}"


class Relay:
    """Moves one service's outbox to RabbitMQ (or to direct routes while no broker answers)."""

    def __init__(self, context: ServiceContext, *, direct_deliveries: Mapping[str, DirectDelivery | None] | None = None,
                 amqp_url: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                 reconnect_backoff: Backoff | None = None, confirm_timeout: float = 30.0,
                 before_batch: Callable[[], None] | None = None) -> None:
        self.context = context
        # Called before each batch and may wait (a service's latency-critical work going first).
        self._before_batch = before_batch
        self.url = amqp_url or context.settings.amqp_url
        self.routes = direct_routes(context, direct_deliveries)
        self.batch_size = batch_size
        self.publisher = ConfirmingPublisher(self.url, app_id=context.settings.service,
                                             confirm_timeout=confirm_timeout)
        self._backoff = reconnect_backoff or Backoff()
        self._next_connect_at = 0.0
        self._in_outage = False
        self._was_connected = False
        # Row id -> monotonic time before which a failed row is not tried again.
        self._held: dict[int, float] = {}

    @property
    def outbox(self) -> Table:
        return self.context.tables.outbox

    def relay_once(self) -> int:
        """Relay one batch; returns how many messages were delivered (and marked sent)."""
        return self.relay_batch().sent

    def relay_batch(self) -> BatchResult:
        broker = self._broker_ready()
        exchanges = None if broker else tuple(self.routes)
        if exchanges == ():
            return BatchResult(0, 0)
        if is_postgresql(self.context.engine):
            # The row locks are held while publishing, so a second relay skips these rows.
            with self.context.session_factory() as session, session.begin():
                rows = self._claim(session, exchanges, lock=True)
                outcomes = self._deliver(rows, broker)
                self._record(session, rows, outcomes)
        else:
            # SQLite has one writer: holding it while publishing would stall the service's
            # own writes (and a local direct route writing to the same file would deadlock).
            with self.context.session_factory() as session:
                read_only_session(session)  # a deferred read: the service's writers never wait for it
                rows = self._claim(session, exchanges, lock=False)
            outcomes = self._deliver(rows, broker)
            if outcomes:
                with self.context.session_factory() as session, session.begin():
                    self._record(session, rows, outcomes)
        return BatchResult(len(rows), sum(1 for error in outcomes.values() if error is None))

    def run(self, stop: threading.Event, poll_interval: float = POLL_INTERVAL_SECONDS) -> int:
        """Relay until ``stop`` is set: the next batch at once while busy, a short poll when idle."""
        log.info("relaying the %s outbox to %s", self.context.settings.service, redacted(self.url))
        database_backoff = Backoff(initial=0.5, maximum=10.0)
        # Read at scrape time, from the database: what waits is there, whoever relays it.
        unwatch = [OUTBOX_DEPTH.watch(lambda: [(self.backlog()[0], self._labels)]),
                   OUTBOX_OLDEST_AGE.watch(lambda: [(_age(self.backlog()[1]), self._labels)])]
        heartbeat = Heartbeat(f"{self.context.settings.service}-relay")
        try:
            while not stop.is_set():
                heartbeat.beat()
                if self._before_batch is not None:
                    self._before_batch()
                try:
                    result = self.relay_batch()
                except SQLAlchemyError as exc:
                    log.error("the outbox is unreachable (%s); retrying", describe(exc))
                    stop.wait(database_backoff.next_delay())
                    continue
                except Exception:
                    # A relay that dies silently stops every message of its service: log, reconnect, go on.
                    log.exception("relaying a batch failed; reconnecting")
                    self.close()
                    stop.wait(database_backoff.next_delay())
                    continue
                database_backoff.reset()
                if result.claimed >= self.batch_size and result.sent > 0:
                    continue
                if self.publisher.is_open:
                    self.publisher.idle(poll_interval)
                else:
                    stop.wait(poll_interval)
        finally:
            for stop_watching in unwatch:
                stop_watching()
            self.close()
        log.info("relay stopped")
        return 0

    def close(self) -> None:
        self.publisher.close()

    @property
    def _labels(self) -> dict[str, str]:
        return {"service": self.context.settings.service}

    def backlog(self) -> tuple[int, datetime | None]:
        """How many messages wait in the outbox, and when the oldest of them was committed."""
        outbox = self.outbox
        with self.context.session_factory() as session:
            read_only_session(session)
            count, oldest = session.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.sent_at.is_(None))).one()
        return int(count), oldest

    # -- the broker ---------------------------------------------------------------------

    def _broker_ready(self) -> bool:
        if self.publisher.is_open:
            return True
        if self._was_connected:
            self._was_connected = False
            log.warning("lost the connection to RabbitMQ at %s; reconnecting", redacted(self.url))
        if time.monotonic() < self._next_connect_at:
            return False
        try:
            self.publisher.connect()
        except BrokerUnavailable as exc:
            self._next_connect_at = time.monotonic() + self._backoff.next_delay()
            if not self._in_outage:
                self._in_outage = True
                log.error(
                    "RabbitMQ at %s does not answer (%s): delivering %s directly; messages for other "
                    "exchanges wait in the outbox until it is back",
                    redacted(self.url), exc, ", ".join(sorted(self.routes)) or "nothing",
                )
            return False
        if self._in_outage:
            log.warning("RabbitMQ at %s answers again: publishing from the outbox resumed", redacted(self.url))
        self._in_outage = False
        self._was_connected = True
        self._backoff.reset()
        return True

    # -- the outbox ---------------------------------------------------------------------

    def _claim(self, session: Session, exchanges: Iterable[str] | None, *, lock: bool) -> list[OutboxRow]:
        outbox = self.outbox
        now = time.monotonic()
        self._held = {row_id: until for row_id, until in self._held.items() if until > now}
        query = (
            select(outbox.c.id, outbox.c.message_id, outbox.c.exchange, outbox.c.routing_key, outbox.c.payload,
                   outbox.c.headers, outbox.c.priority, outbox.c.created_at, outbox.c.attempts)
            .where(outbox.c.sent_at.is_(None))
            .order_by(outbox.c.id)
            .limit(self.batch_size)
        )
        if exchanges is not None:
            query = query.where(outbox.c.exchange.in_(list(exchanges)))
        if self._held:
            query = query.where(outbox.c.id.not_in(list(self._held)))
        if lock:
            query = query.with_for_update(skip_locked=True)
        return [OutboxRow(**row._mapping) for row in session.execute(query)]

    def _deliver(self, rows: list[OutboxRow], broker: bool) -> Outcomes:
        if not rows:
            return {}
        if broker:
            outcomes = self.publisher.publish_batch(row.publication() for row in rows)
        else:
            outcomes = self._deliver_directly(rows)
        self._measure(rows, outcomes, "broker" if broker else "direct")
        return outcomes

    def _measure(self, rows: list[OutboxRow], outcomes: Outcomes, route: str) -> None:
        now = datetime.now(UTC)
        service = self.context.settings.service
        for row in rows:
            if row.id not in outcomes:
                continue
            attributes = {"service": service, "exchange": row.exchange, "route": route}
            if outcomes[row.id] is None:
                _published.add(1, attributes)
                _lag.record(max(0.0, _age(row.created_at, now)), attributes)
            else:
                _failed.add(1, attributes)

    def _deliver_directly(self, rows: list[OutboxRow]) -> Outcomes:
        outcomes: Outcomes = {}
        failed_routes: set[str] = set()
        for row in rows:
            if row.exchange in failed_routes:
                continue  # that receiver is down too: leave the rest untouched for the next poll
            try:
                self.routes[row.exchange](row.inbound())
            except Exception as exc:  # any failure leaves the row for a retry
                outcomes[row.id] = _failure_text(exc)
                failed_routes.add(row.exchange)
            else:
                outcomes[row.id] = None
        return outcomes

    def _record(self, session: Session, rows: list[OutboxRow], outcomes: Outcomes) -> None:
        outbox = self.outbox
        sent = [row_id for row_id, error in outcomes.items() if error is None]
        if sent:
            session.execute(update(outbox).where(outbox.c.id.in_(sent)).values(sent_at=utcnow()))
        attempts = {row.id: row.attempts for row in rows}
        failures = [{"row_id": row_id, "error": error[:2000]} for row_id, error in outcomes.items() if error]
        if not failures:
            return
        session.execute(
            update(outbox).where(outbox.c.id == bindparam("row_id"))
            .values(attempts=outbox.c.attempts + 1, last_error=bindparam("error")),
            failures,
        )
        now = time.monotonic()
        by_error: dict[str, list[int]] = {}
        for failure in failures:
            tries = attempts.get(failure["row_id"], 0) + 1
            self._held[failure["row_id"]] = now + min(0.5 * 2 ** (tries - 1), MAX_ROW_RETRY_DELAY_SECONDS)
            by_error.setdefault(failure["error"], []).append(failure["row_id"])
        for error, row_ids in by_error.items():
            log.warning("%d outbox message(s) not delivered, kept for a retry (rows %s): %s", len(row_ids),
                        ", ".join(map(str, row_ids[:10])) + (" ..." if len(row_ids) > 10 else ""), error)


def _age(moment: datetime | None, now: datetime | None = None) -> float:
    """Seconds since ``moment`` (naive means UTC, as SQLite answers); 0 for none."""
    if moment is None:
        return 0.0
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return ((now or datetime.now(UTC)) - moment).total_seconds()


def run_relay(context: ServiceContext, direct_deliveries: Mapping[str, DirectDelivery | None] | None = None,
              *, stop_event: threading.Event | None = None, **options: Any) -> int:
    """``python -m services.<name> relay``: relay until SIGTERM/SIGINT (or ``stop_event``)."""
    stop = stop_event or stop_event_on_signals()
    relay = Relay(context, direct_deliveries=direct_deliveries, **options)
    return relay.run(stop)
