"""Honest run states on the real window and the real mock: finished, failed (refused
port, bad key, every message an error), stopped; the status bar, the progress bar,
the summary card with its verdicts, and `sigRunEnded` once per run."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from app.gui.connection_panel import ConnectionPanel
from app.gui.message_log import MessageRole
from tests.support.panels import wait_ended

RUN_S = 30_000  # a ceiling for runs that reconnect before they give up


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ends(panel: ConnectionPanel) -> list[str]:
    """The final state of every sigRunEnded, as emitted."""
    seen: list[str] = []

    def record(p: ConnectionPanel) -> None:
        assert p is panel and p.final_state is not None
        seen.append(p.final_state.text)

    panel.sigRunEnded.connect(record)
    return seen


def _status(window) -> str:
    return window.statusBar().currentMessage()


def test_a_good_run_finishes_with_its_card_and_verdicts(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    ends = _ends(panel)
    panel.thresholds.set_text("p99<5000ms, errors==0, sent>=1000")
    assert not panel.thresholds.error.isVisible()
    assert panel.start(count=20)
    assert wait_ended(qtbot, panel) == "finished"
    assert ends == ["finished"]
    assert panel.counter_labels["state"].text() == "finished"
    assert "#009E73" in panel.counter_labels["state"].styleSheet()
    assert panel.counter_labels["sent"].text() == "20"
    assert panel.counter_labels["rate"].text() == "–"  # rates only while a run is on
    card = panel.summary_card
    assert card.isVisible() and card.state.text() == "finished"
    assert "sent 20 · received 20 · errors 0" in card.figures.text()
    assert card.verdict_words == ["PASS p99<5000ms", "PASS errors==0", "FAIL sent>=1000"]
    assert "FAIL" in card.verdicts.text() and "#D55E00" in card.verdicts.text()
    verdicts = panel.verdicts()
    assert [(e, ok) for e, ok, _ in verdicts] == [
        ("p99<5000ms", True),
        ("errors==0", True),
        ("sent>=1000", False),
    ]
    assert verdicts[1].measured == 0 and verdicts[2].measured == 20
    assert "finished · assertions 2/3 pass" in _status(window)
    assert not panel.progress.isVisible()
    assert panel.last_config is not None and panel.last_config.count == 20


def test_a_refused_port_fails_with_its_reason(qtbot, window) -> None:
    panel = window.add_connection_for("realtime")
    ends = _ends(panel)
    panel.target.setText(f"ws://127.0.0.1:{_free_port()}/mock/echo/realtime")
    assert panel.start(count=1)
    assert wait_ended(qtbot, panel, RUN_S) == "failed"
    assert panel.final_state is not None and "connection refused" in panel.final_state.reason
    assert panel.counter_labels["state"].text() == "failed"
    assert "#D55E00" in panel.counter_labels["state"].styleSheet()
    assert "failed: " in _status(window) and "connection refused" in _status(window)
    assert "run finished" not in _status(window)
    assert panel.summary_card.state.text().startswith("failed: ")
    assert len(ends) == 1


def test_a_bad_key_fails_with_the_401(qtbot, window, start_mock) -> None:
    with start_mock(key="the-right-key-1") as base:
        window.show_mock(base)
        panel = window.add_connection_for("realtime")
        panel.key_provider = lambda: "a-wrong-key-22"
        ends = _ends(panel)
        assert panel.start(count=3)
        assert wait_ended(qtbot, panel, RUN_S) == "failed"
    assert panel.final_state is not None and "401" in panel.final_state.reason
    assert "a-wrong-key" not in panel.final_state.reason
    assert "failed: " in _status(window) and len(ends) == 1


def test_every_message_an_error_fails(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    panel.payload.setPlainText('{"fail": "no GPU today"}')
    assert panel.start(count=2)
    assert wait_ended(qtbot, panel) == "failed"
    assert panel.final_state is not None
    assert (
        panel.final_state.reason == "all 2 messages failed: app error INTERNAL_ERROR: no GPU today"
    )
    assert panel.counter_labels["errors"].text() == "2"


def test_stop_is_stopped_and_an_open_run_shows_its_elapsed_time(
    qtbot, window, mock_base: str
) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    ends = _ends(panel)
    panel.rate.setValue(50)
    assert panel.start()  # until Stop
    qtbot.waitUntil(lambda: panel.counter_labels["state"].text() == "running", timeout=10_000)
    qtbot.waitUntil(lambda: panel.counter_labels["rate"].text().endswith("/s"), timeout=10_000)
    assert panel.progress.isVisible() and not panel.progress.bar.isVisible()
    assert panel.progress.text.text().endswith("elapsed")
    panel.stop_button.click()
    assert wait_ended(qtbot, panel) == "stopped"
    assert ends == ["stopped: by the user"]
    assert "stopped: by the user" in _status(window)
    assert panel.counter_labels["rate"].text() == "–"


def test_a_replaced_run_ends_stopped_and_each_run_ends_once(qtbot, window, mock_base) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    ends = _ends(panel)
    panel.rate.setValue(50)
    assert panel.start()
    qtbot.waitUntil(lambda: panel.counter_labels["state"].text() == "running", timeout=10_000)
    assert panel.start(count=3)
    assert ends == ["stopped: replaced by a new run"]
    assert wait_ended(qtbot, panel) == "finished"
    assert ends == ["stopped: replaced by a new run", "finished"]
    assert panel.counter_labels["sent"].text() == "3"  # the new run's figures only
    # the redraws after the end emit nothing more
    redraws = window.bridge.redraws
    qtbot.waitUntil(lambda: window.bridge.redraws >= redraws + 5, timeout=5_000)
    assert len(ends) == 2


def test_a_stale_error_is_cleared_by_the_next_run(qtbot, window, mock_base: str) -> None:
    panel = window.add_connection_for("realtime")
    panel.target.setText(f"ws://127.0.0.1:{_free_port()}/mock/echo/realtime")
    panel.start(count=1)
    assert wait_ended(qtbot, panel, RUN_S) == "failed"
    assert "connection refused" in panel.error.text()
    window.show_mock(mock_base)
    panel.target.setText("mock/echo")
    assert panel.start(count=2)
    assert panel.error.text() == "" and not panel.summary_card.isVisible()
    assert wait_ended(qtbot, panel) == "finished"
    assert panel.error.text() == ""


def test_send_once_shows_its_reply_at_once_and_no_rate(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    panel.send_once.click()
    # flushed when its batch arrives: the inspector and counters need no slow tick
    qtbot.waitUntil(lambda: panel.inspector.model.total == 2, timeout=10_000)
    assert wait_ended(qtbot, panel) == "finished"
    assert panel.counter_labels["sent"].text() == "1"
    assert panel.counter_labels["received"].text() == "1"
    assert panel.counter_labels["rate"].text() == "–"
    assert "rate –" in panel.summary_card.figures.text()
    # the reply itself is on show, selected in the log, as a request tool shows it
    assert panel.views.currentWidget() is panel.inspector
    rows = panel.inspector.table.selectionModel().selectedRows()
    assert len(rows) == 1
    assert rows[0].data(MessageRole).direction == "in"


def test_a_timed_run_shows_rising_progress_and_the_time_left(qtbot, window, mock_base) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    panel.rate.setValue(50)
    panel.duration.setValue(3.0)
    panel.timed.click()
    qtbot.waitUntil(
        lambda: panel.progress.bar.isVisible() and panel.progress.value > 0, timeout=10_000
    )
    first = panel.progress.value
    assert "of 3 s" in panel.progress.text.text() and "left" in panel.progress.text.text()
    qtbot.waitUntil(lambda: panel.progress.value > first or panel.live.finished, timeout=10_000)
    assert panel.progress.value > first or panel.final_state is not None
    assert wait_ended(qtbot, panel) == "finished"
    assert not panel.progress.isVisible()


def test_a_counted_run_shows_messages_done(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    panel.rate.setValue(20)
    seen: list[str] = []

    def midway() -> bool:
        text = panel.progress.text.text()
        if "/ 40 messages" in text and not text.startswith("0 /"):
            seen.append(text)
            return True
        return False

    assert panel.start(count=40)
    qtbot.waitUntil(midway, timeout=10_000)
    assert "left" in seen[-1] and 0 < panel.progress.value < 1
    assert wait_ended(qtbot, panel) == "finished"


def test_a_bad_threshold_is_named_in_one_line_as_typed(qtbot, window) -> None:
    panel = window.add_connection_for("realtime")
    panel.thresholds.edit.setText("errors==0, p99<<5")
    error = panel.thresholds.error
    assert error.isVisible() and "'p99<<5'" in error.text() and "\n" not in error.text()
    panel.thresholds.edit.setText("errors==0, p99<5ms")
    assert not error.isVisible() and error.text() == ""


def test_thresholds_round_trip_in_session_files(qtbot, window, tmp_path: Path) -> None:
    panel = window.add_connection_for("ws")
    panel.thresholds.set_text("p99<50ms, errors==0")
    path = tmp_path / "s.json"
    window.save_session(path)
    assert json.loads(path.read_text())["connections"][0]["assertions"] == [
        "p99<50ms",
        "errors==0",
    ]
    window.remove_connection(panel)
    assert window.open_session(path)
    assert window.panels[0].thresholds.text() == "p99<50ms, errors==0"


def test_an_unknown_app_on_the_mock_fails(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    panel.target.setText("mock/no-such-app")
    assert panel.start(count=1)
    assert wait_ended(qtbot, panel, RUN_S) == "failed"
    assert panel.final_state is not None
    assert "mock/no-such-app serves no WebSocket" in panel.final_state.reason
    assert panel.error.text() != ""
    status = _status(window)  # the target is named once, not again in the reason
    assert "failed: server refused the WebSocket handshake with HTTP 403" in status
    assert status.count("no-such-app/realtime") == 1


def test_closing_a_running_connection_ends_its_run_once(qtbot, window, mock_base: str) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("realtime")
    ends = _ends(panel)
    panel.rate.setValue(20)
    assert panel.start()
    qtbot.waitUntil(lambda: panel.counter_labels["state"].text() == "running", timeout=10_000)
    window.remove_connection(panel)
    assert ends == ["stopped: the connection was closed"]
