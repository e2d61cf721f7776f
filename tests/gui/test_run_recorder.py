"""Finished GUI runs go into the history: real panels run against the shared mock, their
`sigRunEnded` connected to the recorder as the window connects it. Stored with the
histogram, series, verdicts and how the run ended, no secret; a store that fails is one
line and the run in the panel stays as it was."""

from __future__ import annotations

from pathlib import Path

from app.core.history import HistoryStore
from app.gui.connection_panel import ConnectionPanel
from app.gui.connection_settings import ConnectionSettings
from app.gui.run_recorder import RunRecorder, stored_settings, thresholds_of
from tests.support.panels import wait_finished

SECRET = "sk-live-0123456789abcdef"


def _panel(window, mock_base: str, recorder: RunRecorder) -> ConnectionPanel:
    window.show_mock(mock_base)
    panel = window.add_connection_for("ws")
    panel.headers.setText(f"Authorization: Bearer {SECRET}; X-Trace: visible")
    panel.sigRunEnded.connect(recorder.record)  # the window's one line per panel
    return panel


def test_a_finished_run_is_stored_once_with_verdicts_and_no_secret(
    qtbot, window, mock_base: str, tmp_path: Path
) -> None:
    path = tmp_path / "history.sqlite3"
    recorder = RunRecorder(path)
    panel = _panel(window, mock_base, recorder)
    panel.thresholds.set_text("p99<60s, errors>0")
    with qtbot.waitSignal(recorder.sigRecorded, timeout=20_000) as recorded:
        assert panel.start(count=25)
    wait_finished(qtbot, panel)
    (run_id,) = recorded.args
    assert recorder.record(panel) is None  # the same run is never stored twice
    with HistoryStore(path) as store:
        assert store.ids() == [run_id]
        stored = store.get(run_id)
        h = store.histogram(run_id)
        series = store.series(run_id)
    live = panel.live
    assert (stored.row.source, stored.row.state, stored.row.transport) == ("gui", "finished", "ws")
    assert stored.summary.sent == 25 and h.count == live.aggregator.rtt.count == 25
    assert h.percentile_ms(99) == live.aggregator.rtt.percentile_ms(99)
    assert series["received"].sum() == 25
    assert [(v.expression, v.passed) for v in stored.verdicts] == [
        ("p99<60s", True),
        ("errors>0", False),
    ]
    assert stored.verdicts[1].detail and not stored.passed
    assert stored.settings["headers"] == {"Authorization": "", "X-Trace": "visible"}
    assert stored.settings["redacted_headers"] == ["Authorization"]
    assert SECRET.encode() not in path.read_bytes()


def test_stopped_and_replaced_runs_are_stored_as_stopped(
    qtbot, window, mock_base: str, tmp_path: Path
) -> None:
    path = tmp_path / "history.sqlite3"
    recorder = RunRecorder(path)
    panel = _panel(window, mock_base, recorder)
    panel.rate.setValue(50)
    assert panel.start(duration_s=30)
    qtbot.waitUntil(lambda: panel.live.summary().sent > 0, timeout=10_000)
    assert recorder.record(panel) is None  # still running: nothing to store yet
    with qtbot.waitSignal(recorder.sigRecorded, timeout=10_000) as first:
        assert panel.start(duration_s=30)  # a new run replaces the one going on
    qtbot.waitUntil(lambda: panel.live.summary().sent > 0, timeout=10_000)
    with qtbot.waitSignal(recorder.sigRecorded, timeout=10_000) as second:
        panel.stop()
    with HistoryStore(path) as store:
        replaced, stopped = store.get(first.args[0]), store.get(second.args[0])
    assert (replaced.state, replaced.row.reason) == ("stopped", "replaced by a new run")
    assert replaced.summary.sent > 0
    assert stopped.state == "stopped" and stopped.summary.sent > 0


def test_a_store_that_fails_is_one_line_and_the_run_stays(
    qtbot, window, mock_base: str, tmp_path: Path
) -> None:
    bad = tmp_path / "history.sqlite3"
    bad.write_bytes(b"garbage, not sqlite" * 200)
    recorder = RunRecorder(bad)
    panel = _panel(window, mock_base, recorder)
    with qtbot.waitSignal(recorder.sigStatus, timeout=20_000) as status:
        assert panel.start(count=10)
    wait_finished(qtbot, panel)
    line = status.args[0]
    assert line.startswith("run not saved to the history: run history") and "\n" not in line
    assert panel.live is not None and panel.live.finished and panel.live.summary().sent == 10
    assert panel.counter_labels["sent"].text() == "10"
    bad.unlink()  # moved away: the same run can still be stored
    assert RunRecorder(bad).record(panel) is not None


def test_a_run_without_config_stores_the_forms_settings(
    qtbot, window, mock_base: str, tmp_path: Path
) -> None:
    """`record_live` for callers that hold a LiveRun and the form only."""
    recorder = RunRecorder(tmp_path / "h.sqlite3")
    panel = _panel(window, mock_base, recorder)
    panel.sigRunEnded.disconnect(recorder.record)
    assert panel.start(count=5)
    wait_finished(qtbot, panel)
    run_id = recorder.record_live(
        panel.live,
        settings=panel.settings(),
        state="failed",
        reason="checked by hand",
        thresholds=thresholds_of(["sent==5", "not an expression"]),
    )
    assert run_id is not None
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        stored = store.get(run_id)
    assert (stored.state, stored.row.reason) == ("failed", "checked by hand")
    assert [(v.expression, v.passed) for v in stored.verdicts] == [("sent==5", True)]
    assert stored.settings["headers"]["Authorization"] == ""
    assert SECRET not in repr(stored.as_json())


def test_stored_settings_blank_secret_headers() -> None:
    s = ConnectionSettings(headers=f"X-Api-Key: {SECRET}; Accept: json", extra={"x": 1})
    out = stored_settings(s)
    assert out["headers"] == {"X-Api-Key": "", "Accept": "json"}
    assert SECRET not in repr(out) and "extra" not in out
    assert stored_settings(ConnectionSettings(headers="no colon here"))["headers"] == {}
