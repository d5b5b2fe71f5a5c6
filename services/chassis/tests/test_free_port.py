"""free_port: no two calls in a process give the same port, even before anything binds it."""

from __future__ import annotations

import socket

from services.chassis.testing import free_port


def test_ports_handed_out_one_after_another_are_all_different_and_bindable():
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[-1]))
