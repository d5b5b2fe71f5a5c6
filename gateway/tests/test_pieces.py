"""Small parts: the limiter, header forwarding rules, service-chosen HTTP details, settings."""

from __future__ import annotations

import pytest

from gateway.config import GatewaySettings
from gateway.forwarding import BadHeader, deadline_for, parse_grpc_timeout, request_metadata, response_headers
from gateway.ratelimit import TokenBucketLimiter
from services.chassis.config import ConfigError
from services.chassis.http_metadata import content_disposition


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_the_burst_then_asks_to_wait_until_a_token_refills():
    clock = FakeClock()
    limiter = TokenBucketLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.take("a") == 0.0
    assert limiter.take("b") == 0.0


def test_disabled_limiter_never_limits():
    limiter = TokenBucketLimiter(rate=0.0, burst=1)
    assert all(limiter.take("a") == 0.0 for _ in range(100))


def test_limiter_forgets_idle_clients_when_it_holds_too_many():
    clock = FakeClock()
    limiter = TokenBucketLimiter(rate=1.0, burst=1, clock=clock, max_clients=2)
    limiter.take("a")
    clock.now += 10
    limiter.take("b")
    limiter.take("c")
    assert "a" not in limiter._buckets and "c" in limiter._buckets


@pytest.mark.parametrize(("header", "seconds"), [("2S", 2.0), ("500m", 0.5), ("1M", 60.0), ("250000u", 0.25)])
def test_grpc_timeout_units(header, seconds):
    assert parse_grpc_timeout(header) == pytest.approx(seconds)


def test_grpc_timeout_is_capped_and_malformed_is_refused():
    assert deadline_for({"Grpc-Timeout": "1H"}, 10.0) == 10.0
    assert deadline_for({}, 10.0) == 10.0
    with pytest.raises(BadHeader):
        parse_grpc_timeout("1.5S")


def test_binary_client_metadata_is_base64_decoded():
    metadata = request_metadata([("Grpc-Metadata-Trace-Bin", "AQI=")], client_address=None, host=None,
                                request_id="r")
    assert ("trace-bin", b"\x01\x02") in metadata


def test_service_chosen_keys_and_grpc_internals_do_not_become_headers():
    headers = response_headers([("x-http-code", "201"), ("content-disposition", "attachment"),
                                ("grpc-status", "0"), ("x-version", "3")])
    assert headers == [("Grpc-Metadata-x-version", "3")]


def test_content_disposition_keeps_a_chinese_name_exact_with_an_ascii_fallback():
    value = content_disposition("稀土产品目录.xlsx")
    assert value == ("attachment; filename=\"______.xlsx\"; "
                     "filename*=UTF-8''%E7%A8%80%E5%9C%9F%E4%BA%A7%E5%93%81%E7%9B%AE%E5%BD%95.xlsx")


def test_settings_name_every_bad_variable():
    with pytest.raises(ConfigError) as error:
        GatewaySettings.from_env({"GATEWAY_PORT": "http", "GATEWAY_RATE_LIMIT_BURST": "0"})
    assert "GATEWAY_PORT" in str(error.value) and "GATEWAY_RATE_LIMIT_BURST" in str(error.value)


def test_settings_defaults():
    settings = GatewaySettings.from_env({})
    assert (settings.port, settings.workers, settings.deadline_seconds) == (8080, 2, 10.0)
    assert settings.max_body_bytes == 16 * 1024 * 1024
    assert settings.peers["identity"] == "localhost:50051"
