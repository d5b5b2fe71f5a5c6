import json
import threading

import grpc
import pytest

from services.chassis import grpc_client
from services.chassis.grpc_client import ChannelFactory
from services.chassis.server import MAX_MESSAGE_BYTES, start_server
from services.chassis.telemetry import bind_request_id, reset_request_id
from services.chassis.tests import probe


class FlakyServer:
    """Fails the first ``failures`` calls with UNAVAILABLE, then answers."""

    def __init__(self):
        self.failures = 0
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, request, context):
        with self.lock:
            self.calls += 1
            failing = self.calls <= self.failures
        if failing:
            context.abort(grpc.StatusCode.UNAVAILABLE, "starting up")
        return b"ok"


@pytest.fixture(scope="module")
def server():
    flaky = FlakyServer()
    release = threading.Event()

    def slow(_request, _context):
        release.wait(30)
        return b"late"

    def metadata(_request, context):
        return json.dumps(dict(context.invocation_metadata())).encode()

    binding = probe.binding(unary={
        "Flaky": flaky,
        "Slow": slow,
        "Echo": lambda request, _context: request,
        "Oversized": lambda _request, _context: b"x" * (MAX_MESSAGE_BYTES + 1),
        "Metadata": metadata,
    })
    with probe.serving([binding]) as running:
        yield running, flaky
        release.set()


@pytest.fixture
def factory(server):
    running, _flaky = server
    factory = ChannelFactory.static({"probe": f"127.0.0.1:{running.port}"})
    yield factory
    factory.close()


def test_unavailable_is_retried_until_the_server_answers(server, factory):
    _running, flaky = server
    flaky.calls, flaky.failures = 0, 3
    assert probe.unary(factory.channel("probe"), "Flaky") == b"ok"
    assert flaky.calls == 4


def test_retries_stop_after_four_attempts(server, factory):
    _running, flaky = server
    flaky.calls, flaky.failures = 0, 10
    with pytest.raises(grpc.RpcError) as raised:
        probe.unary(factory.channel("probe"), "Flaky")
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert flaky.calls == 4


def test_the_deadline_is_enforced(factory):
    with pytest.raises(grpc.RpcError) as raised:
        probe.unary(factory.channel("probe"), "Slow", timeout=0.3)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_a_16_mib_message_passes_both_ways(factory):
    payload = b"\x01" * MAX_MESSAGE_BYTES
    assert probe.unary(factory.channel("probe"), "Echo", payload, timeout=60) == payload


def test_a_request_over_16_mib_is_refused(factory):
    with pytest.raises(grpc.RpcError) as raised:
        probe.unary(factory.channel("probe"), "Echo", b"\x01" * (MAX_MESSAGE_BYTES + 1), timeout=60)
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_a_response_over_16_mib_is_refused(factory):
    with pytest.raises(grpc.RpcError) as raised:
        probe.unary(factory.channel("probe"), "Oversized", timeout=60)
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_the_request_id_travels_in_the_metadata_unless_the_caller_set_one(factory):
    token = bind_request_id("req-from-gateway")
    try:
        sent = json.loads(probe.unary(factory.channel("probe"), "Metadata"))
        explicit = json.loads(probe.unary(factory.channel("probe"), "Metadata",
                                          metadata=[("x-request-id", "chosen-by-caller")]))
    finally:
        reset_request_id(token)
    assert sent["x-request-id"] == "req-from-gateway"
    assert explicit["x-request-id"] == "chosen-by-caller"


def test_one_channel_per_service_is_reused(factory):
    assert factory.channel("probe") is factory.channel("probe")


def test_an_unknown_service_is_a_lookup_error(factory):
    with pytest.raises(LookupError, match="no address configured for service 'billing'"):
        factory.channel("billing")


def test_a_forked_process_gets_its_own_channels(factory, monkeypatch):
    parents = factory.channel("probe")
    monkeypatch.setattr(grpc_client.os, "getpid", lambda: -1)
    childs = factory.channel("probe")
    assert childs is not parents
    assert factory.channel("probe") is childs
    assert probe.unary(childs, "Echo", b"hi") == b"hi"


def test_an_unavailable_instance_is_resolved_again_on_the_next_call(server):
    running, _flaky = server
    addresses = [f"127.0.0.1:{probe.free_port()}", f"127.0.0.1:{running.port}"]
    resolved = []

    def resolve(service):
        resolved.append(addresses[len(resolved)])
        return resolved[-1]

    factory = ChannelFactory(resolve, reresolve_on_unavailable=True)
    try:
        with pytest.raises(grpc.RpcError) as raised:
            probe.unary(factory.channel("probe"), "Echo", b"hi")
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        assert probe.unary(factory.channel("probe"), "Echo", b"hi") == b"hi"
        assert resolved == addresses
    finally:
        factory.close()


def test_calls_to_a_name_with_two_servers_behind_it_reach_both():
    """A headless Service's name resolves to every ready pod; round-robin spreads calls over them."""
    from services.chassis.tests.dns_stand_in import dns_stand_in

    port = probe.free_port()
    answered: list[str] = []

    def server_on(host: str):
        def who(_payload: bytes, _context) -> bytes:
            answered.append(host)
            return host.encode()
        return start_server([probe.binding({"Who": who})], host=host, port=port, workers=2)

    servers = [server_on("127.0.0.1"), server_on("127.0.0.2")]
    try:
        with dns_stand_in({"identity.tongban.svc": ["127.0.0.1", "127.0.0.2"]}) as dns:
            factory = ChannelFactory.static({"identity": f"dns://{dns}/identity.tongban.svc:{port}"})
            channel = factory.channel("identity")
            for _ in range(20):
                probe.unary(channel, "Who")
            factory.close()
    finally:
        for server in servers:
            server.stop(0)
    assert set(answered) == {"127.0.0.1", "127.0.0.2"}
    assert min(answered.count("127.0.0.1"), answered.count("127.0.0.2")) >= 5
