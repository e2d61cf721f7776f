"""`benchmarks/webrtc_yolo.py` end to end with tiny settings: both jitter-release modes
run against one mock process, the table and the marker / next-frame ratio are printed,
and a round that kept no frames exits non-zero with an `error:` line.

Real processes on 127.0.0.1; each run bounded by a subprocess timeout. Nothing here
judges the speed (that is what the benchmark prints).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.common import REPO

SCRIPT = REPO / "benchmarks" / "webrtc_yolo.py"
pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
    pytest.mark.timeout(150),
]


def bench(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
    )


def test_tiny_run_measures_both_modes_and_prints_the_ratio(tmp_path: Path) -> None:
    out = tmp_path / "yolo.json"
    done = bench(
        "--seconds", "2.5", "--rounds", "1", "--sizes", "320x240", "--warmup", "0.5",
        "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "320x240 marker / next-frame: p50 x" in done.stdout
    assert "round 1 320x240 marker" in done.stdout and "round 1 320x240 next-frame" in done.stdout
    results = json.loads(out.read_text())["results"]["320x240"]
    for mode in ("marker", "next-frame"):
        r = results[mode]
        assert r["jitter_release"] == mode  # what the client really installed
        assert r["latency_ms"]["count"] > 0 and r["frames_unreadable"] == 0
        assert r["cpu"]["client_pct"] > 0


def test_a_round_without_frames_fails_loudly() -> None:
    done = bench("--seconds", "1.5", "--rounds", "1", "--sizes", "320x240", "--warmup", "60")
    assert done.returncode == 1
    assert "error: 320x240" in done.stderr and "no samples" in done.stderr


def test_bad_arguments_are_one_line_errors() -> None:
    done = bench("--modes", "soon")
    assert done.returncode == 2 and "must be one of: marker, next-frame" in done.stderr
