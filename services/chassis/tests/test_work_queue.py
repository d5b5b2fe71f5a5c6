"""The work queue: jobs in turn, refused before they start when they cannot end before their caller's deadline."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

from services.chassis.errors import ResourceExhausted
from services.chassis.work_queue import ANSWER_MARGIN_SECONDS, CallerGone, Patience, Turn, WorkQueue


def _queue(seconds_per_unit: float = 0.01) -> WorkQueue:
    return WorkQueue("test-queue", seconds_per_unit=seconds_per_unit, busy_message="忙")


def _within(seconds: float) -> Patience:
    return Patience(deadline=time.monotonic() + seconds)


class Blocker:
    """A job that runs until released, so a test decides what is ahead of the next one."""

    def __init__(self):
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self, turn: Turn) -> str:
        self.started.set()
        self.release.wait(10)
        return "blocker done"


def _in_background(queue: WorkQueue, work, cost: float, patience: Patience | None = None) -> dict:
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = queue.run(work, cost=cost, patience=patience or Patience())
        except Exception as error:  # the test reads what the call raised
            outcome["error"] = error

    outcome["thread"] = threading.Thread(target=run, daemon=True)
    outcome["thread"].start()
    return outcome


_CALLER: contextvars.ContextVar[str] = contextvars.ContextVar("test_caller", default="nobody")


def test_a_job_runs_on_the_queues_thread_as_the_caller_and_returns_its_result():
    token = _CALLER.set("enterprise-7")
    try:
        seen = _queue().run(lambda turn: (_CALLER.get(), threading.current_thread().name), cost=1,
                            patience=_within(5))
    finally:
        _CALLER.reset(token)
    assert seen[0] == "enterprise-7"
    assert seen[1].startswith("test-queue")


def test_an_empty_queue_admits_a_job_larger_than_its_callers_patience():
    # Refused on an empty queue, it could never run: it is tried, and the pace learnt from it.
    queue = _queue(seconds_per_unit=1.0)
    assert queue.run(lambda turn: "ran", cost=100, patience=_within(2)) == "ran"
    assert queue.seconds_per_unit < 1.0


def test_a_job_that_would_end_after_its_deadline_is_refused_before_it_starts_with_the_wait():
    queue = _queue(seconds_per_unit=0.1)
    blocker = Blocker()
    first = _in_background(queue, blocker, cost=30)  # three seconds' worth ahead
    assert blocker.started.wait(5)
    ran = []
    with pytest.raises(ResourceExhausted) as refused:
        queue.run(lambda turn: ran.append(True), cost=1, patience=_within(2))
    blocker.release.set()
    first["thread"].join(5)
    assert ran == []
    assert refused.value.reason == "BUSY"
    assert 1.0 <= refused.value.retry_after_seconds <= 3.0
    assert first["result"] == "blocker done"


def test_a_job_that_fits_behind_the_backlog_is_admitted_and_runs_after_it():
    queue = _queue(seconds_per_unit=0.01)
    blocker = Blocker()
    first = _in_background(queue, blocker, cost=10)  # a tenth of a second's worth ahead
    assert blocker.started.wait(5)
    order: list[str] = []
    second = _in_background(queue, lambda turn: order.append("second"), cost=1,
                            patience=_within(ANSWER_MARGIN_SECONDS + 5))
    time.sleep(0.2)
    assert order == []  # still behind the blocker
    blocker.release.set()
    first["thread"].join(5)
    second["thread"].join(5)
    assert order == ["second"] and "error" not in second


def test_a_job_whose_caller_left_while_it_waited_never_starts():
    queue = _queue(seconds_per_unit=0.001)
    blocker = Blocker()
    first = _in_background(queue, blocker, cost=1)
    assert blocker.started.wait(5)
    listening = threading.Event()
    listening.set()
    ran = []
    waiting = _in_background(queue, lambda turn: ran.append(True), cost=1,
                             patience=Patience(listening=listening.is_set))
    time.sleep(0.1)
    listening.clear()  # the caller cancels while the blocker still runs
    blocker.release.set()
    first["thread"].join(5)
    waiting["thread"].join(5)
    assert ran == []
    assert isinstance(waiting["error"], CallerGone)


def test_a_running_job_stops_at_its_next_checkpoint_once_its_caller_has_gone():
    queue = _queue(seconds_per_unit=0.001)
    listening = threading.Event()
    listening.set()
    steps: list[int] = []

    def work(turn: Turn) -> None:
        for step in range(1000):
            turn.checkpoint()
            steps.append(step)
            if step == 3:
                listening.clear()

    with pytest.raises(CallerGone):
        queue.run(work, cost=1, patience=Patience(listening=listening.is_set))
    assert steps == [0, 1, 2, 3]


def test_a_job_that_raises_frees_its_place_in_the_queue():
    queue = _queue(seconds_per_unit=1.0)

    def fails(turn: Turn) -> None:
        raise ValueError("bad file")

    with pytest.raises(ValueError):
        queue.run(fails, cost=50, patience=_within(5))
    assert queue.wait_seconds() == 0.0
    assert queue.run(lambda turn: "next", cost=1, patience=_within(5)) == "next"
