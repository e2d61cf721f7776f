"""The master's merged result: reports with workers and users, thresholds, bad data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from app.core.events import Sample, StateChange
from app.core.report.csv import COLUMNS
from app.core.report.model import Summary
from app.load.merged import MergedRun, parse_thresholds
from app.load.recorder import Recorder


def _window(rtts_ms: list[float], session: int = 0, step_ns: int = 10**7) -> dict:
    """A worker's window, as its recorder takes it (with its seconds and samples)."""
    rec = Recorder("ws", "ws://127.0.0.1:1/x", keep_samples=True)
    t = 10**9
    for seq, ms in enumerate(rtts_ms):
        rec.feed(Sample(session, seq, "received", t, t, t + int(ms * 1e6), bytes_in=4))
        t += step_ns
    rec.feed(StateChange(session, t, "closed"))
    return rec.take()


def test_the_json_report_is_rtprobe_runs_with_workers_and_users(tmp_path: Path) -> None:
    run = MergedRun()
    run.add("w1", _window([1.0, 2.0]))
    run.add("w2", _window([3.0]))
    run.note_users("w1", 3)
    run.note_users("w2", 2)
    run.note_users("w2", 0)  # users stopped: the peak stays
    path, html = tmp_path / "r.json", tmp_path / "r.html"
    assert run.write(str(path), str(html), final=False) == []
    assert json.loads(path.read_text())["partial"] is True  # a checkpoint
    assert "Partial: the test is still running" in html.read_text()
    assert run.write(str(path), str(html), final=True) == []
    data = json.loads(path.read_text())
    assert (data["workers"], data["users"], data["sent"], data["sessions"]) == (2, 5, 3, 2)
    assert "partial" not in data and data["rtt_ms"]["max"] == 3.0
    assert "Partial" not in html.read_text()
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


def test_the_merged_reports_carry_the_over_time_series(tmp_path: Path) -> None:
    run = MergedRun()
    run.add("w1", _window([1.0 + i % 5 for i in range(300)]))  # 3 s at 100 msg/s
    run.add("w2", _window([2.0] * 200))
    path, html = tmp_path / "r.json", tmp_path / "r.html"
    assert run.write(str(path), str(html), final=True) == []
    series = json.loads(path.read_text())["per_second"]
    assert sum(series["received"]) == 500 == sum(series["rtt_ms"]["count"])
    assert series["t_s"][0] == 0 and len(series["t_s"]) == len(series["sent"]) >= 3
    page = html.read_text()
    assert "Round-trip latency per second" in page and "Messages per second" in page
    assert page.count("<svg") >= 4  # latency/s, histogram, messages/s, bytes/s


def test_the_merged_csv_has_rtprobe_runs_columns_and_every_workers_samples(
    tmp_path: Path,
) -> None:
    path = tmp_path / "samples.csv"
    run = MergedRun(str(path))
    run.add("w1", _window([1.0, 2.0]))
    run.add("w2", _window([3.0]))  # session 0 of another worker: session 1 here
    assert run.write("", "", final=True) == []
    rows = list(csv.reader(path.open()))
    assert tuple(rows[0]) == COLUMNS
    assert [(r[0], r[2], r[7]) for r in rows[1:]] == [
        ("0", "received", "1.000"),
        ("0", "received", "2.000"),
        ("1", "received", "3.000"),
    ]


def test_an_unwritable_csv_is_one_line_at_the_end(tmp_path: Path) -> None:
    run = MergedRun(str(tmp_path / "no" / "s.csv"))
    run.add("w1", _window([1.0]))
    errors = run.write("", "", final=True)
    assert len(errors) == 1 and errors[0].startswith("rtprobe: cannot write --report-csv")


def test_a_lost_worker_is_said_in_the_report(tmp_path: Path) -> None:
    run = MergedRun()
    run.add("w1", _window([1.0]))
    run.lost.add("w2")
    path, html = tmp_path / "r.json", tmp_path / "r.html"
    run.write(str(path), str(html), final=True)
    data = json.loads(path.read_text())
    assert data["workers_lost"] == 1 and data["connection"]["load_workers_lost"] == 1
    assert "1 load worker process(es) lost before their last results" in html.read_text()
