"""deploy.probe: ready exactly while the container holds a connection to the broker's port."""

from __future__ import annotations

import os
import socket

import pytest

from deploy import probe


@pytest.mark.parametrize(("url", "port"), [("amqp://u:p@rabbitmq/%2F", 5672), ("amqps://u:p@rabbitmq/tongban", 5671),
                                           ("amqp://u:p@rabbitmq:5673/tongban", 5673)])
def test_the_port_comes_from_amqp_url(url, port):
    assert probe.amqp_port(url) == port


def test_only_established_connections_count(tmp_path):
    table = tmp_path / "tcp"
    table.write_text(
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:D431 0A000005:1628 01 00000000:00000000 00:00000000 00000000 10001 0 1 1\n"
        "   1: 0100007F:D432 0A000005:1629 06 00000000:00000000 00:00000000 00000000 10001 0 2 1\n"
        "   2: 00000000:1628 00000000:0000 0A 00000000:00000000 00:00000000 00000000 10001 0 3 1\n")
    assert probe.established_remote_ports([table, tmp_path / "missing"]) == {5672}


def test_main_follows_a_real_connection(monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        monkeypatch.setenv("AMQP_URL", f"amqp://relay:secret@127.0.0.1:{port}/tongban")
        assert probe.main(["amqp"]) == 1
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        try:
            assert probe.main(["amqp"]) == 0
        finally:
            client.close()
            accepted.close()
        assert probe.main(["amqp"]) == 1


def test_anything_but_amqp_is_a_usage_error(capsys):
    assert probe.main([]) == 2 and probe.main(["http"]) == 2
    assert "usage" in capsys.readouterr().err


def test_alive_while_every_loop_has_beaten_recently_and_not_before_any_has(tmp_path):
    assert probe.stale_loops(tmp_path / "missing", 60) is None
    assert probe.stale_loops(tmp_path, 60) is None
    for name in ("codes-0", "relay"):
        (tmp_path / name).touch()
    now = (tmp_path / "relay").stat().st_mtime
    assert probe.stale_loops(tmp_path, 60, now=now + 30) == []
    os.utime(tmp_path / "codes-0", (now - 90, now - 90))
    assert probe.stale_loops(tmp_path, 60, now=now + 30) == ["codes-0"]


def test_alive_names_what_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TONGBAN_HEARTBEAT_DIR", raising=False)
    assert probe.main(["alive"]) == 1
    monkeypatch.setenv("TONGBAN_HEARTBEAT_DIR", str(tmp_path))
    assert probe.main(["alive"]) == 1
    (tmp_path / "relay").touch()
    assert probe.main(["alive"]) == 0
    assert probe.main(["dead"]) == 2
    assert "TONGBAN_HEARTBEAT_DIR is not set" in capsys.readouterr().err
