"""LiveRun: what a GUI connection keeps of a run, bounded."""

from __future__ import annotations

from pathlib import Path

import app.core.live as live_module
from app.core.events import EventsDropped, Message, RunFinished, Sample, StateChange
from app.core.live import LiveRun


def test_live_run_folds_events_and_streams_a_bounded_csv(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(live_module, "MAX_CSV_ROWS", 3)
    live = LiveRun("realtime", "ws://h/x")
    msg = Message(0, "in", 5, "output", 10, {"a": 1}, 0)
    samples = [Sample(0, i, "received", i * 1000, i * 1000, i * 1000 + 500_000) for i in range(5)]
    out = live.feed_many([StateChange(0, 0, "connected"), msg, *samples])
    assert out == [msg]  # messages go to the inspector, not into the figures
    assert live.state == "connected" and live.summary()["received"] == 5
    live.export_csv(tmp_path / "s.csv")
    assert len((tmp_path / "s.csv").read_text().splitlines()) == 1 + 3
    assert live.csv_truncated
    live.feed_many([EventsDropped(1, 7), RunFinished(2, "done")])
    assert live.finished and live.dropped == 7 and live.last_error == ""
    summary = live.summary()  # the loss reaches the summary and so every report and counter
    assert summary.events_dropped == 7 and summary.to_json()["events_dropped"] == 7
    live.close()


def test_a_failed_run_shows_its_reason() -> None:
    live = LiveRun("realtime", "ws://h/x")
    live.feed_many([RunFinished(1, "failed", "give a message count or a duration")])
    assert live.finished and live.last_error == "give a message count or a duration"
    live.close()


def test_a_refused_run_ends_failed_not_finished() -> None:
    live = LiveRun("realtime", "ws://h/x")
    assert live.shown_state() == "connecting" and live.final_state() is None
    live.feed_many([StateChange(0, 1, "failed", "connection refused"), RunFinished(2, "done")])
    final = live.final_state()
    assert final is not None and final.text == "failed: connection refused"
    assert live.shown_state() == "failed"
    live.close()


def test_progress_of_a_counted_run() -> None:
    from app.core.run_progress import Plan

    live = LiveRun("realtime", "ws://h/x", Plan(count=4))
    live.feed_many([Sample(0, i, "received", i, i, i + 10) for i in range(2)])
    assert live.progress().fraction == 0.5
    assert live.progress().text.startswith("2 / 4 messages")
    live.close()
