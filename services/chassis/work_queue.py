"""Long work done in turn, and admitted only when it can end before its caller stops waiting.

A use case that takes seconds (a ledger upload) waits its turn behind others like it. Without
a limit, the last of forty uploads sent at once in a reporting window would still be waiting
when the gateway's deadline answered 504: its user told to retry work that was then done
anyway. A :class:`WorkQueue` estimates, before a job starts, when it would end (the work
admitted ahead of it and its own, at the pace the last jobs went), and refuses it at once with
RESOURCE_EXHAUSTED and a retry delay (429 with ``Retry-After`` at the gateway) when that is past
its caller's deadline. A job whose caller has gone by its turn never starts, and a running
job asks :meth:`Turn.checkpoint` as it goes, so it stops (its unit of work rolled back) rather
than finishing for nobody. A queue with nothing in it admits any job, however large: refused
there, it could never run.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import grpc

from services.chassis.errors import DomainError, ResourceExhausted

T = TypeVar("T")

# Kept free at the end of a caller's deadline for the commit and the answer's way back.
ANSWER_MARGIN_SECONDS = 0.5
# How much the pace measured on the last job moves the estimate (the rest is the jobs before it).
PACE_WEIGHT = 0.3


class CallerGone(DomainError):
    """The caller stopped waiting (its deadline passed or it cancelled): the work stops unfinished."""

    code = "DEADLINE_EXCEEDED"

    def __init__(self, message: str = "请求已超时，处理已停止，未保存任何内容", **kwargs):
        super().__init__(message, reason="CALLER_GONE", **kwargs)


@dataclass(frozen=True)
class Patience:
    """How long a caller waits: a deadline on ``time.monotonic()`` (None: no limit) and whether it still listens."""

    deadline: float | None = None
    listening: Callable[[], bool] = field(default=lambda: True)

    @classmethod
    def of(cls, context: grpc.ServicerContext) -> Patience:
        """The patience of a gRPC call: its deadline, and whether it is still active."""
        remaining = context.time_remaining()
        return cls(None if remaining is None else time.monotonic() + remaining, context.is_active)

    def gone(self) -> bool:
        return not self.listening() or (self.deadline is not None and time.monotonic() >= self.deadline)


class Turn:
    """A running job's link to its caller: :meth:`checkpoint` raises :class:`CallerGone` once the caller has gone."""

    def __init__(self, patience: Patience):
        self._patience = patience

    def checkpoint(self) -> None:
        if self._patience.gone():
            raise CallerGone()


class WorkQueue:
    """Jobs run one after another on a thread of the queue's own, each admitted only if it can end in time.

    ``cost`` is a job's size in any unit the queue's jobs share (an upload's bytes, say);
    ``seconds_per_unit`` the pace to assume until jobs have been timed. The estimate is wall
    time, so it includes whatever else the process and the machine are doing.
    """

    def __init__(self, name: str, *, seconds_per_unit: float, busy_message: str):
        self._name = name
        self._pace = seconds_per_unit
        self._busy_message = busy_message
        self._lock = threading.Lock()
        self._backlog = 0.0  # the cost of the jobs admitted and not yet finished
        self._started: float | None = None  # when the running job started, if one runs
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    @property
    def seconds_per_unit(self) -> float:
        return self._pace

    def idle(self) -> bool:
        """Whether no job is admitted and unfinished."""
        with self._lock:
            return self._backlog == 0

    def wait_seconds(self) -> float:
        """How long a job admitted now would wait for its turn, at the current pace."""
        with self._lock:
            return self._wait_locked(time.monotonic())

    def run(self, work: Callable[[Turn], T], *, cost: float, patience: Patience) -> T:
        """``work(turn)`` in its turn, as the caller (its context variables); refused if it cannot end in time."""
        self._admit(cost, patience)
        future = self._executor.submit(contextvars.copy_context().run, self._turn, work, cost, patience)
        return future.result()

    def _wait_locked(self, now: float) -> float:
        running_for = now - self._started if self._started is not None else 0.0
        return max(0.0, self._backlog * self._pace - running_for)

    def _admit(self, cost: float, patience: Patience) -> None:
        with self._lock:
            now = time.monotonic()
            wait = self._wait_locked(now)
            ends = now + wait + cost * self._pace + ANSWER_MARGIN_SECONDS
            if self._backlog > 0 and patience.deadline is not None and ends > patience.deadline:
                raise ResourceExhausted(self._busy_message, reason="BUSY", retry_after_seconds=max(1.0, wait),
                                        metadata={"queue": self._name})
            self._backlog += cost

    def _turn(self, work: Callable[[Turn], T], cost: float, patience: Patience) -> T:
        with self._lock:
            started = self._started = time.monotonic()
        finished = False
        try:
            if patience.gone():
                raise CallerGone()
            result = work(Turn(patience))
            finished = True
            return result
        finally:
            with self._lock:
                elapsed = time.monotonic() - started
                self._backlog = max(0.0, self._backlog - cost)
                self._started = None
                if finished and cost > 0:
                    self._pace = (1 - PACE_WEIGHT) * self._pace + PACE_WEIGHT * (elapsed / cost)
