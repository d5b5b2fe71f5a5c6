"""Status machines: moves checked on a record, at flush, and in a guarded set-based UPDATE."""

from __future__ import annotations

import pytest
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.db import make_engine, make_session_factory
from services.chassis.errors import FailedPrecondition
from services.chassis.states import StateMachine, machines_of, status_column

ORDER = StateMachine(
    "ORDER",
    {"DRAFT": {"DRAFT", "SUBMITTED"}, "SUBMITTED": {"APPROVED", "REJECTED"}, "REJECTED": {"SUBMITTED"},
     "APPROVED": set()},
    {"DRAFT": "草稿", "SUBMITTED": "已提交", "APPROVED": "已通过", "REJECTED": "未通过"},
    initial={"DRAFT"},
)


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = status_column(ORDER)
    note: Mapped[str] = mapped_column(String(50), default="")


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request, tmp_path, postgres_database):
    url = f"sqlite:///{tmp_path / 'states.db'}" if request.param == "sqlite" else postgres_database("states")
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


def test_a_machine_knows_its_moves_final_states_and_the_sources_of_a_target():
    assert ORDER.can("DRAFT", "SUBMITTED") and not ORDER.can("APPROVED", "SUBMITTED")
    assert ORDER.final == {"APPROVED"}
    assert ORDER.sources_of("SUBMITTED") == ("DRAFT", "REJECTED")


def test_a_refused_move_names_the_machine_and_the_current_state_in_words():
    with pytest.raises(FailedPrecondition) as refused:
        ORDER.check("APPROVED", "SUBMITTED")
    assert refused.value.reason == "ORDER_STATE_INVALID"
    assert "已通过" in refused.value.message
    assert refused.value.metadata == {"status": "APPROVED", "target": "SUBMITTED"}


def test_a_machine_with_a_move_to_an_undeclared_state_is_refused_when_declared():
    with pytest.raises(ValueError, match="undeclared"):
        StateMachine("BROKEN", {"A": {"B"}})


def test_move_changes_a_loaded_record_only_along_an_allowed_move(sessions):
    with sessions() as session:
        order = Order(id="o1", status="DRAFT")
        session.add(order)
        session.commit()
        ORDER.move(order, "SUBMITTED")
        session.commit()
        with pytest.raises(FailedPrecondition):
            ORDER.move(order, "DRAFT", "已提交的申请不能改回草稿")
        assert order.status == "SUBMITTED"


def test_a_flush_refuses_a_status_change_its_machine_does_not_allow_however_it_was_made(sessions):
    with sessions() as session:
        session.add(Order(id="o1", status="DRAFT"))
        session.commit()
        order = session.get(Order, "o1")
        order.status = "APPROVED"  # a bare assignment, past the machine
        with pytest.raises(FailedPrecondition) as refused:
            session.flush()
        assert refused.value.metadata == {"status": "DRAFT", "target": "APPROVED"}


def test_a_new_record_must_start_in_an_initial_state(sessions):
    with sessions() as session:
        session.add(Order(id="o1", status="APPROVED"))
        with pytest.raises(FailedPrecondition):
            session.flush()


def test_a_guarded_update_moves_only_the_rows_that_may_move(sessions):
    with sessions() as session:
        session.add_all([Order(id="o1", status="DRAFT"), Order(id="o2", status="DRAFT")])
        session.commit()
        session.add(Order(id="o3", status="DRAFT"))
        session.commit()
        ORDER.move(session.get(Order, "o3"), "SUBMITTED")
        ORDER.move(session.get(Order, "o3"), "APPROVED")
        session.commit()
        moved = ORDER.update(session, Order, "SUBMITTED", Order.id.in_(["o1", "o3"]), note="提交")
        session.commit()
        assert moved == 1
        statuses = dict(session.execute(select(Order.id, Order.status)).all())
        assert statuses == {"o1": "SUBMITTED", "o2": "DRAFT", "o3": "APPROVED"}


def test_a_stale_transition_of_one_row_is_refused_and_changes_nothing(sessions):
    with sessions() as session:
        session.add(Order(id="o1", status="DRAFT"))
        session.commit()
        ORDER.update_one(session, Order, "SUBMITTED", Order.id == "o1")
        session.commit()
        # A second request that read DRAFT before the first committed tries the same move.
        with pytest.raises(FailedPrecondition) as refused:
            ORDER.update_one(session, Order, "SUBMITTED", Order.id == "o1", message="该申请已被处理")
        assert refused.value.message == "该申请已被处理"
        assert session.execute(select(Order.status)).scalar_one() == "SUBMITTED"


def test_the_bound_status_columns_of_a_model_are_listed_with_their_machines():
    assert machines_of(Order) == {"status": ORDER}


def test_a_guarded_update_can_answer_exactly_the_rows_it_moved(sessions):
    with sessions() as session:
        session.add_all([Order(id="o1", status="DRAFT"), Order(id="o2", status="DRAFT")])
        session.commit()
        ORDER.update(session, Order, "SUBMITTED", Order.id == "o2")
        moved = ORDER.update_returning(session, Order, "SUBMITTED", Order.id.in_(["o1", "o2"]),
                                       returning=[Order.id, Order.note], note="批量提交")
        session.commit()
        assert moved == [("o1", "批量提交")]
