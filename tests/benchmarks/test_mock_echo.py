"""`benchmarks/mock_echo.py` end to end with tiny settings: both servers start, every
part prints its ratios against the baseline, and a round without samples exits non-zero.

Real processes on 127.0.0.1; each run bounded by a subprocess timeout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.common import REPO

SCRIPT = REPO / "benchmarks" / "mock_echo.py"
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def bench(*args: str, timeout_s: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
    )


def test_tiny_run_measures_both_servers_and_prints_ratios(tmp_path: Path) -> None:
    out = tmp_path / "echo.json"
    done = bench(
        "--rtt-count", "20", "--steps", "4", "--step-seconds", "0.2,0.4", "--workers", "1",
        "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "RTT  64B: mock p50" in done.stdout and "mock/baseline: p50 x" in done.stdout
    assert "mock / baseline sessions held:" in done.stdout
    report = json.loads(out.read_text())
    for label in ("64B", "1MiB"):
        rtt = report["rtt"][label]
        assert rtt["mock"]["n"] == rtt["baseline"]["n"] == 20
        assert rtt["ratio"]["p50"] > 0
    cap = report["capacity"]
    for name in ("mock", "baseline"):
        step = cap[name]["steps"][0]
        assert step["sessions"] == 4 and step["connected"] == 4 and step["n"] > 0


def test_a_round_without_samples_exits_non_zero_with_one_clear_line() -> None:
    done = bench("--rtt-count", "0", "--no-capacity")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "error: round trips, 64B, baseline: no samples were measured, so there is nothing to report"
    )
    assert "Summary" not in done.stdout
