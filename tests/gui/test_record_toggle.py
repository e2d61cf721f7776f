"""The *Record* toggle of a connection panel: on the real window, engine process and
mock, a run with it on is written as a HAR file with every frame; off, or cancelled
at the file chooser, nothing is written."""

from __future__ import annotations

import base64
from pathlib import Path

import msgpack

from app.core.record import har
from tests.support.panels import wait_ended


def test_a_recorded_run_is_written_as_har(qtbot, window, mock_base: str, tmp_path: Path) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    path = tmp_path / "gui.har"
    panel.record.choose = lambda: str(path)
    panel.record.setChecked(True)
    assert panel.record.isChecked() and panel.record.path == str(path)
    assert panel.start(count=5)
    assert wait_ended(qtbot, panel) == "finished"
    qtbot.waitUntil(path.exists, timeout=10_000)
    (entry,) = har.parse(path.read_bytes())
    assert entry.kind == "websocket" and entry.transport == "realtime"
    assert len(entry.sends()) == 5 and len(entry.receives()) == 5
    first = msgpack.unpackb(entry.sends()[0].data)
    assert first["rtprobe_seq"] == 0
    qtbot.waitUntil(lambda: "recorded 10 frames to" in window.statusBar().currentMessage())
    raw = path.read_text()
    assert base64.b64encode(entry.sends()[0].data).decode() in raw

    panel.record.setChecked(False)  # off: the next run is not recorded
    path.unlink()
    assert panel.start(count=2)
    assert wait_ended(qtbot, panel) == "finished"
    assert not path.exists()


def test_cancelling_the_file_chooser_leaves_the_toggle_off(qtbot, window) -> None:
    panel = window.add_connection_for("ws")
    panel.record.choose = lambda: ""
    panel.record.setChecked(True)
    assert not panel.record.isChecked() and panel.record.path is None
