"""The platform's own protos: every annotation must make a valid, unambiguous route under its area."""

from __future__ import annotations

from collections import Counter

import pytest
from openapi_spec_validator import validate

from gateway.app import create_app
from gateway.config import GatewaySettings
from gateway.transcoder import RouteTable
from gateway.upstream import default_modules, upstream_of

AREAS = {"identity": "/v1/identity", "notify": "/v1/notify", "rare_earth": "/v1/rare-earth",
         "inspection": "/v1/inspection", "ccc_exemption": "/v1/ccc", "origin_cert": "/v1/origin"}


@pytest.fixture(scope="module")
def table() -> RouteTable:
    return RouteTable.from_modules(default_modules())


def test_each_route_exists_in_exactly_one_place(table):
    keys = Counter((r.http_method, r.template.segments, r.template.verb) for r in table.routes)
    assert [key for key, count in keys.items() if count > 1] == []


def test_each_route_lives_under_its_service_area(table):
    misplaced = [f"{r.http_method} {r.template.text} ({r.method.full_name})" for r in table.routes
                 if not (r.template.text + "/").startswith(AREAS[upstream_of(r.service)] + "/")
                 and not r.template.text.startswith(AREAS[upstream_of(r.service)] + ":")]
    assert misplaced == []


def test_gateway_for_the_whole_platform_serves_a_valid_openapi_document():
    client = create_app(GatewaySettings(rate_limit_per_second=0.0)).test_client()
    document = client.get("/openapi.json").get_json()
    validate(document)
    assert "/v1/identity/jwks" in document["paths"]
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert all(op["summary"] for op in operations)
    # Login and registration take no token; the rest of the platform's routes want one.
    assert document["paths"]["/v1/identity/sessions"]["post"]["security"] == []
    assert document["paths"]["/v1/identity/me"]["get"]["security"] == [{"bearerAuth": []}]
