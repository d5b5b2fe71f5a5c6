"""The input policy: control characters, overlong text, too many items and undeclared enum numbers are refused
with their JSON paths before the servicer runs, and a refusal fits the call's trailers."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2

from protos.common.v1 import common_pb2
from protos.identity.v1 import directory_pb2
from protos.notify.v1 import notify_pb2
from protos.testing.v1 import echo_pb2
from services.chassis.errors import FieldViolation, InvalidArgument
from services.chassis.grpc_errors import status_from_error, status_from_rpc_error
from services.chassis.interceptors import chassis_interceptors
from services.chassis.request_text import (
    MAX_ITEMS,
    MAX_TEXT,
    control_character_violations,
    request_refusal,
    request_violations,
)
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


def _bad_request(error: grpc.RpcError) -> error_details_pb2.BadRequest:
    [bad] = [d for d in status_from_rpc_error(error).details if d.Is(error_details_pb2.BadRequest.DESCRIPTOR)]
    violations = error_details_pb2.BadRequest()
    bad.Unpack(violations)
    return violations


def test_text_longer_than_the_default_is_refused_unless_the_field_allows_more():
    assert [v.field for v in request_violations(echo_pb2.GetThingRequest(id="x" * MAX_TEXT))] == []
    [too_long] = request_violations(echo_pb2.GetThingRequest(id="x" * (MAX_TEXT + 1)))
    assert too_long.field == "id" and str(MAX_TEXT) in too_long.description and "xxx" not in too_long.description
    notice = notify_pb2.CreateNoticeRequest(body="正" * 20000, title="t" * (MAX_TEXT + 1))
    assert [v.field for v in request_violations(notice)] == ["title"]


def test_enum_numbers_no_value_declares_and_oversized_lists_are_refused_by_path():
    message = echo_pb2.EchoMessage(color=123, colors=[1, 77], size=echo_pb2.Dimensions(width=1))
    assert [v.field for v in request_violations(message)] == ["color", "colors[1]"]
    assert request_violations(echo_pb2.EchoMessage(color=echo_pb2.BLUE)) == []
    crowded = echo_pb2.ListThingsRequest(labels=["a"] * (MAX_ITEMS + 1))
    [many] = request_violations(crowded)
    assert many.field == "labels" and str(MAX_ITEMS) in many.description


def test_grpc_only_methods_keep_the_control_character_rule_alone():
    request = directory_pb2.ResolveRecipientsRequest(queries=[directory_pb2.RecipientQuery(account_id="a" * 9000)]
                                                     * (MAX_ITEMS + 5))
    assert control_character_violations(request) == []
    assert request_refusal(request, bounded=False) is None
    assert request_refusal(request) is not None


def test_a_status_with_hundreds_of_violations_keeps_the_first_and_counts_the_rest():
    error = InvalidArgument("有误" * 1000,
                            [FieldViolation(f"quotas[{i}].quota", "指标须为正数" * 20) for i in range(200)])
    status = status_from_error(error)
    assert len(status.SerializeToString()) < 8000 and len(status.message) <= 300
    violations = error_details_pb2.BadRequest()
    status.details[0].Unpack(violations)
    fields = [v.field for v in violations.field_violations]
    assert fields[0] == "quotas[0].quota" and 10 <= len(fields) <= 41
    assert violations.field_violations[-1].field == f"quotas[{len(fields) - 1}].quota"
    assert f"{200 - len(fields) + 1}处" in violations.field_violations[-1].description


def _serve_echo(methods: dict[str, grpc.RpcMethodHandler]):
    generic = grpc.method_handlers_generic_handler(ECHO, methods)
    binding = ServiceBinding(ECHO, lambda server: server.add_generic_rpc_handlers((generic,)))
    return probe.serving([binding], chassis_interceptors(None, tracing=False))


def test_a_routed_method_refuses_overlong_text_and_many_bad_items_answer_400_not_a_trailer_overflow():
    def fail(_request, _context):
        raise InvalidArgument("请求参数有误", [FieldViolation(f"fields[{i}]", "须为正数" * 40) for i in range(200)])

    get_thing = grpc.unary_unary_rpc_method_handler(lambda request, _c: echo_pb2.Thing(id=request.id),
                                                    request_deserializer=echo_pb2.GetThingRequest.FromString,
                                                    response_serializer=echo_pb2.Thing.SerializeToString)
    failing = grpc.unary_unary_rpc_method_handler(fail, request_deserializer=echo_pb2.InspectRequest.FromString,
                                                  response_serializer=echo_pb2.InspectResponse.SerializeToString)
    with _serve_echo({"GetThing": get_thing, "Ping": failing}) as running, \
            grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        get = channel.unary_unary(f"/{ECHO}/GetThing", request_serializer=echo_pb2.GetThingRequest.SerializeToString,
                                  response_deserializer=echo_pb2.Thing.FromString)
        with pytest.raises(grpc.RpcError) as refused:
            get(echo_pb2.GetThingRequest(id="y" * 100_000), timeout=10)
        ping = channel.unary_unary(f"/{ECHO}/Ping", request_serializer=echo_pb2.InspectRequest.SerializeToString,
                                   response_deserializer=echo_pb2.InspectResponse.FromString)
        with pytest.raises(grpc.RpcError) as overflowing:
            ping(echo_pb2.InspectRequest(), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in _bad_request(refused.value).field_violations] == ["id"]
    assert "yyyy" not in str(status_from_rpc_error(refused.value))
    assert overflowing.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = [v.field for v in _bad_request(overflowing.value).field_violations]
    assert fields[0] == "fields[0]" and len(fields) < 200
