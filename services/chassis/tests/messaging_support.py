"""What the messaging tests share: a tiny schema, a context on it, a TCP proxy to cut the broker off,
helpers to read queues, and a NotifyService double."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import grpc
import pika
from sqlalchemy import Integer, String, func
from sqlalchemy import select as sql_select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from protos.notify.v1 import notify_pb2, notify_pb2_grpc
from services.chassis.amqp import Backoff
from services.chassis.config import ServiceSettings
from services.chassis.consumer import Subscription, run_consumer
from services.chassis.context import ServiceContext
from services.chassis.grpc_client import ChannelFactory
from services.chassis.messages import InboundMessage, OutboundMessage
from services.chassis.outbox import define_message_tables
from services.chassis.tests.probe import wait_until
from services.chassis.uow import UnitOfWork

TEST_EXCHANGE_ROUTING = "test.#"


class Base(DeclarativeBase):
    pass


MESSAGE_TABLES = define_message_tables(Base.metadata)


class Effect(Base):
    """One row per time a handler ran to completion: duplicates would show as repeated message ids."""

    __tablename__ = "effects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(64))
    routing_key: Mapped[str] = mapped_column(String(128))


def database_url(kind: str, postgres_database: Callable[[str], str], tmp_path: Path, label: str) -> str:
    if kind == "postgresql":
        return postgres_database(label)
    return f"sqlite:///{tmp_path / f'{label}.db'}"


def make_context(database: str, amqp_url: str, *, notify_addr: str = "127.0.0.1:1") -> ServiceContext:
    settings = ServiceSettings.from_env("inspection", {
        "TONGBAN_ENV": "test",
        "INSPECTION_DATABASE_URL": database,
        "AMQP_URL": amqp_url,
        "NOTIFY_ADDR": notify_addr,
    })
    context = ServiceContext(settings=settings, tables=MESSAGE_TABLES, channels=ChannelFactory.static(settings.peers))
    Base.metadata.create_all(context.engine)
    return context


def clear_tables(context: ServiceContext) -> ServiceContext:
    """Empty the test schema, so tests in one module can share a database."""
    with context.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    return context


def write(context: ServiceContext, *messages: OutboundMessage) -> None:
    with context.unit_of_work() as uow:
        uow.publish(*messages)
        uow.commit()


def outbox_rows(context: ServiceContext) -> list[dict[str, Any]]:
    outbox = context.tables.outbox
    with context.session_factory() as session:
        return [dict(row._mapping) for row in session.execute(sql_select(outbox).order_by(outbox.c.id))]


def unsent_count(context: ServiceContext) -> int:
    outbox = context.tables.outbox
    with context.session_factory() as session:
        return session.execute(sql_select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))).scalar()


def effect_ids(context: ServiceContext) -> list[str]:
    with context.session_factory() as session:
        return list(session.scalars(sql_select(Effect.message_id).order_by(Effect.id)))


def record_effect(uow: UnitOfWork, message: InboundMessage) -> None:
    uow.session.add(Effect(message_id=message.message_id, routing_key=message.routing_key))


# -- RabbitMQ ---------------------------------------------------------------------------------

@contextlib.contextmanager
def blocking_channel(amqp_url: str) -> Iterator[Any]:
    with pika.BlockingConnection(pika.URLParameters(amqp_url)) as connection:
        yield connection.channel()


def bind_test_queue(amqp_url: str, queue: str, exchange: str, routing_key: str = TEST_EXCHANGE_ROUTING,
                    arguments: dict[str, Any] | None = None) -> None:
    from services.chassis.topology import declare_exchanges

    with blocking_channel(amqp_url) as channel:
        declare_exchanges(channel)
        channel.queue_declare(queue, durable=True, arguments=arguments)
        channel.queue_bind(queue, exchange, routing_key=routing_key)


def reset_broker(amqp_url: str, queues: Sequence[str] = ()) -> str:
    """Give a test a clean slate in a vhost shared by its module (making a vhost costs seconds here).

    Deletes the test's own queues and their parking lots, and empties the well-known ones.
    """
    from services.chassis.topology import (
        EVENTS_UNROUTED_QUEUE,
        NOTIFY_HIGH_QUEUE,
        NOTIFY_QUEUE,
        declare_topology,
        parking_queue,
    )

    with blocking_channel(amqp_url) as channel:
        for queue in queues:
            channel.queue_delete(queue)
            channel.queue_delete(parking_queue(queue))
        declare_topology(channel)
        for queue in (EVENTS_UNROUTED_QUEUE, NOTIFY_QUEUE, NOTIFY_HIGH_QUEUE):
            channel.queue_purge(queue)
            if queue != EVENTS_UNROUTED_QUEUE:
                channel.queue_purge(parking_queue(queue))
    return amqp_url


def queue_depth(amqp_url: str, queue: str) -> int:
    with blocking_channel(amqp_url) as channel:
        return channel.queue_declare(queue, passive=True).method.message_count


def drain(amqp_url: str, queue: str) -> list[tuple[Any, bytes]]:
    """Every message waiting in ``queue`` (acked, so the queue is left empty)."""
    received = []
    with blocking_channel(amqp_url) as channel:
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return received
            received.append((properties, body))


def publish_raw(amqp_url: str, exchange: str, routing_key: str, body: bytes, *, message_id: str | None,
                headers: dict[str, str] | None = None) -> None:
    with blocking_channel(amqp_url) as channel:
        channel.confirm_delivery()
        channel.basic_publish(exchange, routing_key, body, pika.BasicProperties(
            message_id=message_id, delivery_mode=2, content_type="application/json", headers=headers))


class TcpProxy:
    """Forwards a local port to the broker; ``stop()`` refuses and cuts every connection, ``start()`` heals."""

    def __init__(self, target: tuple[str, int], port: int = 0) -> None:
        self.target = target
        self.port = port
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def url_for(self, amqp_url: str) -> str:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(amqp_url)
        return urlunsplit(parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{self.port}"))

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        for sock in ([listener] if listener else []) + sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 1.0)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()


@contextlib.contextmanager
def consuming(context: ServiceContext, consumer_name: str, subscriptions: Sequence[Subscription],
              amqp_url: str | None = None) -> Iterator[threading.Event]:
    """Run ``run_consumer`` in a thread until the block ends; waits until it has subscribed."""
    stop = threading.Event()
    ready = threading.Event()
    thread = threading.Thread(target=run_consumer, args=(context, consumer_name, subscriptions, stop),
                              kwargs={"amqp_url": amqp_url, "on_ready": ready.set,
                                      "reconnect_backoff": Backoff(initial=0.1, maximum=0.5)},
                              daemon=True)
    thread.start()
    try:
        wait_until(ready.is_set, timeout=30)
        yield stop
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the consumer did not stop"


# -- a NotifyService double ------------------------------------------------------------------

class FakeNotify(notify_pb2_grpc.NotifyServiceServicer):
    """Records SubmitNotification calls; ``failing`` makes it answer UNAVAILABLE."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.metadata: list[dict[str, str]] = []
        self.failing = False

    def SubmitNotification(self, request: Any, context: grpc.ServicerContext) -> Any:
        if self.failing:
            context.abort(grpc.StatusCode.UNAVAILABLE, "notify is restarting")
        self.requests.append(request)
        self.metadata.append(dict(context.invocation_metadata()))
        return notify_pb2.SubmitNotificationResponse(accepted=True)


@contextlib.contextmanager
def serving_notify(fake: FakeNotify) -> Iterator[str]:
    from services.chassis.server import ServiceBinding, start_server

    binding = ServiceBinding.of(fake)
    running = start_server([binding], host="127.0.0.1", port=0, workers=4)
    try:
        yield f"127.0.0.1:{running.port}"
    finally:
        running.stop(0)
