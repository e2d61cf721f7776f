"""Finished GUI runs go into the history: a real panel run against the shared mock,
stored with its histogram, series and verdicts, no secret; a store that fails is one
line and the run in the panel stays as it was."""

from __future__ import annotations

from pathlib import Path

from app.core.history import HistoryStore
from app.gui.connection_settings import ConnectionSettings
from app.gui.run_recorder import RunRecorder, stored_settings, thresholds_of
from tests.support.panels import wait_finished

SECRET = "sk-live-0123456789abcdef"


def _finished_panel(qtbot, window, mock_base: str, count: int = 25):
    window.show_mock(mock_base)
    panel = window.add_connection_for("ws")
    panel.headers.setText(f"Authorization: Bearer {SECRET}; X-Trace: visible")
    assert panel.start(count=count)
    wait_finished(qtbot, panel)
    return panel


def test_a_finished_panel_run_is_stored_once_without_secrets(
    qtbot, window, mock_base: str, tmp_path: Path
) -> None:
    panel = _finished_panel(qtbot, window, mock_base)
    path = tmp_path / "history.sqlite3"
    recorder = RunRecorder(path)
    with qtbot.waitSignal(recorder.sigRecorded) as recorded:
        run_id = recorder.record(panel)
    assert run_id is not None and recorded.args == [run_id]
    assert recorder.record(panel) is None  # the same run is never stored twice
    with HistoryStore(path) as store:
        assert store.ids() == [run_id]
        stored = store.get(run_id)
        h = store.histogram(run_id)
        series = store.series(run_id)
    live = panel.live
    assert stored.row.source == "gui" and stored.row.state == "finished"
    assert stored.row.transport == "ws" and stored.summary.sent == 25
    assert h.count == live.aggregator.rtt.count == 25
    assert h.percentile_ms(99) == live.aggregator.rtt.percentile_ms(99)
    assert series["received"].sum() == 25
    assert stored.settings["headers"] == {"Authorization": "", "X-Trace": "visible"}
    assert stored.settings["redacted_headers"] == ["Authorization"]
    assert SECRET.encode() not in path.read_bytes()


def test_a_store_that_fails_is_one_line_and_the_run_stays(
    qtbot, window, mock_base: str, tmp_path: Path
) -> None:
    panel = _finished_panel(qtbot, window, mock_base, count=10)
    shown = panel.counter_labels["sent"].text()
    bad = tmp_path / "history.sqlite3"
    bad.write_bytes(b"garbage, not sqlite" * 200)
    recorder = RunRecorder(bad)
    with qtbot.waitSignal(recorder.sigStatus) as status:
        assert recorder.record(panel) is None
    line = status.args[0]
    assert line.startswith("run not saved to the history: run history") and "\n" not in line
    assert panel.live is not None and panel.live.finished and panel.live.summary().sent == 10
    assert panel.counter_labels["sent"].text() == shown
    # fixed (moved away): the same run can still be stored
    bad.unlink()
    assert RunRecorder(bad).record(panel) is not None


def test_a_run_still_going_is_not_stored(qtbot, window, mock_base: str, tmp_path: Path) -> None:
    window.show_mock(mock_base)
    panel = window.add_connection_for("ws")
    recorder = RunRecorder(tmp_path / "h.sqlite3")
    assert recorder.record(panel) is None  # never run
    panel.rate.setValue(50)
    assert panel.start(duration_s=30)
    qtbot.waitUntil(
        lambda: panel.live is not None and panel.live.summary().sent > 0, timeout=10_000
    )
    assert recorder.record(panel) is None
    panel.stop()
    qtbot.waitUntil(lambda: panel.live.finished, timeout=10_000)


def test_stored_settings_blank_secret_headers() -> None:
    s = ConnectionSettings(headers=f"X-Api-Key: {SECRET}; Accept: json", extra={"x": 1})
    out = stored_settings(s)
    assert out["headers"] == {"X-Api-Key": "", "Accept": "json"}
    assert SECRET not in repr(out) and "extra" not in out
    assert stored_settings(ConnectionSettings(headers="no colon here"))["headers"] == {}


def test_verdicts_and_how_the_run_ended_are_stored(
    qtbot, window, mock_base: str, tmp_path: Path
) -> None:
    panel = _finished_panel(qtbot, window, mock_base, count=10)
    path = tmp_path / "history.sqlite3"
    recorder = RunRecorder(path)
    run_id = recorder.record_live(
        panel.live,
        settings=panel.settings(),
        state="stopped",
        reason="stopped by the user",
        thresholds=thresholds_of(["p99<60s", "errors>0", "not an expression"]),
        secrets=[SECRET],
    )
    assert run_id is not None
    with HistoryStore(path) as store:
        stored = store.get(run_id)
    assert (stored.row.state, stored.row.reason) == ("stopped", "stopped by the user")
    assert [(v.expression, v.passed) for v in stored.verdicts] == [
        ("p99<60s", True),
        ("errors>0", False),
    ]
    assert stored.verdicts[1].detail and not stored.passed
