import os
import signal
import subprocess
import sys
import threading

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from services.chassis.config import REPO_ROOT
from services.chassis.tests import probe

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
OTHER = "tongban.test.v1.Other"


def health_of(channel, service="", timeout=10.0):
    return health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=timeout).status


def test_health_reports_serving_for_each_service_and_reflection_lists_them():
    bindings = [probe.binding({"Echo": lambda r, c: r}), probe.binding({"Echo": lambda r, c: r}, full_name=OTHER)]
    with probe.serving(bindings) as running, grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        assert health_of(channel) == SERVING
        assert health_of(channel, probe.SERVICE) == SERVING
        assert health_of(channel, OTHER) == SERVING
        responses = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10)
        listed = {s.name for s in next(responses).list_services_response.service}
    assert {probe.SERVICE, OTHER, "grpc.health.v1.Health"} <= listed


def test_a_connection_older_than_its_maximum_age_is_closed_and_the_client_connects_again():
    """So a client resolving a headless Service reaches the pods a scale-up added."""
    binding = probe.binding({"Peer": lambda _request, context: context.peer().encode()})
    with probe.serving([binding], max_connection_age=1.0) as running, \
            grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        first = probe.unary(channel, "Peer")
        assert probe.unary(channel, "Peer") == first, "one connection while it is young"
        probe.wait_until(lambda: probe.unary(channel, "Peer") != first, timeout=10)


def test_graceful_stop_turns_not_serving_first_finishes_in_flight_calls_and_refuses_new_ones():
    entered, release = threading.Event(), threading.Event()

    def slow(_request, _context):
        entered.set()
        release.wait(30)
        return b"finished"

    binding = probe.binding({"Slow": slow, "Echo": lambda r, c: r})
    running = probe.start_server([binding], host="127.0.0.1", port=0)
    drain_seen = threading.Event()
    running.on_draining.append(drain_seen.set)
    stopped_hook = threading.Event()
    running.on_stop.append(stopped_hook.set)
    address = f"127.0.0.1:{running.port}"
    with grpc.insecure_channel(address) as channel, grpc.insecure_channel(address) as watcher:
        watch = health_pb2_grpc.HealthStub(watcher).Watch(health_pb2.HealthCheckRequest(service=probe.SERVICE),
                                                          timeout=60)
        assert next(watch).status == SERVING
        in_flight = channel.unary_unary(f"/{probe.SERVICE}/Slow").future(b"", timeout=60)
        assert entered.wait(30)

        stopper = threading.Thread(target=running.stop, args=(30,))
        stopper.start()
        assert next(watch).status == NOT_SERVING
        watch.cancel()
        assert drain_seen.wait(30)
        assert not in_flight.done()

        def refused():
            try:
                probe.unary(channel, "Echo", b"new", timeout=5)
            except grpc.RpcError as error:
                return error.code() == grpc.StatusCode.UNAVAILABLE
            return False

        probe.wait_until(refused)
        assert not in_flight.done()
        release.set()
        assert in_flight.result(timeout=30) == b"finished"
        stopper.join(30)
    assert not stopper.is_alive()
    assert stopped_hook.is_set()


@pytest.mark.timeout(180)
def test_sigterm_stops_a_service_process_cleanly(tmp_path):
    port = probe.free_port()
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith(("OTEL_", "CONSUL_")) and not key.endswith("_ADDR")}
    environ.update({
        "INSPECTION_DATABASE_URL": f"sqlite:///{tmp_path / 'inspection.db'}",
        "INSPECTION_PORT": str(port),
        "INSPECTION_GRPC_HOST": "127.0.0.1",
        "GRPC_GRACE_SECONDS": "5",
        "TONGBAN_ENV": "test",
        "INSPECTION_SECRET_KEY": "inspection-test-secret-key-0123456789",
    })
    process = subprocess.Popen([sys.executable, "-m", "services.inspection", "serve"], cwd=REPO_ROOT, env=environ,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            def serving():
                assert process.poll() is None, process.stdout.read().decode()
                try:
                    # The server's overall health, as Kubernetes' gRPC probes and Consul's check ask it.
                    return health_of(channel, "", timeout=2) == SERVING
                except grpc.RpcError:
                    return False

            probe.wait_until(serving, timeout=90, interval=0.2)
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(timeout=60)
        output = process.stdout.read().decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert exit_code == 0, output
    assert "SIGTERM" in output
