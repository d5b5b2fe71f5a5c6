"""RabbitMQ plumbing shared by the outbox relay and the consumers.

The :class:`ConfirmingPublisher` drives an asynchronous pika ``SelectConnection`` from
the caller's own thread: it publishes a whole batch on a channel in confirm mode and
then collects the broker's confirms, instead of waiting for each one in turn (which
caps persistent publishing near 2,000 messages/s on these machines).
"""

from __future__ import annotations

import collections
import logging
import random
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pika
import pika.exceptions
from pika import spec
from pika.adapters.select_connection import SelectConnection

from services.chassis.topology import DECLARED_EXCHANGES, declare_topology

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/json"
PERSISTENT = 2
MESSAGE_ID_METADATA = "x-message-id"


class BrokerUnavailable(Exception):
    """No broker answered, or the connection to it was lost."""


# pika logs every failed connection attempt at ERROR, several lines each; the relay and the
# consumers report an outage themselves, once, so these would only bury that line.
_NOISY_PIKA_LOGGERS = (
    "pika.adapters.utils.connection_workflow",
    "pika.adapters.utils.io_services_utils",
    "pika.adapters.blocking_connection",
    "pika.adapters.base_connection",
)


def quiet_pika_connection_errors() -> None:
    for name in _NOISY_PIKA_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def connection_parameters(url: str, *, connect_timeout: float = 5.0, heartbeat: int = 30,
                          client_name: str = "tongban") -> pika.URLParameters:
    """Parameters for one attempt to reach the broker; callers retry with their own back-off."""
    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = connect_timeout
    parameters.stack_timeout = connect_timeout * 2
    parameters.blocked_connection_timeout = 60
    parameters.heartbeat = heartbeat
    parameters.client_properties = {"connection_name": client_name}
    return parameters


def redacted(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def describe(exc: BaseException) -> str:
    text = str(exc) or repr(exc)
    name = type(exc).__name__
    return text if text.startswith(name) else f"{name}: {text}"


def decode_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """AMQP header table -> plain strings (pika hands long strings back as bytes)."""
    decoded: dict[str, str] = {}
    for key, value in (headers or {}).items():
        if isinstance(value, bytes):
            decoded[key] = value.decode("utf-8", "replace")
        elif value is not None:
            decoded[key] = str(value)
    return decoded


@dataclass
class Backoff:
    """Exponential back-off with jitter, so a fleet of processes does not reconnect in step."""

    initial: float = 0.5
    maximum: float = 15.0
    _current: float = field(default=0.0, init=False)

    def next_delay(self) -> float:
        self._current = self.initial if self._current == 0 else min(self._current * 2, self.maximum)
        return self._current * random.uniform(0.8, 1.0)

    def reset(self) -> None:
        self._current = 0.0


def stop_event_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT (only the main thread may install signal handlers)."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda _signum, _frame: stop.set())
    return stop


@dataclass(frozen=True)
class Publication:
    """One message to publish; ``key`` identifies it in the outcome (the outbox row id)."""

    key: int
    exchange: str
    routing_key: str
    body: bytes
    message_id: str
    headers: Mapping[str, str]
    priority: int = 0
    timestamp: int | None = None


# key -> None when the broker confirmed it, else why it was not published.
Outcomes = dict[int, str | None]


class ConfirmingPublisher:
    """Publishes batches with ``mandatory=True`` on a confirm-mode channel and reports each outcome.

    Not thread-safe: one publisher belongs to one thread, which also drives its I/O loop
    (:meth:`idle` keeps heartbeats flowing between batches).
    """

    def __init__(self, url: str, *, app_id: str = "tongban", connect_timeout: float = 5.0,
                 confirm_timeout: float = 30.0) -> None:
        self.url = url
        quiet_pika_connection_errors()
        self._parameters = connection_parameters(url, connect_timeout=connect_timeout,
                                                 client_name=f"tongban-relay-{app_id}")
        self._app_id = app_id
        self._connect_timeout = connect_timeout
        self._confirm_timeout = confirm_timeout
        self._connection: SelectConnection | None = None
        self._channel: Any = None
        self._channel_closed_reason: str | None = None
        self._connection_closed_reason: str | None = None
        self._known_exchanges: set[str] = set()
        self._next_tag = 0
        self._pending: collections.OrderedDict[int, Publication] = collections.OrderedDict()
        self._returned: dict[str, str] = {}
        self._outcomes: Outcomes = {}
        self._waiting_for: Callable[[], bool] | None = None

    @property
    def is_open(self) -> bool:
        connection = self._connection
        return connection is not None and connection.is_open and self._connection_closed_reason is None

    # -- connecting ---------------------------------------------------------------------

    def connect(self) -> None:
        """Declare the topology and open a confirm-mode channel; raises BrokerUnavailable."""
        self.close()
        try:
            # A short blocking connection declares the topology: whichever process starts
            # first, the exchanges exist before anything is published to them.
            with pika.BlockingConnection(self._parameters) as blocking:
                declare_topology(blocking.channel())
        except (pika.exceptions.AMQPError, OSError) as exc:
            raise BrokerUnavailable(describe(exc)) from exc
        self._connection_closed_reason = None
        opened: dict[str, Any] = {}
        self._connection = SelectConnection(
            self._parameters,
            on_open_callback=lambda _conn: self._note(opened, "ok", True),
            on_open_error_callback=lambda _conn, exc: self._note(opened, "error", exc),
            on_close_callback=self._on_connection_closed,
        )
        if not self._pump(lambda: bool(opened), self._connect_timeout * 2) or "error" in opened:
            reason = describe(opened["error"]) if "error" in opened else "timed out opening the connection"
            self._discard_connection()
            raise BrokerUnavailable(reason)
        self._known_exchanges = set(DECLARED_EXCHANGES)
        if not self._open_channel():
            reason = self._channel_closed_reason or self._connection_closed_reason or "could not open a channel"
            self.close()
            raise BrokerUnavailable(reason)

    def _open_channel(self) -> bool:
        assert self._connection is not None
        opened: dict[str, Any] = {}
        self._channel = None
        self._channel_closed_reason = None
        self._connection.channel(on_open_callback=lambda ch: self._note(opened, "channel", ch))
        if not self._pump(lambda: bool(opened) or not self.is_open, self._connect_timeout):
            return False
        if "channel" not in opened:
            return False
        channel = opened["channel"]
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        selected: dict[str, Any] = {}
        channel.confirm_delivery(self._on_confirm, callback=lambda _frame: self._note(selected, "ok", True))
        if not self._pump(lambda: bool(selected) or self._channel_closed_reason is not None or not self.is_open,
                          self._connect_timeout) or not selected:
            return False
        self._channel = channel
        self._next_tag = 0
        return True

    def close(self) -> None:
        connection = self._connection
        if connection is not None and connection.is_open:
            try:
                connection.close()
                self._pump(lambda: connection.is_closed, self._connect_timeout)
            except pika.exceptions.AMQPError:
                pass
        self._discard_connection()

    def _discard_connection(self) -> None:
        connection, self._connection = self._connection, None
        self._channel = None
        if connection is not None:
            try:
                connection.ioloop.close()
            except Exception:  # a broken loop must not stop a reconnect
                log.debug("closing the publisher's I/O loop failed", exc_info=True)

    # -- publishing ---------------------------------------------------------------------

    def publish_batch(self, publications: Iterable[Publication]) -> Outcomes:
        """Publish every message, then wait for the broker to confirm or refuse each one."""
        publications = list(publications)
        if not self.is_open:
            return {p.key: "no connection to the broker" for p in publications}
        outcomes: Outcomes = {}
        missing = self._missing_exchanges({p.exchange for p in publications} - self._known_exchanges)
        for exchange in missing:
            log.warning("exchange %s does not exist; its messages stay in the outbox", exchange)
        needs_channel = self._channel is None or self._channel_closed_reason is not None
        if needs_channel and not self._open_channel():
            return {p.key: self._channel_closed_reason or "no channel to the broker" for p in publications}
        self._pending.clear()
        self._returned.clear()
        self._outcomes = outcomes
        for index, publication in enumerate(publications):
            if publication.exchange in missing:
                outcomes[publication.key] = f"exchange {publication.exchange} does not exist"
                continue
            try:
                self._channel.basic_publish(
                    publication.exchange,
                    publication.routing_key,
                    publication.body,
                    properties=self._properties(publication),
                    mandatory=True,
                )
            except pika.exceptions.AMQPError as exc:
                # The channel or connection went away under us: what was not handed over is not sent.
                for unsent in publications[index:]:
                    outcomes.setdefault(unsent.key, f"not published: {describe(exc)}")
                break
            self._next_tag += 1
            self._pending[self._next_tag] = publication
        confirmed = self._pump(
            lambda: not self._pending or self._channel_closed_reason is not None or not self.is_open,
            self._confirm_timeout,
        )
        if self._pending:
            reason = (self._connection_closed_reason or self._channel_closed_reason
                      or f"no confirm from the broker within {self._confirm_timeout:g} s")
            for publication in self._pending.values():
                outcomes[publication.key] = reason
            self._pending.clear()
            if not confirmed and self.is_open and self._channel is not None:
                # Late confirms for this batch must not be taken for the next one's.
                self._channel.close()
                self._channel = None
        self._outcomes = {}
        return outcomes

    def _properties(self, publication: Publication) -> pika.BasicProperties:
        return pika.BasicProperties(
            content_type=CONTENT_TYPE,
            delivery_mode=PERSISTENT,
            message_id=publication.message_id,
            priority=publication.priority,
            headers=dict(publication.headers),
            timestamp=publication.timestamp,
            app_id=self._app_id,
        )

    def _missing_exchanges(self, exchanges: set[str]) -> set[str]:
        """Check unfamiliar exchanges passively: publishing to a missing one would close the channel."""
        missing: set[str] = set()
        for exchange in sorted(exchanges):
            if not self.is_open:
                break
            result: dict[str, Any] = {}
            assert self._connection is not None

            def on_open(channel: Any, exchange: str = exchange, result: dict[str, Any] = result) -> None:
                channel.add_on_close_callback(lambda _ch, exc: self._note(result, "closed", exc))
                channel.exchange_declare(exchange, passive=True,
                                         callback=lambda _frame: self._note(result, "exists", channel))

            self._connection.channel(on_open_callback=on_open)
            self._pump(lambda result=result: bool(result) or not self.is_open, self._connect_timeout)
            if "exists" in result:
                self._known_exchanges.add(exchange)
                result["exists"].close()
            elif "closed" in result:
                missing.add(exchange)
        return missing

    def idle(self, seconds: float) -> None:
        """Let the I/O loop run (heartbeats, a lost connection noticed) for up to ``seconds``."""
        if self.is_open:
            self._pump(lambda: not self.is_open, seconds)
        else:
            time.sleep(seconds)

    # -- callbacks (run inside the I/O loop) ------------------------------------------------

    def _on_confirm(self, frame: Any) -> None:
        method = frame.method
        acked = isinstance(method, spec.Basic.Ack)
        if method.multiple:
            # Pending tags are in publishing order, so the confirmed ones are at the front.
            confirmed = []
            while self._pending and next(iter(self._pending)) <= method.delivery_tag:
                confirmed.append(self._pending.popitem(last=False)[1])
        else:
            single = self._pending.pop(method.delivery_tag, None)
            confirmed = [single] if single is not None else []
        for publication in confirmed:
            if acked:
                # RabbitMQ sends basic.return before the ack of an unroutable message.
                self._outcomes[publication.key] = self._returned.pop(publication.message_id, None)
            else:
                self._outcomes[publication.key] = "the broker refused the message (basic.nack)"
        self._wake()

    def _on_return(self, _channel: Any, method: Any, properties: Any, _body: bytes) -> None:
        self._returned[properties.message_id] = (
            f"unroutable: {method.reply_code} {method.reply_text} "
            f"(exchange {method.exchange!r}, routing key {method.routing_key!r})"
        )

    def _on_channel_closed(self, channel: Any, reason: BaseException) -> None:
        if channel is self._channel or self._channel is None:
            self._channel_closed_reason = describe(reason)
        self._wake()

    def _on_connection_closed(self, _connection: Any, reason: BaseException) -> None:
        self._connection_closed_reason = describe(reason)
        self._wake()

    def _note(self, result: dict[str, Any], key: str, value: Any) -> None:
        result[key] = value
        self._wake()

    def _wake(self) -> None:
        if self._waiting_for is not None and self._waiting_for() and self._connection is not None:
            self._connection.ioloop.stop()

    def _pump(self, done: Callable[[], bool], timeout: float) -> bool:
        """Run the I/O loop until ``done()`` or the timeout; True when done."""
        connection = self._connection
        if connection is None:
            return done()
        ioloop = connection.ioloop
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            guard = ioloop.call_later(remaining, ioloop.stop)
            self._waiting_for = done
            try:
                ioloop.start()
            finally:
                self._waiting_for = None
                ioloop.remove_timeout(guard)
        return True
