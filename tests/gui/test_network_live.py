"""The faults dock's network section, live: a preset applied mid-run reaches the WebRTC
client, is marked on every plot's time axis, and the frames after it are slower."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.gui import network_live
from app.gui.network_section import CUSTOM, NetworkSection
from tests.support.panels import wait_finished


def test_section_checks_the_profile_before_applying(qtbot) -> None:
    section = NetworkSection()
    qtbot.addWidget(section)
    applied: list[str] = []
    errors: list[str] = []
    section.sigApply.connect(applied.append)
    section.sigError.connect(errors.append)
    section.set_spec("4g")
    assert section.preset.currentText() == "4g" and not section.custom.isEnabled()
    section.apply_button.click()
    section.set_spec("delay=abc")
    assert section.preset.currentText() == CUSTOM and section.custom.isEnabled()
    section.apply_button.click()
    assert applied == ["4g"]
    assert len(errors) == 1 and "not a number" in errors[0]


def test_preset_mid_run_is_marked_and_slows_the_frames(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("webrtc")
    panel.target.setText("mock/yolo/webrtc")
    panel.video_size.setCurrentText("320x240")
    assert panel.start(duration_s=14.0)

    def frames() -> int:  # cheap: this runs every 10 ms on the GUI thread
        return panel.live.timeline.frames_total if panel.live else 0

    qtbot.waitUntil(lambda: frames() >= 45, timeout=20_000)
    assert panel.running
    last_frame_s = float(panel.live.timeline.frame_latency()[0][-1])
    section = window.fault_bar.network
    section.set_spec("delay=100,jitter=5")
    section.apply_button.click()
    marks = panel.network_marks
    assert len(marks) == 1
    t_mark, label, lines = marks[0]
    items = network_live.plot_items(panel)
    assert len(lines) == len(items) >= 3  # latency, rates and every WebRTC stats plot
    for item, line in zip(items, lines, strict=True):
        assert isinstance(line, pg.InfiniteLine) and line in item.items
        assert line.value() == t_mark
    assert label == "net: custom" and last_frame_s <= t_mark

    wait_finished(qtbot, panel, timeout_ms=40_000)
    assert not panel.live.summary().get("errors_by_message")
    t, ms = panel.live.timeline.frame_latency()
    before = ms[t < t_mark]
    # the engine may be seconds ahead of a loaded GUI: the change lands at t_mark (its
    # clock), and the delay reaches every frame in flight within a second
    after = ms[t > t_mark + 1.0]
    assert len(before) >= 20 and len(after) >= 20, (len(before), len(after), t_mark, t[:3], t[-3:])
    rise = float(np.median(after) - np.median(before))
    assert rise >= 150, (np.median(before), np.median(after))
    changes = panel.live.summary().network_changes  # kept by the run: client and whole mock
    assert {(c["side"], c["session"]) for c in changes} == {("client", 0), ("mock", None)}
    assert all(c["name"] == "delay=100,jitter=5" for c in changes)


def test_mock_side_of_this_session_only(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("webrtc")
    panel.target.setText("mock/yolo/webrtc")
    panel.video_size.setCurrentText("160x120")
    assert panel.start(duration_s=5.0)
    qtbot.waitUntil(
        lambda: bool(panel.live) and panel.live.timeline.frames_total >= 20, timeout=20_000
    )
    section = window.fault_bar.network
    section.set_spec("3g")
    section.side_box.setCurrentIndex(section.side_box.findData("mock"))
    assert section.side() == "mock"
    section.apply_button.click()
    assert panel.network_marks[0][1] == "net: 3g (mock)"
    wait_finished(qtbot, panel, timeout_ms=40_000)
    changes = panel.live.summary().network_changes
    assert [(c["side"], c["session"], c["name"]) for c in changes] == [("mock", 0, "3g")]
