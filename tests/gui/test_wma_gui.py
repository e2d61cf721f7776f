"""fal's wma flavour in the window, against the real mock/wma: keys steer it as they
steer mock/world (the session turns them into `commands`), the prompt field and Reset
send `prompt` / `reset`, and the WebRTC stats tab plots the control round trip."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from tests.support.panels import wait_finished


def test_wma_keys_prompt_reset_and_the_control_rtt_plot(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("webrtc")
    panel.target.setText("mock/wma")
    assert not panel.video_source.isEnabled()  # generated: nothing to send
    assert panel.start()  # until stopped
    pane = panel.video
    qtbot.waitUntil(lambda: pane.generated and not pane.received.image.isNull(), timeout=20_000)
    assert pane.wma.isVisible()  # the run said its signaling is 4c-wma
    sent: list[tuple[str, object]] = []
    act = panel.bridge.act
    panel.bridge.act = lambda run_id, what, value: (
        sent.append((what, value)),
        act(run_id, what, value),
    )
    pane.setFocus()
    qtbot.keyPress(pane, Qt.Key.Key_W)
    qtbot.keyRelease(pane, Qt.Key.Key_W)
    pane.wma.prompt.setText("a snowy forest")
    qtbot.mouseClick(pane.wma.send, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pane.wma.reset, Qt.MouseButton.LeftButton)
    # two key actions ("w u", "q u"), the prompt and the reset each came back in a frame
    qtbot.waitUntil(lambda: panel.live.aggregator.rtt.count >= 4, timeout=15_000)
    assert sent == [("prompt", "a snowy forest"), ("reset", None)]
    stats = panel.stats_plots
    panel.views.setCurrentIndex(panel.views.indexOf(stats))
    qtbot.waitUntil(lambda: stats.plots["control"].isVisible(), timeout=10_000)
    _xs, ys = stats.curves["control_rtt_median_ms"].getData()
    assert ys is not None and len(ys) >= 1 and float(np.nanmax(ys)) > 0
    panel.stop()
    wait_finished(qtbot, panel)
    assert panel.error.text() == ""
    assert panel.live.summary()["control_rtt_ms"]["count"] >= 1
