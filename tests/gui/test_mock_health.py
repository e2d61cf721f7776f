"""The embedded mock's /health in the window, with the real embedded mock (its own
process, started by the toolbar toggle): the status bar's mock label shows its loop CPU
and lag, a run to it gets the mock's reading over the run, and a saturated reading is
said in one line on the summary card and in the panel's status line."""

from __future__ import annotations

from dataclasses import replace

from app.core.health.mock_reading import server_health
from app.core.history.store import HistoryStore
from app.gui.mock_health import label_text, on_mock
from tests.support.panels import wait_finished


def test_the_label_shows_the_mocks_loop_and_a_run_gets_its_reading(qtbot, window) -> None:
    with qtbot.waitSignal(window.mock.sigStarted, timeout=30_000):
        window.mock_action.setChecked(True)
    base = window.mock.base_url
    qtbot.waitUntil(lambda: "loop CPU" in window.mock_label.text(), timeout=15_000)
    text = window.mock_label.text()
    assert base in text and " · lag p50 " in text and " ms p99 " in text
    # the mock's probe starts at its first /health read (the label's first poll): a
    # reading over some time comes with the next poll, and then the run goes
    qtbot.waitUntil(
        lambda: (r := window.mock_health.latest) is not None and r.window_s > 0,
        timeout=15_000,
    )
    reading = window.mock_health.latest
    assert reading is not None and reading.window_s > 0 and reading.cpu >= 0
    panel = window.add_connection_for("ws")
    panel.start(count=20)
    wait_finished(qtbot, panel)
    qtbot.waitUntil(lambda: panel.server_health is not None, timeout=10_000)
    assert panel.server_health.window_s > 0  # the part of the run the probe saw
    # the run was stored when it ended; the reading, which came after, joins it there
    run_id = window.history.recorder._recorded[panel.live]
    stored = HistoryStore().get(run_id).summary.server_health
    assert stored is not None and stored.window_s == panel.server_health.window_s
    with qtbot.waitSignal(window.mock.sigStopped, timeout=10_000):
        window.mock_action.setChecked(False)
    assert "off" in window.mock_label.text() and not window.mock_health.timer.isActive()


def test_a_saturated_mock_is_one_line_on_the_card_and_the_status(qtbot, window) -> None:
    with qtbot.waitSignal(window.mock.sigStarted, timeout=30_000):
        window.mock_action.setChecked(True)
    panel = window.add_connection_for("ws")
    panel.start(count=10)
    wait_finished(qtbot, panel)
    qtbot.waitUntil(lambda: panel.server_health is not None, timeout=10_000)
    # (not asserted "not saturated": on a loaded machine a freshly started mock lags)
    # the mock's /health as it reads when its loop fell behind (the same JSON keys)
    hot = server_health({"window_s": 2.0, "cpu_pct": 99.0,
                         "loop_lag_ms": {"p50": 12.0, "p99": 80.0, "max": 95.0}})  # fmt: skip
    assert hot is not None and hot.saturated
    with qtbot.waitSignal(panel.sigStatus, timeout=5_000) as said:
        panel.show_server_health(hot)
    card = panel.summary_card.saturation
    assert card.isVisible()
    assert card.text().startswith("server (mock) saturated: its event-loop lag p99 80.0 ms")
    line = said.args[0]
    assert " · server (mock) saturated: its event-loop lag p99 80.0 ms" in line
    assert "\n" not in line and window.statusBar().currentMessage() == line
    assert "saturated" in label_text("http://127.0.0.1:1", replace(hot))


def test_only_runs_to_the_mock_are_read() -> None:
    base = "http://127.0.0.1:8123"
    assert on_mock("ws://127.0.0.1:8123/mock/echo/ws", base)
    assert on_mock("http://127.0.0.1:8123/mock/echo/sse?x=1", base)
    assert not on_mock("ws://127.0.0.1:81234/x", base)
    assert not on_mock("wss://fal.run/fal-ai/x", base)
