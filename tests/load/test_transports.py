"""Distributed runs of the other transports against the mock on 127.0.0.1: realtime on a
headless master with two worker processes, SSE under `--processes 2`, WebRTC on one
local runner (video is slow to start); each checked for exact merged percentiles, the
accounting, its reports and `--assert`. And the hostile cases of a distributed run: a
worker killed mid-run, and `rtprobe locust --mock`."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
from pathlib import Path

from app.core.report.csv import COLUMNS
from tests.load import locustrun, needs_locust
from tests.support.waiting import wait_until

needs_locust()

LIMIT_S = locustrun.LIMIT_S


def _locust_row(stats_csv: Path) -> dict[str, str]:
    rows = list(csv.DictReader(stats_csv.open()))
    return next(r for r in rows if r["Name"] == "Aggregated")


def _agrees(locust_ms: float, rtprobe_ms: float) -> bool:
    """Locust's figure and rtprobe's agree to three significant figures: Locust keeps
    each time rounded to 3 (0.5 %), HDR to 0.1 %, and the two take a percentile's rank
    a sample apart; 1 % covers all three, whole milliseconds would not."""
    return abs(locust_ms - rtprobe_ms) <= 0.01 * rtprobe_ms


def _at_rank(figure_ms: float, exact_ms: list[float], q: float, precision: float) -> bool:
    """`figure_ms` is the q-quantile of the sorted `exact_ms` to `precision`: the sample
    at rank q*n or one of its two neighbours each side (conventions differ by a rank)."""
    k = int(q * len(exact_ms))
    near = exact_ms[max(0, k - 2) : k + 3]
    return any(abs(figure_ms - v) <= precision * v + 0.0005 for v in near)


def test_realtime_on_a_master_with_two_workers_merges_exactly_with_every_report(
    mock_url: str, tmp_path: Path
) -> None:
    port = str(locustrun.free_port())
    report, html, samples = tmp_path / "r.json", tmp_path / "r.html", tmp_path / "s.csv"
    workers = locustrun.start_workers(2, port, tmp_path)
    try:
        master = subprocess.run(
            locustrun.master(
                port, 2, "--headless", "-u", "4", "-r", "20", "-t", "4", "--only-summary",
                "--transport", "realtime", "--target", "mock/echo", "--mock-url", mock_url,
                "--payload", '{"prompt": "hi", "n": 1}', "--rate", "50",
                "--report-json", str(report), "--report-html", str(html),
                "--report-csv", str(samples), "--csv", str(tmp_path / "locust"),
                "--assert", "errors==0", "--assert", "sent>0",
            ),
            env=locustrun.env(tmp_path), capture_output=True, text=True, timeout=LIMIT_S,
        )  # fmt: skip
    finally:
        codes = locustrun.end(workers)
    assert master.returncode == 0, master.stderr[-2000:]
    assert codes == [0, 0]
    data = locustrun.check_exact(report, tmp_path, workers=2, users=4)
    assert data["transport"] == "realtime" and data["errors"] == 0
    # the run lasts its -t (Locust's timer once fired as early as the imports took)
    assert data["duration_s"] > 4 - 1.5
    # the HTML plots the run over time from the merged per-second series
    page = html.read_text()
    assert "Round-trip latency per second" in page and "Messages per second" in page
    # the CSV is rtprobe run's: its columns, one row per message of every worker
    rows = list(csv.reader(samples.open()))
    assert tuple(rows[0]) == COLUMNS
    measured = [r for r in rows[1:] if r[3] == "0"]
    assert len(measured) == data["sent"] and {r[2] for r in measured} <= {"received", "timed_out"}
    assert len({r[0] for r in measured}) == 4  # four users' sessions, numbered apart
    # Locust's own table and the merged HDR figures both name the exact percentile of
    # the workers' samples (from the CSV): the value at its rank or a neighbour's, at
    # their precisions (Locust 3 significant figures, HDR 0.1 %). Their difference
    # alone is no test: where the tail is sparse, neighbouring samples lie >1 % apart.
    row = _locust_row(tmp_path / "locust_stats.csv")
    assert int(row["Request Count"]) == data["received"] + int(row["Failure Count"])
    # ... of the received replies: a row timed out (in flight at the stop) has an rtt_ms
    # too, the time to its outcome, which neither HDR nor Locust counts; with four such
    # rows among ~780 the rank moved by four samples and p90 missed its neighbours
    assert int(row["Failure Count"]) == 0  # errors==0, and a 4 s run times nothing out
    exact = sorted(float(r[7]) for r in measured if r[2] == "received")
    assert len(exact) == data["received"] == data["rtt_ms"]["count"]
    for col, key, q in (("50%", "p50", 0.5), ("90%", "p90", 0.9)):
        assert _at_rank(float(row[col]), exact, q, 0.006), (col, row[col], exact[-5:])
        assert _at_rank(data["rtt_ms"][key], exact, q, 0.002), (key, data["rtt_ms"])
    assert float(row["Min Response Time"]) == data["rtt_ms"]["min"] or _agrees(
        float(row["Min Response Time"]), data["rtt_ms"]["min"]
    )


def test_sse_under_processes_2_merges_exactly_and_a_failed_assert_sets_the_exit_code(
    mock_url: str, tmp_path: Path
) -> None:
    report = tmp_path / "sse.json"
    done = subprocess.run(
        locustrun.locust(
            "--processes", "2", "--headless", "-u", "4", "-r", "20", "-t", "4",
            "--only-summary", "--transport", "sse", "--target", "mock/echo",
            "--mock-url", mock_url, "--rate", "10", "--report-json", str(report),
            "--assert", "p99<0.001ms",
        ),
        env=locustrun.env(tmp_path), capture_output=True, text=True, timeout=LIMIT_S,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    assert "assertion 'p99<0.001ms' failed: p99 was" in done.stderr
    data = locustrun.check_exact(report, tmp_path, workers=2, users=4)
    assert data["transport"] == "sse" and data["errors"] == 0
    assert data["time_to_first_event_ms"]["count"] == data["received"]


def test_webrtc_users_with_their_size_and_fps_account_for_every_frame(
    mock_url: str, tmp_path: Path
) -> None:
    report, html = tmp_path / "video.json", tmp_path / "video.html"
    done = subprocess.run(
        locustrun.locust(
            "--headless", "-u", "1", "-r", "10", "-t", "5", "--only-summary",
            "--transport", "webrtc", "--target", "mock/yolo/webrtc", "--mock-url", mock_url,
            "--source", "synthetic", "--size", "320x240", "--fps", "15",
            "--report-json", str(report), "--report-html", str(html),
            "--assert", "fps_in>5", "--assert", "frames_in>10",
        ),
        env=locustrun.env(tmp_path), capture_output=True, text=True, timeout=LIMIT_S,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(report.read_text())
    assert (data["workers"], data["users"]) == (1, 1)
    assert 5 < data["fps_in"] < 20  # --fps 15 reached the session (its default is 30)
    in_flight = data["frames_out"] - data["frames_in"] - data["frames_lost"]
    assert 0 <= in_flight <= 15  # at most a second of frames on the way at the stop
    assert data["frame_latency_ms"]["count"] == sum(data["per_second"]["frames_in"]) > 10
    assert "Frame latency per second" in html.read_text()


def test_a_worker_killed_mid_run_is_reported_lost_and_the_master_ends(
    mock_url: str, tmp_path: Path
) -> None:
    port, report = str(locustrun.free_port()), tmp_path / "lost.json"
    workers = locustrun.start_workers(2, port, tmp_path)
    master = subprocess.Popen(
        locustrun.master(
            port, 2, "--headless", "-u", "4", "-r", "20", "-t", "12", "--only-summary",
            "--transport", "realtime", "--target", "mock/echo", "--mock-url", mock_url,
            "--rate", "20", "--report-json", str(report), "--report-every", "0.5",
            "--report-html", str(tmp_path / "lost.html"),
        ),
        env=locustrun.env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:

        def both_reported() -> bool:
            try:
                data = json.loads(report.read_text())
            except (OSError, ValueError):
                return False
            return bool(data["workers"] == 2 and data["received"] > 0)

        wait_until(both_reported, LIMIT_S, what="a partial report from both workers")
        workers[0].send_signal(signal.SIGKILL)
        _, err = master.communicate(timeout=LIMIT_S)
    finally:
        if master.poll() is None:
            master.kill()
            master.communicate(timeout=10)
        codes = locustrun.end(workers)
    assert codes[0] == -signal.SIGKILL and codes[1] == 0
    assert master.returncode == 1
    assert "rtprobe locust: 1 worker process(es) lost before their last results" in err
    data = json.loads(report.read_text())
    assert "partial" not in data and data["workers_lost"] == 1 and data["workers"] == 2
    assert data["sent"] == data["received"] + data["errors"] + data["dropped"] + data["timeouts"]
    assert "lost before their last results" in (tmp_path / "lost.html").read_text()


def test_rtprobe_locust_mock_runs_against_its_own_mock_and_stops_it(tmp_path: Path) -> None:
    report = tmp_path / "m.json"
    done = subprocess.run(
        [sys.executable, "-m", "app", "locust", "--mock", "--headless", "-u", "2", "-r", "10",
         "-t", "2", "--only-summary", "--transport", "ws", "--target", "mock/echo/ws",
         "--rate", "20", "--report-json", str(report)],
        env=locustrun.env(tmp_path), capture_output=True, text=True, timeout=LIMIT_S,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(report.read_text())
    assert data["received"] > 0 and data["target"].startswith("ws://127.0.0.1:")
    assert data["sent"] == data["received"] + data["errors"] + data["dropped"] + data["timeouts"]


def test_mock_and_mock_url_together_are_refused_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app", "locust", "--mock", "--mock-url", "http://127.0.0.1:9"],
        env=locustrun.env(tmp_path), capture_output=True, text=True, timeout=LIMIT_S,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == "rtprobe locust: give --mock or --mock-url, not both"
