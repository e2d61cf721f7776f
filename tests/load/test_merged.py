"""The master's merged result: reports with workers and users, thresholds, bad data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.events import Sample, StateChange
from app.core.report.model import Summary
from app.core.summary import Aggregator
from app.load import wire
from app.load.merged import MergedRun, parse_thresholds


def _window(rtts_ms: list[float], session: int = 0) -> dict:
    agg = Aggregator("ws", "ws://127.0.0.1:1/x")
    t = 10**9
    for seq, ms in enumerate(rtts_ms):
        agg.feed(Sample(session, seq, "received", t, t, t + int(ms * 1e6)))
        t += 10**7
    agg.feed(StateChange(session, t, "closed"))
    return wire.encode(agg, {session: "closed"}, 0)


def test_the_json_report_is_rtprobe_runs_with_workers_and_users(tmp_path: Path) -> None:
    run = MergedRun()
    run.add("w1", _window([1.0, 2.0]))
    run.add("w2", _window([3.0]))
    run.note_users("w1", 3)
    run.note_users("w2", 2)
    run.note_users("w2", 0)  # users stopped: the peak stays
    path, html = tmp_path / "r.json", tmp_path / "r.html"
    assert run.write(str(path), str(html), final=False) == []
    assert json.loads(path.read_text())["partial"] is True and not html.exists()
    assert run.write(str(path), str(html), final=True) == []
    data = json.loads(path.read_text())
    assert (data["workers"], data["users"], data["sent"], data["sessions"]) == (2, 5, 3, 2)
    assert "partial" not in data and data["rtt_ms"]["max"] == 3.0
    assert Summary.from_json(data).rtt_ms.count == 3  # the file reads back as a summary
    assert "load_workers" in html.read_text()


def test_thresholds_are_checked_on_the_merged_result() -> None:
    run = MergedRun()
    run.add("w1", _window([1.0] * 99))
    run.add("w2", _window([80.0]))
    assert run.failures(parse_thresholds(["max<100ms", "sent==100"])) == []
    assert run.failures(parse_thresholds(["max<50ms"])) == [
        "assertion 'max<50ms' failed: max was 80.000 ms"
    ]


def test_a_window_it_cannot_read_is_counted_and_skipped_not_raised() -> None:
    run = MergedRun()
    run.add("w1", {"v": -1})
    run.add("w1", None)  # a worker that had no user yet
    run.add("w1", _window([1.0]))
    assert (run.bad_windows, run.workers, run.summary().sent) == (1, 1, 1)


def test_an_unwritable_report_is_one_line_and_the_result_is_kept(tmp_path: Path) -> None:
    run = MergedRun()
    run.add("w1", _window([1.0]))
    errors = run.write(str(tmp_path / "no" / "r.json"), "", final=True)
    assert len(errors) == 1 and errors[0].startswith("rtprobe: cannot write --report-json")
    assert run.summary().sent == 1


def test_a_bad_threshold_is_refused_in_one_line() -> None:
    with pytest.raises(Exception, match="cannot read assertion"):
        parse_thresholds(["p99 is small"])
