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


def test_pixels_with_record_keep_the_received_frames_pictures_and_a_session_keeps_it(
    qtbot, window, mock_base: str, tmp_path: Path
) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("webrtc")
    panel.target.setText("mock/yolo/webrtc")
    panel.video_size.setCurrentText("320x240")
    panel.form.record_pixels.setChecked(True)
    path = tmp_path / "px.har"
    panel.record.choose = lambda: str(path)
    panel.record.setChecked(True)
    assert panel.start(duration_s=1.5)
    assert wait_ended(qtbot, panel) == "finished"
    qtbot.waitUntil(path.exists, timeout=10_000)
    (entry,) = har.parse(path.read_bytes())
    received = [f for f in entry.private["_rtprobeFrames"] if f["direction"] == "in"]
    assert received and all("pixels" in f for f in received)
    assert panel.last_config is not None and panel.last_config.webrtc.record_pixels

    panel.record.setChecked(False)  # pixels without Record: no pictures are even taken
    assert panel.start(duration_s=0.5)
    assert panel.last_config is not None and not panel.last_config.webrtc.record_pixels
    assert wait_ended(qtbot, panel) == "finished"

    window.save_session(tmp_path / "s.json")  # the setting is the session file's
    window.remove_connection(panel)
    assert window.open_session(tmp_path / "s.json")
    assert window.panels[0].settings().record_pixels
