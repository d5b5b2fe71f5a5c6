"""Control characters in any string of a request are refused with their JSON paths, before the servicer runs."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2

from protos.common.v1 import common_pb2
from protos.identity.v1 import directory_pb2
from protos.testing.v1 import echo_pb2
from services.chassis.grpc_errors import status_from_rpc_error
from services.chassis.interceptors import chassis_interceptors
from services.chassis.request_text import control_character_violations
from services.chassis.server import ServiceBinding
from services.chassis.tests import probe

ECHO = "tongban.testing.v1.EchoService"


def test_nested_repeated_and_plain_strings_are_named_by_their_json_paths():
    request = directory_pb2.ResolveRecipientsRequest(queries=[
        directory_pb2.RecipientQuery(account_id="ok"), directory_pb2.RecipientQuery(organization_id="o\x00rg")])
    assert [v.field for v in control_character_violations(request)] == ["queries[1].organizationId"]


def test_line_breaks_and_tabs_are_left_to_each_fields_own_rule_and_bytes_are_not_text():
    upload = common_pb2.FileUpload(file_name="a\tb\nc.pdf", content=b"\x00\x01binary")
    assert control_character_violations(upload) == []
    assert [v.field for v in control_character_violations(common_pb2.FileUpload(file_name="x\x7f"))] == ["fileName"]


def test_every_service_refuses_a_control_character_before_its_method_runs():
    ran = []

    def get_thing(request, _context):
        ran.append(request.id)
        return echo_pb2.Thing(id=request.id)

    handler = grpc.unary_unary_rpc_method_handler(get_thing, request_deserializer=echo_pb2.GetThingRequest.FromString,
                                                  response_serializer=echo_pb2.Thing.SerializeToString)
    generic = grpc.method_handlers_generic_handler(ECHO, {"GetThing": handler})
    binding = ServiceBinding(ECHO, lambda server: server.add_generic_rpc_handlers((generic,)))
    with probe.serving([binding], chassis_interceptors(None, tracing=False)) as running, \
            grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        get = channel.unary_unary(f"/{ECHO}/GetThing", request_serializer=echo_pb2.GetThingRequest.SerializeToString,
                                  response_deserializer=echo_pb2.Thing.FromString)
        assert get(echo_pb2.GetThingRequest(id="thing-1"), timeout=10).id == "thing-1"
        with pytest.raises(grpc.RpcError) as refused:
            get(echo_pb2.GetThingRequest(id="thing\x00-2"), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    [bad] = [d for d in status_from_rpc_error(refused.value).details if d.Is(error_details_pb2.BadRequest.DESCRIPTOR)]
    violations = error_details_pb2.BadRequest()
    bad.Unpack(violations)
    assert [v.field for v in violations.field_violations] == ["id"]
    assert ran == ["thing-1"]
