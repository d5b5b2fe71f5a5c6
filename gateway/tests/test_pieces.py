"""Small parts: header forwarding rules, service-chosen HTTP details, settings."""

from __future__ import annotations

import pytest

from gateway.config import GatewaySettings
from gateway.forwarding import BadHeader, deadline_for, parse_grpc_timeout, request_metadata, response_headers
from services.chassis.config import ConfigError
from services.chassis.http_metadata import content_disposition


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
