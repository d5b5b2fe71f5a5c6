"""A broadcast's lanes hold back while a verification code is under way, and never for good."""

from __future__ import annotations

import threading

from services.notify.broker import CodesFirst


def _give_way_in_a_thread(codes: CodesFirst) -> threading.Event:
    passed = threading.Event()
    threading.Thread(target=lambda: (codes.give_way(), passed.set()), daemon=True).start()
    return passed


def test_a_broadcast_lane_goes_on_at_once_when_no_code_is_under_way():
    codes = CodesFirst()
    assert _give_way_in_a_thread(codes).wait(1)


def test_a_broadcast_lane_waits_while_a_code_is_under_way_and_goes_on_when_it_is_sent(monkeypatch):
    monkeypatch.setattr(CodesFirst, "HOLD_SECONDS", 30.0)  # so only the code's end can let it go
    codes = CodesFirst()
    with codes.marked():
        passed = _give_way_in_a_thread(codes)
        assert not passed.wait(0.2)
    assert passed.wait(5)


def test_a_mark_whose_code_never_ended_is_dropped_once_stale(monkeypatch):
    codes = CodesFirst()
    codes.begin()  # a code whose commit failed before its follow-up could end it
    monkeypatch.setattr(CodesFirst, "STALE_SECONDS", 0.0)
    assert _give_way_in_a_thread(codes).wait(1)
    monkeypatch.setattr(CodesFirst, "STALE_SECONDS", 60.0)
    assert _give_way_in_a_thread(codes).wait(1), "the stale mark stays cleared"
