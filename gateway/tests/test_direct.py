"""Routed calls are answered in front of Flask (gateway/direct.py) with the answers Flask's handlers gave."""

from __future__ import annotations

from flask import request_started

from gateway.upstream import Upstreams


def test_a_routed_call_does_not_go_through_flask_dispatch_and_own_endpoints_still_do(client):
    dispatched: list[str] = []

    def seen(sender, **extra) -> None:
        dispatched.append("flask")

    with request_started.connected_to(seen, client.application):
        assert client.get("/v1/echo/things/7").status_code == 200
        assert dispatched == []
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/no/such/route").status_code == 404
    assert dispatched == ["flask", "flask"]


def test_an_unexpected_error_in_a_routed_call_is_a_500_status_without_its_text(client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Upstreams, "call", broken)
    response = client.get("/v1/echo/things/7", headers={"X-Request-Id": "req-direct-1"})
    assert response.status_code == 500
    assert response.get_json()["message"] == "网关内部错误，请稍后重试"
    assert "secret internals" not in response.get_data(as_text=True)
    assert response.headers["X-Request-Id"] == "req-direct-1"
    assert any(record.exc_info and "secret internals" in str(record.exc_info[1]) for record in caplog.records)

