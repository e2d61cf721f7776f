"""`rtprobe run --find-max` and the health lines of `rtprobe run`, as a user runs them:
a real process, the embedded mock (its own process), the mock echo."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.commands.test_run import rtprobe


def test_find_max_on_the_mock_echo_converges_within_its_bounds(tmp_path: Path) -> None:
    out_json, out_html = tmp_path / "fm.json", tmp_path / "fm.html"
    steps = 4
    out = rtprobe(
        "run", "ws", "mock/echo/ws", "--mock", "--concurrency", "4",
        "--find-max", "--find-max-steps", str(steps), "--find-max-step-seconds", "0.6",
        "--find-max-start", "50", "--find-max-p99", "200ms", "--no-history",
        "--json", str(out_json), "--html", str(out_html),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    found = json.loads(out_json.read_text())["find_max"]
    assert 1 <= len(found["steps"]) <= steps
    assert found["limits"]["p99_ms"] == 200.0 and found["limits"]["max_steps"] == steps
    passed = [s["rate"] for s in found["steps"] if s["passed"]]
    failed = [s["rate"] for s in found["steps"] if not s["passed"]]
    assert found["best_rate_per_s"] == (max(passed) if passed else 0.0)
    assert all(rate > found["best_rate_per_s"] for rate in failed)
    ramp = [s["rate"] for s in found["steps"] if s["phase"] == "ramp"]
    assert ramp[0] == 50 and ramp == sorted(ramp)
    for s in found["steps"]:
        assert s["passed"] == (s["failure"] == "")
        assert s["achieved"] > 0 and 0 < s["p50_ms"] <= s["p99_ms"]
    assert found["stopped_by"] in (
        "client saturated", "server (mock) saturated", "server p99", "errors",
        "throughput short of the rate", "out of steps while still ramping",
    )  # fmt: skip
    assert f"highest sustainable rate {found['best_rate_per_s']:,.1f} msg/s" in out.stdout
    assert f"stopped by: {found['stopped_by']}" in out.stdout
    html = out_html.read_text()
    assert "<svg" in html and "rate asked (msg/s)" in html and "round trip p99" in html


def test_a_find_max_search_is_stored_and_shown_from_the_history(tmp_path: Path) -> None:
    history, out_json = tmp_path / "h.sqlite3", tmp_path / "fm.json"
    out = rtprobe(
        "run", "ws", "mock/echo/ws", "--mock", "--concurrency", "2",
        "--find-max", "--find-max-steps", "3", "--find-max-step-seconds", "0.5",
        "--find-max-start", "20", "--find-max-p99", "500ms",
        "--history", str(history), "--json", str(out_json),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "not stored" not in out.stderr
    searched = json.loads(out_json.read_text())["find_max"]
    listed = rtprobe("runs", "list", "--history", str(history))
    assert listed.returncode == 0 and listed.stdout.rstrip().endswith("(find-max)")
    shown = rtprobe("runs", "show", "last", "--history", str(history))
    assert shown.returncode == 0, shown.stderr
    best = searched["best_rate_per_s"]
    assert f"find-max: highest sustainable rate {best:,.1f} msg/s" in shown.stdout
    assert f"stopped by: {searched['stopped_by']}" in shown.stdout
    step_line = re.compile(r"^ +\d+  (ramp|bisect) ")
    table = [line for line in shown.stdout.splitlines() if step_line.match(line)]
    assert len(table) == len(searched["steps"])  # a line a step
    as_json = json.loads(
        rtprobe("runs", "show", "last", "--json", "--history", str(history)).stdout
    )
    assert as_json["kind"] == "find-max"
    stored = as_json["find_max"]
    assert stored["best_rate_per_s"] == best and stored["stopped_by"] == searched["stopped_by"]
    assert [s["rate"] for s in stored["steps"]] == [s["rate"] for s in searched["steps"]]
    assert [s["p99_ms"] for s in stored["steps"]] == [s["p99_ms"] for s in searched["steps"]]
    assert all(s["send_lag_p99_ms"] >= 0 for s in stored["steps"])
    assert as_json["settings"]["find_max"]["p99_ms"] == 500.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--find-max-p99", "fast"], "not a latency above 0"),
        (["--count", "10"], "--count does not go with --find-max"),
        (["--find-max-start", "0"], "--find-max: the start rate must be above 0"),
    ],
)
def test_find_max_bad_arguments_are_one_line(args: list[str], message: str) -> None:
    out = rtprobe("run", "ws", "ws://127.0.0.1:9/x", "--find-max", "--no-history", *args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr


def test_run_prints_the_clients_and_the_mocks_health(tmp_path: Path) -> None:
    out_json = tmp_path / "s.json"
    out = rtprobe(
        "run", "ws", "mock/echo/ws", "--mock", "--duration", "1", "--rate", "50",
        "--no-history", "--json", str(out_json),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "  client: CPU " in out.stdout and "loop lag p50 " in out.stdout
    assert "  mock: loop CPU " in out.stdout
    summary = json.loads(out_json.read_text())
    assert summary["health"]["loop_lag_wakes"] > 0 and summary["health"]["cpu_one_core"] > 0
    assert summary["server_health"]["window_s"] > 0
