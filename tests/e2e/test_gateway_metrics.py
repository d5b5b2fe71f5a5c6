"""The gateway's Prometheus scrape of the running stack: per-route request counts are the calls made."""

from __future__ import annotations

import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.e2e


def requests_by(text: str) -> dict[tuple[str, str, str], float]:
    """Request counts by (route template, method, status) in a scrape."""
    counts: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_server_request_duration_seconds_count":
                key = (sample.labels["http_route"], sample.labels["http_request_method"],
                       sample.labels["http_response_status_code"])
                counts[key] = counts.get(key, 0.0) + sample.value
    return counts


def scrape(stack) -> dict[tuple[str, str, str], float]:
    response = requests.get(f"{stack.url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return requests_by(response.text)


def test_a_scrape_counts_the_calls_made_per_route_method_and_status(stack):
    before = scrape(stack)
    for _ in range(7):
        assert requests.get(f"{stack.url}/v1/identity/jwks", timeout=10).status_code == 200
    for _ in range(3):
        missing = requests.get(f"{stack.url}/v1/notify/announcements/{uuid.uuid4().hex}", timeout=10)
        assert missing.status_code == 404
    for _ in range(2):
        assert requests.get(f"{stack.url}/v1/nowhere/{uuid.uuid4().hex}", timeout=10).status_code == 404
    after = scrape(stack)

    def made(route: str, method: str, status: int) -> float:
        key = (route, method, str(status))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert made("/v1/identity/jwks", "GET", 200) == 7
    assert made("/v1/notify/announcements/{id}", "GET", 404) == 3
    assert made("unmatched", "GET", 404) == 2
    # A scrape is not traffic.
    assert not any(route == "/metrics" for route, _method, _status in after)
