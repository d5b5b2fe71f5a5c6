"""A loop's beat: a file of its own, touched at most once a second, and nothing without a folder."""

from __future__ import annotations

import os

from services.chassis.heartbeat import Heartbeat


def test_a_beat_touches_the_loops_own_file_creating_the_folder(tmp_path):
    folder = tmp_path / "heartbeat"
    Heartbeat("notify codes/0", folder).beat()
    assert [p.name for p in folder.iterdir()] == ["notify_codes_0"]


def test_beats_within_a_second_touch_the_file_once(tmp_path):
    heartbeat = Heartbeat("relay", tmp_path)
    heartbeat.beat()
    os.utime(heartbeat.path, (1_000_000, 1_000_000))
    heartbeat.beat()
    assert heartbeat.path.stat().st_mtime == 1_000_000
    heartbeat._last -= 1.5
    heartbeat.beat()
    assert heartbeat.path.stat().st_mtime > 1_000_000


def test_without_a_folder_a_beat_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("TONGBAN_HEARTBEAT_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    heartbeat = Heartbeat("relay")
    heartbeat.beat()
    assert heartbeat.path is None
    assert list(tmp_path.iterdir()) == []
