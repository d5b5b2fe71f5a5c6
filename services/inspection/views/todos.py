"""待办事项 as protos."""

from __future__ import annotations

from protos.inspection.v1 import todos_pb2 as pb
from services.chassis import wire
from services.inspection.handlers.todos import Todo


def todo(t: Todo) -> pb.Todo:
    return pb.Todo(kind=wire.enum_value(pb.TodoKind, t.kind), record_id=t.record_id, number=t.number or "",
                   title=t.title, status=t.status, action=t.action, since=wire.timestamp(t.since))
