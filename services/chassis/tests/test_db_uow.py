import json
import threading

import pytest
from sqlalchemy import String, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.db import make_engine, make_session_factory, new_id, single_run
from services.chassis.errors import Conflict
from services.chassis.messages import domain_event
from services.chassis.outbox import define_message_tables
from services.chassis.uow import NestedUnitOfWork, UnitOfWork


class Base(DeclarativeBase):
    pass


class Counter(Base):
    __tablename__ = "counters"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int]


TABLES = define_message_tables(Base.metadata)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, postgres_database):
    url = f"sqlite:///{tmp_path / 'uow.db'}" if request.param == "sqlite" else postgres_database("uow")
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def unit_of_work(engine, **kwargs) -> UnitOfWork:
    return UnitOfWork(make_session_factory(engine), TABLES,
                      header_source=lambda: {"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"}, **kwargs)


def outbox_rows(engine):
    with engine.connect() as connection:
        return connection.execute(select(TABLES.outbox)).mappings().all()


def counters(engine):
    with engine.connect() as connection:
        return connection.execute(select(Counter.id, Counter.value)).all()


def test_commit_writes_the_state_and_its_outbox_message_together(database):
    with unit_of_work(database) as uow:
        uow.session.add(Counter(id="c1", value=1))
        uow.publish(domain_event("test.counter.created", {"counterId": "c1", "名称": "计数器"}))
        uow.commit()
    assert counters(database) == [("c1", 1)]
    [row] = outbox_rows(database)
    assert row["exchange"] == "tongban.events"
    assert row["routing_key"] == "test.counter.created"
    assert json.loads(row["payload"]) == {"counterId": "c1", "名称": "计数器"}
    assert json.loads(row["headers"])["traceparent"].startswith("00-aaaa")
    assert row["sent_at"] is None


def test_an_exception_before_commit_writes_neither(database):
    with pytest.raises(ValueError), unit_of_work(database) as uow:
        uow.session.add(Counter(id="c1", value=1))
        uow.session.flush()
        uow.publish(domain_event("test.counter.created", {"counterId": "c1"}))
        raise ValueError("the use case changed its mind")
    assert counters(database) == []
    assert outbox_rows(database) == []


def test_leaving_without_commit_rolls_back(database):
    with unit_of_work(database) as uow:
        uow.session.add(Counter(id="c1", value=1))
        uow.publish(domain_event("test.counter.created", {"counterId": "c1"}))
    assert counters(database) == []
    assert outbox_rows(database) == []


def test_a_failed_commit_leaves_neither_state_nor_messages(database):
    with unit_of_work(database) as uow:
        uow.session.add(Counter(id="c1", value=1))
        uow.commit()
    event = domain_event("test.counter.created", {"counterId": "c2"})
    with pytest.raises(DBAPIError), unit_of_work(database) as uow:
        uow.session.add(Counter(id="c2", value=2))
        uow.publish(event, event)  # the same message id twice: the outbox refuses the second
        uow.commit()
    assert counters(database) == [("c1", 1)]
    assert outbox_rows(database) == []


def test_a_read_only_unit_of_work_reads_but_cannot_commit(database):
    with unit_of_work(database) as uow:
        uow.session.add(Counter(id="c1", value=1))
        uow.commit()
    with unit_of_work(database, read_only=True) as uow:
        assert uow.session.get(Counter, "c1").value == 1
        with pytest.raises(RuntimeError):
            uow.commit()


def test_concurrent_read_then_write_transactions_all_succeed_and_none_is_lost(database):
    with unit_of_work(database) as uow:
        uow.session.add(Counter(id="shared", value=0))
        uow.commit()
    errors = []

    def increment(times):
        try:
            for _ in range(times):
                with unit_of_work(database) as uow:
                    counter = uow.session.execute(
                        select(Counter).where(Counter.id == "shared").with_for_update()).scalar_one()
                    counter.value += 1
                    uow.publish(domain_event("test.counter.incremented", {"id": new_id()}))
                    uow.commit()
        except Exception as error:  # collected so the main thread reports it
            errors.append(error)

    threads = [threading.Thread(target=increment, args=(25,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert counters(database) == [("shared", 100)]
    assert len(outbox_rows(database)) == 100


def test_on_sqlite_a_long_read_does_not_block_a_writer(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    Base.metadata.create_all(engine)
    with unit_of_work(engine, read_only=True) as reader:
        assert reader.session.execute(select(func.count()).select_from(Counter)).scalar_one() == 0
        done = threading.Event()

        def write():
            with unit_of_work(engine) as uow:
                uow.session.add(Counter(id="w", value=1))
                uow.commit()
            done.set()

        writer = threading.Thread(target=write)
        writer.start()
        writer.join(60)
        assert done.is_set()
        # The reader keeps its snapshot.
        assert reader.session.execute(select(func.count()).select_from(Counter)).scalar_one() == 0
    assert counters(engine) == [("w", 1)]
    engine.dispose()


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    engine.dispose()


def test_an_in_memory_sqlite_database_is_shared_by_every_session():
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with unit_of_work(engine) as uow:
        uow.session.add(Counter(id="m", value=1))
        uow.commit()
    assert counters(engine) == [("m", 1)]


def test_postgresql_urls_use_psycopg_3():
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/postgres")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_other_databases_are_refused():
    with pytest.raises(ValueError, match="unsupported database URL scheme"):
        make_engine("mysql://db/x")


def test_a_write_inside_a_read_only_unit_of_work_fails_and_later_writers_are_unaffected(database):
    with pytest.raises(DBAPIError), unit_of_work(database, read_only=True) as uow:
        uow.session.add(Counter(id="sneaky", value=1))
        uow.session.flush()
    with unit_of_work(database) as uow:
        uow.session.add(Counter(id="honest", value=1))
        uow.commit()
    assert counters(database) == [("honest", 1)]


def test_on_postgresql_a_job_runs_once_at_a_time_and_is_free_again_afterwards(postgres_database):
    engine = make_engine(postgres_database("single_run"))
    try:
        with single_run(engine, "nightly") as first:
            assert first
            with single_run(engine, "nightly") as second, single_run(engine, "other") as unrelated:
                assert not second
                assert unrelated
        with single_run(engine, "nightly") as later:
            assert later
    finally:
        engine.dispose()


def test_on_sqlite_every_run_may_go_ahead(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    with single_run(engine, "nightly") as first, single_run(engine, "nightly") as second:
        assert first and second
    engine.dispose()


def test_a_second_unit_of_work_on_the_same_thread_is_refused_while_one_is_open(database):
    with unit_of_work(database) as outer:
        outer.session.add(Counter(id="c1", value=1))
        with pytest.raises(NestedUnitOfWork), unit_of_work(database, read_only=True):
            pass
        outer.commit()
    # Once the first has closed, the next one opens.
    with unit_of_work(database, read_only=True) as reader:
        assert reader.session.get(Counter, "c1").value == 1


def test_production_logs_a_nested_unit_of_work_instead_of_refusing_it(database, caplog):
    with unit_of_work(database, read_only=True), unit_of_work(database, read_only=True, strict=False):
        pass
    assert "already open on this thread" in caplog.text


def test_units_of_work_on_other_threads_are_not_nested(database):
    opened = []

    def elsewhere():
        with unit_of_work(database, read_only=True) as uow:
            opened.append(uow.session.execute(select(func.count()).select_from(Counter)).scalar())

    with unit_of_work(database, read_only=True):
        worker = threading.Thread(target=elsewhere)
        worker.start()
        worker.join()
    assert opened == [0]


def test_records_stay_readable_after_the_unit_of_work_closes(database):
    with unit_of_work(database) as uow:
        created = Counter(id="c1", value=7)
        uow.session.add(created)
        uow.commit()
    with unit_of_work(database, read_only=True) as uow:
        loaded = uow.session.get(Counter, "c1")
    assert (created.value, loaded.value) == (7, 7)


def test_an_integrity_error_at_commit_becomes_the_domain_error_the_caller_asked_for(database):
    with unit_of_work(database) as uow:
        uow.session.add(Counter(id="c1", value=1))
        uow.commit()
    with pytest.raises(Conflict) as refused, unit_of_work(database) as uow:
        uow.session.add(Counter(id="c1", value=2))
        uow.commit(on_integrity_error=lambda _error: Conflict("已被同时修改", reason="CONCURRENT_CHANGE"))
    assert refused.value.reason == "CONCURRENT_CHANGE"
    assert counters(database) == [("c1", 1)]
