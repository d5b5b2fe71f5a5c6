"""The audit trail: written with the change, refused calls too, reads never; a chain that notices tampering."""

import threading
from datetime import timedelta

import grpc
import pytest
from sqlalchemy import String, delete, func, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from protos.testing.v1 import echo_pb2
from services.chassis import audit
from services.chassis.audit_api import AuditInterceptor, record_of
from services.chassis.auth import Caller, acting_as
from services.chassis.db import make_engine, make_session_factory, utcnow
from services.chassis.errors import PermissionDenied
from services.chassis.interceptors import chassis_interceptors
from services.chassis.outbox import define_message_tables
from services.chassis.server import ServiceBinding
from services.chassis.testing import TokenMinter
from services.chassis.tests import probe
from services.chassis.uow import UnitOfWork

MINTER = TokenMinter()
ECHO = "tongban.testing.v1.EchoService"


class Base(DeclarativeBase):
    pass


class Counter(Base):
    __tablename__ = "counters"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)


TABLES = define_message_tables(Base.metadata)
TRAIL = TABLES.audit
ENTERPRISE = Caller(account_id="acc-1", organization_id="org-1", roles=frozenset({"ORG_ADMIN"}), kind="ENTERPRISE",
                    client_ip="10.0.0.7")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path, postgres_database):
    url = f"sqlite:///{tmp_path / 'audit.db'}" if request.param == "sqlite" else postgres_database("audit")
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def rows(engine):
    with engine.connect() as connection:
        return connection.execute(select(TRAIL).order_by(TRAIL.c.sequence)).mappings().all()


def verdict(engine) -> audit.Verdict:
    with make_session_factory(engine)() as session:
        return audit.verify(session, TRAIL)


def commit_in_call(engine, counter_id: str, method: str = f"/{ECHO}/ApproveThing", *, commit: bool = True) -> None:
    token = audit.begin_call(audit.AuditCall(method, "thing", counter_id))
    try:
        with acting_as(ENTERPRISE), UnitOfWork(make_session_factory(engine), TABLES) as uow:
            uow.session.add(Counter(id=counter_id))
            if commit:
                uow.commit()
    finally:
        audit.end_call(token)


def test_a_committed_mutation_writes_one_row_in_its_transaction_and_a_rolled_back_one_none(engine):
    commit_in_call(engine, "c1")
    commit_in_call(engine, "c2", commit=False)
    [row] = rows(engine)
    assert (row["sequence"], row["action"], row["record_type"], row["record_id"]) == (
        1, f"/{ECHO}/ApproveThing", "thing", "c1")
    assert (row["actor_id"], row["actor_kind"], row["actor_roles"], row["organization_id"], row["client_ip"]) == (
        "acc-1", "ENTERPRISE", "ORG_ADMIN", "org-1", "10.0.0.7")
    assert (row["result_code"], row["previous_hash"]) == ("OK", audit.GENESIS_HASH)


def test_a_unit_of_work_outside_a_call_writes_no_row(engine):
    with UnitOfWork(make_session_factory(engine), TABLES) as uow:
        uow.session.add(Counter(id="c1"))
        uow.commit()
    assert rows(engine) == []


def test_the_chain_verifies_and_an_edited_removed_or_reordered_row_is_named(engine):
    for n in range(1, 6):
        commit_in_call(engine, f"c{n}")
    assert verdict(engine) == audit.Verdict(5)
    with engine.begin() as connection:
        connection.execute(update(TRAIL).where(TRAIL.c.sequence == 3).values(record_id="someone-else"))
    assert verdict(engine).broken_at == 3
    with engine.begin() as connection:
        connection.execute(update(TRAIL).where(TRAIL.c.sequence == 3).values(record_id="c3"))
        connection.execute(delete(TRAIL).where(TRAIL.c.sequence == 4))
    assert (verdict(engine).broken_at, verdict(engine).reason) == (4, "a row is missing")


def test_swapping_two_rows_places_breaks_the_chain_at_the_first(engine):
    for n in range(1, 4):
        commit_in_call(engine, f"c{n}")
    with engine.begin() as connection:
        connection.execute(update(TRAIL).where(TRAIL.c.sequence == 2).values(sequence=-2))
        connection.execute(update(TRAIL).where(TRAIL.c.sequence == 3).values(sequence=2))
        connection.execute(update(TRAIL).where(TRAIL.c.sequence == -2).values(sequence=3))
    assert verdict(engine).broken_at == 2


def test_a_purge_past_the_retention_keeps_the_chain_verifiable_and_removing_the_head_is_not(engine):
    for n in range(1, 5):
        commit_in_call(engine, f"c{n}")
    long_ago = utcnow() - timedelta(days=200)
    with engine.begin() as connection:
        connection.execute(update(TRAIL).where(TRAIL.c.sequence <= 2).values(at=long_ago))
    with make_session_factory(engine)() as session:
        assert audit.purge(session, TRAIL, 180) == 2
        session.commit()
    assert [r["sequence"] for r in rows(engine)] == [3, 4, 5]
    assert rows(engine)[-1]["action"] == audit.PURGE_ACTION
    assert verdict(engine).ok
    with engine.begin() as connection:
        connection.execute(delete(TRAIL).where(TRAIL.c.sequence == 3))
    assert verdict(engine).broken_at == 3


def test_a_purge_never_removes_a_row_within_the_retention_though_an_older_one_follows_it(engine):
    for n in range(1, 5):
        commit_in_call(engine, f"c{n}")
    long_ago = utcnow() - timedelta(days=200)
    with engine.begin() as connection:  # row 4's time is older than row 3's, as a replica's clock or a migration has it
        connection.execute(update(TRAIL).where(TRAIL.c.sequence.in_([1, 2, 4])).values(at=long_ago))
    with make_session_factory(engine)() as session:
        assert audit.purge(session, TRAIL, 180) == 2
        session.commit()
    assert [r["sequence"] for r in rows(engine)] == [3, 4, 5]


def test_events_commit_before_their_calls_row_and_a_refusal_marks_both_with_its_code(engine):
    token = audit.begin_call(audit.AuditCall(f"/{ECHO}/ApproveThing", "thing", "c1"))
    try:
        with acting_as(ENTERPRISE), UnitOfWork(make_session_factory(engine), TABLES) as uow:
            uow.session.add(Counter(id="c1"))
            audit.record_event(uow.session, "THING_TRIED", record_id="c1", failed=True, detail="too early",
                               actor_id="acc-9")
            audit.record_event(uow.session, "THING_SEEN", record_id="c1")
            with pytest.raises(PermissionDenied):
                uow.commit_refusal(PermissionDenied("not yet", reason="TOO_EARLY"))
    finally:
        audit.end_call(token)
    tried, seen, call = rows(engine)
    assert (tried["action"], tried["actor_id"], tried["record_id"], tried["result_code"], tried["result_reason"]) == (
        "event/THING_TRIED", "acc-9", "c1", "PERMISSION_DENIED", "TOO_EARLY")
    assert '"detail": "too early"' in tried["detail"]
    assert (seen["action"], seen["actor_id"], seen["result_code"]) == ("event/THING_SEEN", "acc-1", "OK")
    assert (call["action"], call["result_code"], call["result_reason"]) == (
        f"/{ECHO}/ApproveThing", "PERMISSION_DENIED", "TOO_EARLY")
    assert verdict(engine).ok
    with engine.connect() as connection:  # what the refusal had to keep was kept
        assert connection.scalar(select(func.count()).select_from(Counter)) == 1


def test_events_of_a_unit_of_work_left_without_commit_are_forgotten(engine):
    with UnitOfWork(make_session_factory(engine), TABLES) as uow:
        audit.record_event(uow.session, "DISCARDED")
        uow.rollback()
        uow.session.add(Counter(id="c1"))
        audit.record_event(uow.session, "KEPT")
        uow.commit()
    assert [r["action"] for r in rows(engine)] == ["event/KEPT"]


def test_a_retention_under_six_months_is_refused(engine):
    with make_session_factory(engine)() as session, pytest.raises(ValueError):
        audit.purge(session, TRAIL, 179)


def test_concurrent_writers_on_postgresql_keep_a_gap_free_valid_chain(postgres_database):
    engine = make_engine(postgres_database("audit_concurrent"))
    Base.metadata.create_all(engine)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for k in range(10):
                commit_in_call(engine, f"w{n}-{k}")
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [r["sequence"] for r in rows(engine)] == list(range(1, 61))
    assert verdict(engine) == audit.Verdict(60)
    engine.dispose()


def test_the_record_is_the_requests_id_or_first_id_field_never_an_idempotency_key():
    assert record_of(f"/{ECHO}/ApproveThing", echo_pb2.ApproveThingRequest(id="t1")) == ("echo", "t1")
    assert record_of(f"/{ECHO}/CreateThing", echo_pb2.CreateThingRequest(request_id="k")) == ("echo", "")


# Over gRPC, behind the chassis interceptor as a service runs it.
def _approve(request, _context, engine):
    with UnitOfWork(make_session_factory(engine), TABLES) as uow:
        uow.session.add(Counter(id=request.id))
        if request.comment == "refuse":
            raise PermissionDenied("不能批准", reason="NOT_YOURS")
        uow.commit()
    return echo_pb2.Thing()


def _get(request, _context, engine):
    with UnitOfWork(make_session_factory(engine), TABLES) as uow:
        uow.session.add(Counter(id=request.id))
        uow.commit()
    return echo_pb2.Thing()


@pytest.fixture
def served(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'served.db'}")
    Base.metadata.create_all(engine)
    handlers = {
        "ApproveThing": grpc.unary_unary_rpc_method_handler(
            lambda r, c: _approve(r, c, engine), request_deserializer=echo_pb2.ApproveThingRequest.FromString,
            response_serializer=echo_pb2.Thing.SerializeToString),
        "GetThing": grpc.unary_unary_rpc_method_handler(
            lambda r, c: _get(r, c, engine), request_deserializer=echo_pb2.GetThingRequest.FromString,
            response_serializer=echo_pb2.Thing.SerializeToString),
    }
    generic = grpc.method_handlers_generic_handler(ECHO, handlers)
    binding = ServiceBinding(ECHO, lambda server: server.add_generic_rpc_handlers((generic,)))
    trail = AuditInterceptor(make_session_factory(engine), TRAIL)
    interceptors = [*chassis_interceptors(MINTER.verifier(), tracing=False, refusals=[trail.admission_refused]),
                    trail]
    with probe.serving([binding], interceptors) as running, \
            grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield engine, channel
    engine.dispose()


def _call(channel, method, request, response=echo_pb2.Thing, *, signed_in: bool = True):
    token = MINTER.mint("acc-9", org="org-9", kind="ENTERPRISE", scopes=("rare_earth",))
    authorization = [("authorization", f"Bearer {token}")] if signed_in else []
    return channel.unary_unary(f"/{ECHO}/{method}", request_serializer=type(request).SerializeToString,
                               response_deserializer=response.FromString)(
        request, metadata=[*authorization, ("x-request-id", "req-1"), ("x-forwarded-for", "192.0.2.4")], timeout=10)


def test_a_refused_call_writes_one_row_with_its_status_and_a_read_writes_none(served):
    engine, channel = served
    _call(channel, "ApproveThing", echo_pb2.ApproveThingRequest(id="t1"))
    with pytest.raises(grpc.RpcError) as refused:
        _call(channel, "ApproveThing", echo_pb2.ApproveThingRequest(id="t2", comment="refuse"))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    _call(channel, "GetThing", echo_pb2.GetThingRequest(id="t3"))
    ok, denied = rows(engine)
    assert (ok["record_id"], ok["result_code"], ok["actor_id"], ok["request_id"], ok["client_ip"]) == (
        "t1", "OK", "acc-9", "req-1", "192.0.2.4")
    assert (denied["record_id"], denied["result_code"], denied["result_reason"]) == (
        "t2", "PERMISSION_DENIED", "NOT_YOURS")
    with engine.connect() as connection:
        # The refused call's own change was rolled back; the read's commit wrote no audit row.
        assert connection.scalar(select(func.count()).select_from(Counter)) == 2
    assert verdict(engine).ok


def test_verify_audit_exits_non_zero_naming_the_first_broken_sequence(tmp_path, capsys):
    from types import SimpleNamespace

    from services.chassis.audit_api import verify_command

    engine = make_engine(f"sqlite:///{tmp_path / 'verify.db'}")
    Base.metadata.create_all(engine)
    for n in range(1, 4):
        commit_in_call(engine, f"c{n}")
    context = SimpleNamespace(tables=TABLES, settings=SimpleNamespace(service="probe"),
                              unit_of_work=lambda read_only=False: UnitOfWork(make_session_factory(engine), TABLES,
                                                                              read_only=read_only))
    assert verify_command(context, []) == 0
    with engine.begin() as connection:
        connection.execute(update(TRAIL).where(TRAIL.c.sequence == 2).values(result_code="PERMISSION_DENIED"))
    assert verify_command(context, []) == 1
    assert "broken at sequence 2" in capsys.readouterr().err
    engine.dispose()


def test_a_call_refused_before_its_handler_is_recorded_with_the_address_it_came_from(served):
    engine, channel = served
    with pytest.raises(grpc.RpcError) as refused:
        _call(channel, "ApproveThing", echo_pb2.ApproveThingRequest(id="t7"), signed_in=False)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    _call(channel, "GetThing", echo_pb2.GetThingRequest(id="t8"), signed_in=False)  # public, and a read
    [row] = rows(engine)
    assert (row["record_id"], row["result_code"], row["result_reason"], row["actor_id"], row["client_ip"]) == (
        "t7", "UNAUTHENTICATED", "LOGIN_REQUIRED", None, "192.0.2.4")
    assert row["request_id"] == "req-1"
