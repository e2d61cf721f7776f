"""WebRTC in the window: the sent and returned video, figures, keys as actions, pause,
and a bad video source shown as an error, all against the real mock."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt

from app.core.events import VideoFrame
from app.core.sessions.webrtc import PREVIEW_HZ
from app.gui.connection_panel import ConnectionPanel
from tests.support.panels import wait_finished


def _text(label) -> str:
    return label.text().replace("\u00a0", " ")  # figures keep their words together


def _webrtc_panel(window, mock_base: str, target: str) -> ConnectionPanel:
    window.show_mock(mock_base)
    panel = window.add_connection_for("webrtc")
    panel.target.setText(target)
    assert panel.views.currentWidget() is panel.video  # the Video tab, shown for webrtc
    return panel


def test_v2v_shows_sent_and_returned_video(qtbot, window, mock_base: str) -> None:
    panel = _webrtc_panel(window, mock_base, "mock/yolo/webrtc")
    panel.video_size.setCurrentText("320x240")
    pane = panel.video
    thumbnails = {"out": 0, "in": 0}
    feed = pane.feed

    def counting(events):
        for e in events:
            if isinstance(e, VideoFrame):
                thumbnails[e.direction] += 1
        feed(events)

    pane.feed = counting
    t0 = time.monotonic()
    assert panel.start(duration_s=2.0)
    wait_finished(qtbot, panel)
    elapsed = time.monotonic() - t0
    for n in thumbnails.values():  # a few a second, never every frame
        assert 0 < n <= PREVIEW_HZ * elapsed + 1
    for view in (pane.sent, pane.received):
        assert not view.image.isNull()
        assert view.image.width() <= 320 and "320×240" in view.caption
    s = panel.live.summary()
    assert s["fps_in"] > 0 and s["fps_out"] > 0
    assert s["frame_latency_ms"]["count"] > 0
    assert "frame latency p50" in _text(pane.figures)
    assert "bitrate in" in _text(pane.transport_stats)
    assert "connected in" in _text(pane.transport_stats)
    assert pane.sent.isVisible() and not pane.generated
    assert panel.counter_labels["fps in/out"].text() != "–"
    assert panel.error.text() == ""


def test_generated_video_keys_send_actions_and_pause(qtbot, window, mock_base: str) -> None:
    panel = _webrtc_panel(window, mock_base, "mock/world/realtime")
    assert not panel.video_source.isEnabled()  # nothing is sent to a world model
    assert panel.start()  # until stopped
    pane = panel.video
    qtbot.waitUntil(lambda: pane.generated and not pane.received.image.isNull(), timeout=15_000)
    assert not pane.sent.isVisible()
    pane.setFocus()
    qtbot.keyPress(pane, Qt.Key.Key_W)
    assert pane.last_action == "w u"
    qtbot.keyPress(pane, Qt.Key.Key_J)
    assert pane.last_action == "w j"
    qtbot.keyRelease(pane, Qt.Key.Key_W)
    qtbot.keyRelease(pane, Qt.Key.Key_J)
    assert pane.last_action == "q u" and pane.actions_sent == 4
    qtbot.waitUntil(lambda: panel.live.aggregator.rtt.count > 0, timeout=10_000)
    qtbot.waitUntil(lambda: "action → frame" in _text(pane.keys), timeout=5_000)
    assert "last action “q u”" in _text(pane.keys)
    qtbot.keyClick(pane, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: pane.paused, timeout=10_000)
    qtbot.waitUntil(lambda: "paused" in _text(pane.keys), timeout=5_000)
    qtbot.keyClick(pane, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: not pane.paused, timeout=10_000)
    panel.stop()
    wait_finished(qtbot, panel)
    assert panel.error.text() == ""
    # the run is over: a control sent anyway comes back as the run's error, not a raise
    panel.bridge.send_action(panel.run_id, "w u")
    qtbot.waitUntil(lambda: "no connected WebRTC session" in panel.error.text(), timeout=5_000)


def test_bad_video_file_is_a_one_line_error(qtbot, window, mock_base: str, tmp_path) -> None:
    panel = _webrtc_panel(window, mock_base, "mock/yolo/webrtc")
    missing = tmp_path / "no such clip.mp4"
    panel.set_video_source(f"file:{missing}")
    assert panel.settings().video_source == f"file:{missing}"
    assert panel.start(duration_s=2.0)
    wait_finished(qtbot, panel)
    text = panel.error.text()
    assert "does not exist" in text and "\n" not in text
    assert panel.video.received.image.isNull()
