import json
import logging

import grpc
import pytest
from google.rpc import error_details_pb2

from services.chassis.auth import current_caller
from services.chassis.errors import FieldViolation, InvalidArgument, NotFound, ResourceExhausted
from services.chassis.grpc_errors import status_from_rpc_error
from services.chassis.interceptors import (
    INTERNAL_MESSAGE,
    AuthInterceptor,
    ChassisInterceptor,
    ErrorInterceptor,
    chassis_interceptors,
)
from services.chassis.telemetry import RequestIdInterceptor, current_request_id
from services.chassis.testing import TokenMinter
from services.chassis.tests import probe

MINTER = TokenMinter()


def _who() -> bytes:
    caller = current_caller()
    return json.dumps({"account": caller.account_id, "org": caller.organization_id,
                       "roles": sorted(caller.roles), "ip": caller.client_ip,
                       "requestId": current_request_id()}).encode()


def whoami(_request, _context):
    return _who()


def invalid(_request, _context):
    raise InvalidArgument("请求参数有误", [FieldViolation("creditCode", "统一社会信用代码校验位错误"),
                                          FieldViolation("items[0].quantity", "数量须大于零")])


def exhausted(_request, _context):
    raise ResourceExhausted("验证码发送过于频繁", retry_after_seconds=30, reason="RATE_LIMITED")


def boom(_request, _context):
    raise RuntimeError("secret internals")


def aborts(_request, context):
    context.abort(grpc.StatusCode.FAILED_PRECONDITION, "servicer chose this")


def upstream_down(_request, _context):
    channel = grpc.insecure_channel("127.0.0.1:1")
    try:
        probe.unary(channel, "Nothing", timeout=2)
    finally:
        channel.close()


def stream_whoami(_request, _context):
    yield _who()
    yield _who()


def stream_not_found(_request, _context):
    yield b"first"
    raise NotFound("申请不存在")


def stream_boom(_request, _context):
    yield b"first"
    raise RuntimeError("secret internals")


def stream_aborts(_request, context):
    yield b"first"
    context.abort(grpc.StatusCode.OUT_OF_RANGE, "servicer chose this")


def _binding():
    return probe.binding(
        unary={"WhoAmI": whoami, "Invalid": invalid, "Exhausted": exhausted, "Boom": boom, "Aborts": aborts,
               "UpstreamDown": upstream_down},
        streams={"StreamWhoAmI": stream_whoami, "StreamNotFound": stream_not_found, "StreamBoom": stream_boom,
                 "StreamAborts": stream_aborts},
    )


# The single interceptors, and the one a service runs (the same work folded into one).
@pytest.fixture(scope="module", params=["single", "folded"])
def channel(request):
    if request.param == "single":
        interceptors = [RequestIdInterceptor(), AuthInterceptor(MINTER.verifier()), ErrorInterceptor()]
    else:
        interceptors = chassis_interceptors(MINTER.verifier(), tracing=False)
    with probe.serving([_binding()], interceptors) as running, \
            grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield channel


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def failure(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


def test_a_verified_token_becomes_the_current_caller(channel):
    token = MINTER.mint("acc-1", org="org-1", roles=("OWNER",))
    metadata = [*bearer(token), ("x-forwarded-for", "203.0.113.9, 10.0.0.1"), ("x-request-id", "req-42")]
    who = json.loads(probe.unary(channel, "WhoAmI", metadata=metadata))
    assert who == {"account": "acc-1", "org": "org-1", "roles": ["OWNER"], "ip": "203.0.113.9",
                   "requestId": "req-42"}


def test_a_call_without_a_token_runs_anonymous_with_a_fresh_request_id(channel):
    who = json.loads(probe.unary(channel, "WhoAmI"))
    assert who["account"] is None
    assert who["roles"] == []
    assert len(who["requestId"]) == 32


@pytest.mark.parametrize("metadata", [
    bearer(MINTER.mint("acc-1", ttl_seconds=-60)),
    bearer(TokenMinter("unknown-kid").mint("acc-1")),
    bearer(TokenMinter(MINTER.kid).mint("acc-1")),  # right kid, wrong key
    bearer("garbage"),
    [("authorization", "Basic dXNlcjpwYXNz")],
], ids=["expired", "unknown kid", "bad signature", "garbage", "not bearer"])
def test_a_bad_token_is_unauthenticated(channel, metadata):
    error = failure(lambda: probe.unary(channel, "WhoAmI", metadata=metadata))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_bad_token_is_refused_on_streams_too(channel):
    error = failure(lambda: probe.stream(channel, "StreamWhoAmI", metadata=bearer("garbage")))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


def test_field_violations_arrive_as_bad_request_details(channel):
    error = failure(lambda: probe.unary(channel, "Invalid"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = status_from_rpc_error(error)
    assert status.message == "请求参数有误"
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert [(v.field, v.description) for v in bad_request.field_violations] == [
        ("creditCode", "统一社会信用代码校验位错误"), ("items[0].quantity", "数量须大于零")]


def test_resource_exhausted_carries_retry_info_and_error_info(channel):
    error = failure(lambda: probe.unary(channel, "Exhausted"))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    status = status_from_rpc_error(error)
    info, retry = error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo()
    assert any(detail.Unpack(info) for detail in status.details)
    assert any(detail.Unpack(retry) for detail in status.details)
    assert info.reason == "RATE_LIMITED"
    assert retry.retry_delay.seconds == 30


def test_an_unexpected_exception_is_internal_with_a_generic_message_and_a_logged_traceback(channel, caplog):
    with caplog.at_level(logging.ERROR, logger="services.chassis.interceptors"):
        error = failure(lambda: probe.unary(channel, "Boom"))
    assert error.code() == grpc.StatusCode.INTERNAL
    assert error.details() == INTERNAL_MESSAGE
    assert "secret internals" not in error.details()
    logged = [r for r in caplog.records if "/tongban.test.v1.Probe/Boom" in r.getMessage()]
    assert logged and logged[0].exc_info and "secret internals" in str(logged[0].exc_info[1])


def test_context_abort_in_a_servicer_passes_through_untouched(channel):
    error = failure(lambda: probe.unary(channel, "Aborts"))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error.details() == "servicer chose this"


def test_an_unreachable_upstream_becomes_unavailable(channel):
    error = failure(lambda: probe.unary(channel, "UpstreamDown", timeout=30))
    assert error.code() == grpc.StatusCode.UNAVAILABLE


def test_streamed_responses_run_as_the_caller(channel):
    token = MINTER.mint("acc-7", org="org-7")
    items = [json.loads(item) for item in probe.stream(channel, "StreamWhoAmI", metadata=bearer(token))]
    assert [item["account"] for item in items] == ["acc-7", "acc-7"]
    assert items[0]["requestId"] == items[1]["requestId"] is not None


def _stream_failure(channel, method):
    received = []
    with pytest.raises(grpc.RpcError) as raised:
        for item in channel.unary_stream(f"/{probe.SERVICE}/{method}")(b"", timeout=10):
            received.append(item)
    return received, raised.value


def test_a_domain_error_raised_while_streaming_maps_to_its_status(channel):
    received, error = _stream_failure(channel, "StreamNotFound")
    assert received == [b"first"]
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == "申请不存在"


def test_an_unexpected_exception_while_streaming_is_internal(channel):
    received, error = _stream_failure(channel, "StreamBoom")
    assert received == [b"first"]
    assert error.code() == grpc.StatusCode.INTERNAL
    assert error.details() == INTERNAL_MESSAGE


def test_context_abort_while_streaming_passes_through(channel):
    _received, error = _stream_failure(channel, "StreamAborts")
    assert error.code() == grpc.StatusCode.OUT_OF_RANGE
    assert error.details() == "servicer chose this"


def test_a_status_without_details_is_still_rebuilt_from_the_failed_call(channel):
    status = status_from_rpc_error(failure(lambda: probe.unary(channel, "Aborts")))
    assert status.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    assert status.message == "servicer chose this"
    assert list(status.details) == []


@pytest.fixture
def folded():
    """A server with the folded interceptor alone, its access lines captured."""
    observed = []
    interceptors = chassis_interceptors(MINTER.verifier(), tracing=False,
                                        observers=[lambda *call: observed.append(call)])
    assert [type(i) for i in interceptors] == [ChassisInterceptor]
    with probe.serving([_binding()], interceptors) as running, \
            grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield channel, observed


class _AccessLines(logging.Handler):
    """The access log's lines as their fields, with the request id bound while each was logged."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append({**record.fields, "requestId": current_request_id()})


@pytest.fixture
def access_lines():
    logger = logging.getLogger("tongban.access")
    handler, level = _AccessLines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_the_folded_interceptor_logs_one_line_per_call_naming_the_caller_and_tells_its_observers(folded, access_lines):
    channel, observed = folded
    token = MINTER.mint("acc-5", org="org-5")
    probe.unary(channel, "WhoAmI", metadata=[*bearer(token), ("x-request-id", "req-5")])
    failure(lambda: probe.unary(channel, "Invalid", metadata=[("x-request-id", "req-6")]))
    failure(lambda: probe.unary(channel, "WhoAmI", metadata=bearer("garbage")))
    probe.stream(channel, "StreamWhoAmI", metadata=[*bearer(token), ("x-request-id", "req-7")])
    lines = access_lines
    assert [(line["grpcMethod"].rsplit("/", 1)[1], line["grpcCode"], line["accountId"], line["requestId"])
            for line in lines[:2]] == [("WhoAmI", "OK", "acc-5", "req-5"),
                                       ("Invalid", "INVALID_ARGUMENT", None, "req-6")]
    assert (lines[2]["grpcCode"], lines[2]["accountId"], len(lines[2]["requestId"])) == ("UNAUTHENTICATED", None, 32)
    assert [(line["grpcMethod"].rsplit("/", 1)[1], line["requestId"]) for line in lines[3:]] == [
        ("StreamWhoAmI", "req-7")]
    assert [(method.rsplit("/", 1)[1], code) for method, code, _seconds in observed] == [
        ("WhoAmI", grpc.StatusCode.OK), ("Invalid", grpc.StatusCode.INVALID_ARGUMENT),
        ("WhoAmI", grpc.StatusCode.UNAUTHENTICATED), ("StreamWhoAmI", grpc.StatusCode.OK)]
    assert all(seconds >= 0 for _method, _code, seconds in observed)


def test_the_folded_interceptor_continues_an_incoming_trace_without_spans_of_its_own():
    from opentelemetry import trace

    seen = {}

    def traced(_request, _context):
        seen["trace"] = format(trace.get_current_span().get_span_context().trace_id, "032x")
        return b""

    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    binding = probe.binding({"Traced": traced})
    with probe.serving([binding], chassis_interceptors(None, tracing=False)) as running, \
            grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        probe.unary(channel, "Traced", metadata=[("traceparent", f"00-{trace_id}-00f067aa0ba902b7-01")])
        assert seen["trace"] == trace_id
        probe.unary(channel, "Traced")
        assert seen["trace"] == "0" * 32


def test_tracing_puts_opentelemetry_in_front_of_the_folded_interceptor():
    interceptors = chassis_interceptors(None, tracing=True)
    assert len(interceptors) == 2 and isinstance(interceptors[1], ChassisInterceptor)


def test_a_routed_method_not_declared_public_refuses_an_anonymous_call_before_it_validates():
    from protos.testing.v1 import echo_pb2  # noqa: F401 - puts the echo service's descriptors in the pool
    from services.chassis.grpc_errors import status_from_rpc_error as status_of

    echo = "tongban.testing.v1.EchoService"
    seen: list[str] = []

    def validating(_request, _context):
        seen.append("handler")
        raise InvalidArgument.for_field("text", "请填写内容")

    binding = probe.binding({"Echo": validating, "GetThing": whoami}, full_name=echo)
    with probe.serving([binding], chassis_interceptors(MINTER.verifier(), tracing=False)) as running, \
            grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        with pytest.raises(grpc.RpcError) as anonymous:
            probe.unary(channel, "Echo", service=echo)
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED and seen == []
        assert any(b"LOGIN_REQUIRED" in d.value for d in status_of(anonymous.value).details)
        with pytest.raises(grpc.RpcError) as invalid:
            probe.unary(channel, "Echo", service=echo, metadata=bearer(MINTER.mint("acct-1")))
        assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT and seen == ["handler"]
        # Declared public: the anonymous caller reaches the use case, which decides what it may see.
        assert json.loads(probe.unary(channel, "GetThing", service=echo))["account"] is None



def test_a_service_leaves_the_roles_of_a_routed_method_to_its_use_case_whose_reason_the_caller_sees():
    from protos.testing.v1 import echo_pb2  # noqa: F401 - puts the echo service's descriptors in the pool
    from services.chassis.errors import PermissionDenied

    echo = "tongban.testing.v1.EchoService"

    def staff_only(_request, _context):
        raise PermissionDenied("仅限海关工作人员操作", reason="CUSTOMS_ONLY")

    # DeleteThing is declared for STAFF: the gateway keeps an enterprise member out, the service's use case here.
    binding = probe.binding({"DeleteThing": staff_only}, full_name=echo)
    member = MINTER.mint("acct-1", org="org-1", roles=("OWNER",), scopes=("rare_earth",))
    with probe.serving([binding], chassis_interceptors(MINTER.verifier(), tracing=False)) as running, \
            grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        with pytest.raises(grpc.RpcError) as refused:
            probe.unary(channel, "DeleteThing", service=echo, metadata=bearer(member))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert any(b"CUSTOMS_ONLY" in d.value for d in status_from_rpc_error(refused.value).details)
