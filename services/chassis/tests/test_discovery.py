"""The Consul adapter against a stand-in agent that speaks the three endpoints it calls."""


import grpc
import pytest

from services.chassis.config import ServiceSettings
from services.chassis.discovery import ConsulResolver, channel_factory_for, consul_client, register_for_discovery
from services.chassis.errors import Unavailable
from services.chassis.tests import probe
from services.chassis.tests.consul_stand_in import StandInAgent, instance


@pytest.fixture
def agent():
    with StandInAgent() as agent:
        yield agent


def settings(**environ) -> ServiceSettings:
    return ServiceSettings.from_env("inspection", {"TONGBAN_ENV": "test", **environ})


def test_registration_sends_the_service_with_a_grpc_health_check_and_stop_deregisters(agent):
    deregister = register_for_discovery(
        settings(CONSUL_HTTP_ADDR=agent.address, INSPECTION_ADVERTISE_HOST="10.1.2.3"), 50054)
    method, path, _query, body = agent.requests[0]
    assert (method, path) == ("PUT", "/v1/agent/service/register")
    assert body == {
        "name": "tongban-inspection",
        "id": "inspection-10.1.2.3-50054",
        "address": "10.1.2.3",
        "port": 50054,
        "tags": ["test"],
        "checks": [{
            # The server's overall health, whichever of its gRPC services a caller wants.
            "grpc": "10.1.2.3:50054",
            "interval": "10s",
            "timeout": "5s",
            "DeregisterCriticalServiceAfter": "1m",
        }],
    }
    deregister()
    deregister()
    assert [(m, p) for m, p, _q, _b in agent.requests[1:]] == [
        ("PUT", "/v1/agent/service/deregister/inspection-10.1.2.3-50054")]


def test_an_agent_url_with_a_scheme_is_understood(agent):
    register_for_discovery(settings(CONSUL_HTTP_ADDR=f"http://{agent.address}", POD_IP="10.0.0.8"), 6000)
    body = agent.requests[0][3]
    assert body["id"] == "inspection-10.0.0.8-6000"
    assert body["checks"][0]["grpc"] == "10.0.0.8:6000"


def test_without_consul_nothing_is_registered_and_peers_are_static(agent):
    deregister = register_for_discovery(settings(), 50054)
    deregister()
    factory = channel_factory_for(settings(IDENTITY_ADDR="identity.tongban.svc:50051"))
    assert factory._resolve("identity") == "identity.tongban.svc:50051"
    assert agent.requests == []


def test_an_unreachable_agent_fails_registration_naming_the_variable():
    address = f"127.0.0.1:{probe.free_port()}"
    with pytest.raises(RuntimeError, match="CONSUL_HTTP_ADDR"):
        register_for_discovery(settings(CONSUL_HTTP_ADDR=address), 50054)


def test_peers_resolve_to_a_passing_instance(agent):
    agent.healthy["tongban-identity"] = [instance("10.0.0.1", 50051), instance("10.0.0.2", 50051)]
    resolver = ConsulResolver(consul_client(agent.address), choose=lambda found: found[-1])
    assert resolver.addresses("identity") == ["10.0.0.1:50051", "10.0.0.2:50051"]
    assert resolver("identity") == "10.0.0.2:50051"
    method, path, query, _body = agent.requests[-1]
    assert (method, path) == ("GET", "/v1/health/service/tongban-identity")
    assert "passing" in query


def test_an_instance_without_its_own_address_is_reached_at_its_node(agent):
    agent.healthy["tongban-identity"] = [instance("", 50051)]
    assert ConsulResolver(consul_client(agent.address))("identity") == "10.9.9.9:50051"


def test_no_healthy_instance_is_a_clear_unavailable_error(agent):
    with pytest.raises(Unavailable, match="服务 notify 暂无健康实例") as raised:
        ConsulResolver(consul_client(agent.address))("notify")
    assert raised.value.reason == "NO_HEALTHY_INSTANCE"


def test_an_unreachable_agent_makes_resolution_unavailable():
    resolver = ConsulResolver(consul_client(f"127.0.0.1:{probe.free_port()}"))
    with pytest.raises(Unavailable) as raised:
        resolver("identity")
    assert raised.value.reason == "DISCOVERY_UNAVAILABLE"


def test_channels_from_consul_reach_the_resolved_server(agent):
    with probe.serving([probe.binding({"Echo": lambda r, c: r})]) as running:
        agent.healthy["tongban-identity"] = [instance("127.0.0.1", running.port)]
        factory = channel_factory_for(settings(CONSUL_HTTP_ADDR=agent.address))
        try:
            assert probe.unary(factory.channel("identity"), "Echo", b"found") == b"found"
        finally:
            factory.close()


def test_a_dead_instance_is_left_behind_after_one_unavailable_call(agent):
    with probe.serving([probe.binding({"Echo": lambda r, c: r})]) as running:
        agent.healthy["tongban-identity"] = [instance("127.0.0.1", probe.free_port())]
        factory = channel_factory_for(settings(CONSUL_HTTP_ADDR=agent.address))
        try:
            with pytest.raises(grpc.RpcError):
                probe.unary(factory.channel("identity"), "Echo", b"x")
            agent.healthy["tongban-identity"] = [instance("127.0.0.1", running.port)]
            assert probe.unary(factory.channel("identity"), "Echo", b"x") == b"x"
        finally:
            factory.close()


def test_a_served_service_registers_its_grpc_service_and_leaves_consul_when_stopping(agent, tmp_path):
    from services.chassis.cli import serve
    from services.chassis.context import build_context
    from services.inspection.definition import DEFINITION

    context = build_context(DEFINITION, settings(
        CONSUL_HTTP_ADDR=agent.address, INSPECTION_ADVERTISE_HOST="127.0.0.1", INSPECTION_GRPC_HOST="127.0.0.1",
        INSPECTION_DATABASE_URL=f"sqlite:///{tmp_path / 'inspection.db'}"))
    running = serve(DEFINITION, context, port=0)
    try:
        [(_method, path, _query, body)] = agent.requests
        assert path == "/v1/agent/service/register"
        assert body["checks"][0]["grpc"] == f"127.0.0.1:{running.port}"
    finally:
        running.stop(5)
    assert agent.requests[-1][1] == f"/v1/agent/service/deregister/inspection-127.0.0.1-{running.port}"
