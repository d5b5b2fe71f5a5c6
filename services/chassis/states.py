"""Status machines: every status a named constant, every change of status checked against its machine.

A service declares its machines in its domain (no I/O) and binds each to the column
that holds the status with :func:`status_column`. From then on a status changes in one
of two ways, both checked:

- on a loaded record, :meth:`StateMachine.move` (and a flush refuses any change of a
  bound column that its machine does not allow, however it was made);
- set-based, :meth:`StateMachine.update`: one guarded ``UPDATE ... WHERE status IN
  (the states that may move to the target)``, so a stale transition changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import String, event, inspect, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.chassis.errors import FailedPrecondition

STATE_MACHINE_INFO = "state_machine"
_MOVED = "tongban_status_moved_to"


class StateMachine:
    """The states of one kind of record and the moves allowed between them."""

    def __init__(self, name: str, moves: Mapping[str, Iterable[str]], labels: Mapping[str, str] | None = None,
                 *, initial: Iterable[str] | None = None):
        self.name = name
        self.moves: dict[str, frozenset[str]] = {state: frozenset(targets) for state, targets in moves.items()}
        unknown = {t for targets in self.moves.values() for t in targets} - set(self.moves)
        if unknown:
            raise ValueError(f"{name}: moves to undeclared states {sorted(unknown)}")
        self.labels = dict(labels or {})
        # The states a new record may start in; by default, any.
        self.initial = frozenset(initial) if initial is not None else frozenset(self.moves)
        if not self.initial <= set(self.moves):
            raise ValueError(f"{name}: initial states {sorted(self.initial - set(self.moves))} are undeclared")

    def __repr__(self) -> str:
        return f"StateMachine({self.name!r})"

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(self.moves)

    @property
    def final(self) -> frozenset[str]:
        return frozenset(state for state, targets in self.moves.items() if not targets)

    def label(self, state: str) -> str:
        return self.labels.get(state, state)

    def can(self, current: str, target: str) -> bool:
        return target in self.moves.get(current, frozenset())

    def check(self, current: str, target: str, message: str | None = None) -> str:
        """``target`` when ``current`` may move there; FAILED_PRECONDITION ``<NAME>_STATE_INVALID`` otherwise."""
        if not self.can(current, target):
            raise FailedPrecondition(
                message or f"当前状态（{self.label(current)}）不允许此操作",
                reason=f"{self.name}_STATE_INVALID", metadata={"status": current, "target": target})
        return target

    def sources_of(self, target: str) -> tuple[str, ...]:
        """Every state that may move to ``target``: the guard of a set-based UPDATE."""
        return tuple(sorted(state for state, targets in self.moves.items() if target in targets))

    def move(self, record: Any, target: str, message: str | None = None, *, attribute: str = "status") -> None:
        """Move a loaded record to ``target``, or refuse with ``message``."""
        self.check(getattr(record, attribute), target, message)
        setattr(record, attribute, target)
        # Each step was checked here; the flush, which sees only the first and the last, must not refuse the path.
        inspect(record).info.setdefault(_MOVED, {})[attribute] = target

    def update(self, session: Session, model: Any, target: str, *where: Any, attribute: str = "status",
               **values: Any) -> int:
        """``UPDATE model SET status=target, **values WHERE *where AND status IN sources_of(target)``.

        Answers how many rows moved: a row another transaction moved first is left alone.
        """
        return session.execute(self._guarded(model, target, where, attribute, values)).rowcount

    def update_returning(self, session: Session, model: Any, target: str, *where: Any, returning: Sequence[Any],
                         attribute: str = "status", **values: Any) -> list[Any]:
        """:meth:`update`, answering ``returning`` (columns) of exactly the rows it moved."""
        statement = self._guarded(model, target, where, attribute, values).returning(*returning)
        return list(session.execute(statement).all())

    def _guarded(self, model: Any, target: str, where: Sequence[Any], attribute: str,
                 values: Mapping[str, Any]) -> Any:
        column = getattr(model, attribute)
        return (update(model).where(*where, column.in_(self.sources_of(target)))
                .values({attribute: target, **values}).execution_options(synchronize_session=False))

    def update_one(self, session: Session, model: Any, target: str, *where: Any, message: str | None = None,
                   attribute: str = "status", **values: Any) -> None:
        """:meth:`update` of exactly one row; refused (a stale or disallowed transition) when none moved."""
        if self.update(session, model, target, *where, attribute=attribute, **values) != 1:
            raise FailedPrecondition(message or "状态已变化，请刷新后重试", reason=f"{self.name}_STATE_INVALID",
                                     metadata={"target": target})


def status_column(machine: StateMachine, *, length: int = 32, **kwargs: Any) -> Mapped[str]:
    """A mapped status column whose every change its machine checks at flush."""
    info = {**kwargs.pop("info", {}), STATE_MACHINE_INFO: machine}
    return mapped_column(String(length), nullable=kwargs.pop("nullable", False), info=info, **kwargs)


def machines_of(model: Any) -> dict[str, StateMachine]:
    """The bound status columns of a mapped class: attribute name -> machine."""
    return {attribute.key: attribute.columns[0].info[STATE_MACHINE_INFO]
            for attribute in inspect(model).column_attrs
            if STATE_MACHINE_INFO in attribute.columns[0].info}


def _check_status_changes(session: Session, _flush_context: Any, _instances: Any) -> None:
    for record in (*session.new, *session.dirty):
        machines = machines_of(type(record))
        if not machines:
            continue
        state = inspect(record)
        moved = state.info.pop(_MOVED, {})
        for attribute, machine in machines.items():
            history = state.attrs[attribute].history
            if not history.added or moved.get(attribute) == history.added[0]:
                continue
            target = history.added[0]
            if state.pending and target not in machine.initial:
                raise FailedPrecondition(f"{machine.name} 不能以状态 {target} 开始",
                                         reason=f"{machine.name}_STATE_INVALID", metadata={"target": target})
            if not state.pending and history.deleted:
                machine.check(history.deleted[0], target)


event.listen(Session, "before_flush", _check_status_changes)
