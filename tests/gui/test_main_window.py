"""The real window, driven as a user would: embedded mock, each transport, errors,
sessions, reports. Counters, plots and the log must reflect the traffic."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt

from app.gui.connection_panel import ConnectionPanel
from tests.support.panels import wait_finished


def _count(panel: ConnectionPanel, name: str) -> int:
    text = panel.counter_labels[name].text().replace(",", "")
    return int(text) if text.isdigit() else 0  # "–" before the first redraw


def test_each_transport_runs_and_is_shown(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panels = [window.add_connection_for(t) for t in ("realtime", "ws", "sse")]
    panels[0].start(count=40)
    panels[1].rate.setValue(200)
    panels[1].start(duration_s=1.0)
    panels[2].start(count=3)
    for panel in panels:
        wait_finished(qtbot, panel)
    c = panels[0].counter_labels
    assert (c["sent"].text(), c["received"].text(), c["errors"].text()) == ("40", "40", "0")
    assert c["p50"].text().endswith(" ms") and c["state"].text() == "finished"
    ws_sent = int(panels[1].counter_labels["sent"].text().replace(",", ""))
    assert 100 <= ws_sent <= 260
    assert panels[2].counter_labels["received"].text() == "3"
    for panel in panels:
        window.workspace.select(panel)  # an unseen panel draws only once it is shown
        qtbot.waitUntil(lambda p=panel: p.plots.redraws > 0, timeout=10_000)
        xs, _ys = panel.plots.rtt_curve.getData()
        assert xs is not None and len(xs) == panel.live.aggregator.rtt.count
        assert panel.plots.p99_line.isVisible()
    # the inspector saw every frame: 40 inputs and 40 outputs
    assert panels[0].inspector.model.total == 80
    # SSE: one request out, progress events and the result in
    kinds = set(panels[2].inspector.model.kinds)
    assert {"request", "event"} <= kinds


def test_errors_are_shown_not_raised(qtbot, window, mock_base: str) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    panel = window.add_connection_for("realtime")
    # no mock yet: mock/… targets say what to do
    assert not panel.start(count=1)
    assert "start it in the toolbar" in panel.error.text()
    panel.target.setText(f"ws://127.0.0.1:{port}/mock/echo/realtime")
    assert panel.start(count=1)
    qtbot.waitUntil(lambda: "connection refused" in panel.error.text(), timeout=10_000)
    assert "connection refused" in window.statusBar().currentMessage()
    panel.payload.setPlainText('{"broken": ')
    assert "payload is not valid JSON: Expecting value at line 1" in panel.payload_error.text()
    assert not panel.start_button.isEnabled()
    panel.payload.setPlainText('{"fixed": 1}')
    assert panel.payload_error.text() == "" and panel.start_button.isEnabled()


def test_app_error_frames_stand_out(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    panel.payload.setPlainText('{"fail": "no GPU today"}')
    panel.start(count=2)
    wait_finished(qtbot, panel)
    assert panel.counter_labels["errors"].text() == "2"
    assert "app error INTERNAL_ERROR: no GPU today" in panel.error.text()
    assert panel.inspector.model.kinds["x-fal-error"] == 2


def test_session_round_trip_without_secrets(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAL_KEY", "fal-secret-key-123")
    a = window.add_connection_for("ws")
    a.headers.setText("Authorization: Key sk-secret-456; X-Trace: yes")
    a.rate.setValue(50)
    window.add_connection_for("sse")
    window.fault_inputs["latency_ms"].setValue(12)
    path = tmp_path / "s.json"
    window.save_session(path)
    text = path.read_text()
    assert "sk-secret-456" not in text and "fal-secret-key-123" not in text
    data = json.loads(text)
    assert [c["transport"] for c in data["connections"]] == ["ws", "sse"]
    for panel in list(window.panels):
        window.remove_connection(panel)
    assert window.open_session(path)
    assert [p.settings().transport for p in window.panels] == ["ws", "sse"]
    restored = window.panels[0]
    assert restored.settings().rate == 50
    assert "X-Trace: yes" in restored.headers.text()
    assert "sk-secret" not in restored.headers.text()
    assert "Authorization" in restored.error.text()  # asked to enter it again
    assert window.fault_inputs["latency_ms"].value() == 12
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert not window.open_session(bad)
    assert "bad.json" in window.statusBar().currentMessage()


def test_export_reports(qtbot, window, mock_base: str, tmp_path: Path) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    panel.start(count=25)
    wait_finished(qtbot, panel)
    panel.send_once.setFocus()
    for name in ("r.json", "r.csv", "r.html"):
        assert window.export_report(tmp_path / name)
    assert json.loads((tmp_path / "r.json").read_text())["received"] == 25
    assert len((tmp_path / "r.csv").read_text().splitlines()) == 26
    assert "<svg" in (tmp_path / "r.html").read_text()
    assert not window.export_report(tmp_path / "r.txt")
    assert "unknown report type" in window.statusBar().currentMessage()


def test_shortcut_starts_and_stops(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("ws")
    panel.rate.setValue(100)
    panel.target.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: panel.running, timeout=5_000)
    qtbot.waitUntil(lambda: _count(panel, "sent") > 5, timeout=20_000)  # however busy
    qtbot.keyClick(window, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    wait_finished(qtbot, panel)
    assert panel.live.finished and _count(panel, "sent") > 5


def test_embedded_mock_toggle_and_live_faults(qtbot, window) -> None:
    with qtbot.waitSignal(window.mock.sigStarted, timeout=30_000):
        window.mock_action.setChecked(True)
    assert window.mock.base_url in window.mock_label.text()
    window.fault_inputs["latency_ms"].setValue(30)
    with qtbot.waitSignal(window.mock.sigFaults, timeout=10_000):
        window.apply_faults()
    assert "latency_ms=30.0" in window.statusBar().currentMessage()
    panel = window.add_connection_for("realtime")
    panel.start(count=5)
    wait_finished(qtbot, panel)
    assert panel.live.aggregator.rtt.percentile_ms(50) >= 29
    with qtbot.waitSignal(window.mock.sigStopped, timeout=10_000):
        window.mock_action.setChecked(False)
    assert "off" in window.mock_label.text()


def test_webrtc_settings_survive_a_session_file(qtbot, window, tmp_path: Path) -> None:
    panel = window.add_connection_for("webrtc")
    settings = panel.settings()
    settings.video_size, settings.video_fps, settings.data_channel = "320x240", 15.0, True
    panel.set_settings(settings)
    window.save_session(tmp_path / "v.json")
    window.remove_connection(panel)
    assert window.open_session(tmp_path / "v.json")
    got = window.panels[0].settings()
    assert (got.video_size, got.video_fps, got.data_channel) == ("320x240", 15.0, True)


def test_network_settings_survive_a_session_file(qtbot, window, tmp_path: Path) -> None:
    panel = window.add_connection_for("webrtc")
    panel.form.network.setCurrentText("3g")
    panel.form.network_at.setText("5s:edge; 12s:mock:none")
    window.save_session(tmp_path / "n.json")
    saved = json.loads((tmp_path / "n.json").read_text())["connections"][0]
    assert (saved["network"], saved["network_at"]) == ("3g", ["5s:edge", "12s:mock:none"])
    window.remove_connection(panel)
    assert window.open_session(tmp_path / "n.json")
    form = window.panels[0].form
    assert (form.network.currentText(), form.network_at.text()) == (
        "3g",
        "5s:edge; 12s:mock:none",
    )
    saved["network_at"] = ["5s:edge", "later:3g"]  # hand-edited: refused in one line
    (tmp_path / "bad.json").write_text(json.dumps({"rtprobe_session": 1, "connections": [saved]}))
    assert not window.open_session(tmp_path / "bad.json")
    shown = window.statusBar().currentMessage()
    assert "connections[0].network_at[1]" in shown and "\n" not in shown


def test_connections_fill_a_grid_in_order_and_payloads_load_from_files(qtbot, window, tmp_path):
    window.set_columns(2)
    panels = [window.add_connection_for(t) for t in ("realtime", "ws", "sse", "webrtc")]
    grid = window.workspace.grid

    def cells() -> list[tuple[int, int]]:
        return [grid.getItemPosition(grid.indexOf(p))[:2] for p in window.panels]

    assert cells() == [(0, 0), (0, 1), (1, 0), (1, 1)]
    window.remove_connection(panels[1])
    assert window.panels == [panels[0], panels[2], panels[3]]
    assert cells() == [(0, 0), (0, 1), (1, 0)]
    good = tmp_path / "in.json"
    good.write_text('{"prompt": "from a file"}')
    assert panels[0].load_payload_file(good)
    assert panels[0].settings().payload == '{"prompt": "from a file"}'
    assert panels[0].payload_error.text() == ""
    assert not panels[0].load_payload_file(tmp_path / "missing.json")
    assert "cannot read payload file" in panels[0].error.text()


def test_unexpected_exceptions_reach_the_status_bar(qtbot, window, monkeypatch) -> None:
    import sys

    from app.gui.launch import install_excepthook

    monkeypatch.setattr(sys, "excepthook", lambda *a: None)
    install_excepthook(window)
    try:
        raise ValueError("boom in a slot")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    assert window.statusBar().currentMessage() == "internal error: ValueError: boom in a slot"


def test_rate_legend_names_only_series_with_data(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("ws")
    legend = panel.plots.rates_legend
    assert legend.getLabel(panel.plots.recv_curve) is None  # nothing yet
    panel.rate.setValue(200)
    panel.start(duration_s=2.5)
    wait_finished(qtbot, panel)
    assert legend.getLabel(panel.plots.recv_curve) is not None
    assert legend.getLabel(panel.plots.fps_in_curve) is None  # no video on a WebSocket


def test_embedded_mock_runs_on_the_qasync_loop(qtbot, window) -> None:
    """Start, fault change, stop and a refusal: coroutines on the GUI's loop, no
    threads; errors are one line in the status bar."""
    import threading

    threads = threading.active_count()
    with qtbot.waitSignal(window.mock.sigStarted, timeout=30_000):
        window.mock_action.setChecked(True)
    assert window.mock.busy and window.mock.running
    with qtbot.waitSignal(window.mock.sigError, timeout=10_000) as refused:
        window.mock.set_faults({"drop": 2})  # out of range: the server refuses it
    message = refused.args[0]
    assert message.startswith("mock faults not changed:") and "\n" not in message
    assert window.statusBar().currentMessage() == message
    with qtbot.waitSignal(window.mock.sigStopped, timeout=10_000):
        window.mock_action.setChecked(False)
    assert not window.mock.busy and window.mock_base is None
    assert threading.active_count() <= threads + 1  # at most asyncio's child watcher


def test_mock_that_ends_by_itself_is_shown_off(qtbot, window) -> None:
    with qtbot.waitSignal(window.mock.sigStarted, timeout=30_000):
        window.mock_action.setChecked(True)
    with qtbot.waitSignals([window.mock.sigStopped, window.mock.sigError], timeout=15_000):
        window.mock.proc.kill()
    assert "embedded mock server exited with code" in window.statusBar().currentMessage()
    assert not window.mock_action.isChecked() and "off" in window.mock_label.text()
    with qtbot.waitSignal(window.mock.sigError, timeout=5_000) as blocker:
        window.mock.set_faults({"latency_ms": 1})
    assert blocker.args[0] == "start the embedded mock server first"


def test_mock_that_cannot_start_says_why_in_one_line(qtbot, window, monkeypatch) -> None:
    import sys

    import app.gui.mock_control as mock_control

    def failing(*_args: str) -> list[str]:
        return [sys.executable, "-c", "import sys; sys.exit('port taken\\nby someone')"]

    monkeypatch.setattr(mock_control, "mock_command", failing)
    with qtbot.waitSignals([window.mock.sigStopped, window.mock.sigError], timeout=30_000):
        window.mock_action.setChecked(True)
    message = window.statusBar().currentMessage()
    assert message == "embedded mock server failed to start: by someone"
    assert not window.mock_action.isChecked() and not window.mock.busy


def test_hex_shows_the_frames_bytes_of_a_real_run(qtbot, window, mock_base: str) -> None:
    """Messages carry their frame: Hex shows it, of its size, inputs (with the sequence
    tag the frame adds) and replies alike (more: tests/gui/test_hex_view.py)."""
    window.show_mock(mock_base)
    realtime, ws = window.add_connection_for("realtime"), window.add_connection_for("ws")
    realtime.start(count=2)
    ws.start(count=2)
    for panel in (realtime, ws):
        wait_finished(qtbot, panel)
    for panel, how in ((realtime, "msgpack frame"), (ws, "JSON text frame as UTF-8")):
        inspector = panel.inspector
        rows = [inspector.model.message(r) for r in range(inspector.model.rowCount())]
        replies = [m for m in rows if m.direction == "in"]
        assert len(replies) == 2
        for message in rows:
            inspector.show_message(message)
            inspector.tabs.setCurrentIndex(inspector.HEX)
            text = inspector.hex.toPlainText()
            assert f"── {how}: {message.size:,} bytes ──" in text
