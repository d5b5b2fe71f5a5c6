"""TodoService: 待办事项."""

from __future__ import annotations

from protos.inspection.v1 import todos_pb2 as pb
from protos.inspection.v1 import todos_pb2_grpc
from services.chassis import wire
from services.inspection.grpc_api.common import Servicer
from services.inspection.handlers import todos
from services.inspection.views import todos as views


class TodoServicer(Servicer, todos_pb2_grpc.TodoServiceServicer):
    def ListTodos(self, request, context):
        page = todos.list_todos(self._context, request.page_size, request.page_token)
        return pb.ListTodosResponse(todos=[views.todo(t) for t in page.items], **wire.page_fields(page))
