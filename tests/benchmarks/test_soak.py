"""`benchmarks/soak.py` end to end for a few seconds: the engine runs against the mock in
its own process, the curve has samples of both processes, the growth line is printed,
and `--json` keeps every sample. Pure helpers (growth, the curve's rows) tested beside.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.common import REPO
from benchmarks.soak import Point, curve_rows, growth

SCRIPT = REPO / "benchmarks" / "soak.py"
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def point(t: float, rss: int, fds: int, received: int = 1) -> Point:
    return Point(t, rss, fds, 2 * rss, fds + 1, received)


def test_growth_is_last_window_minus_first_under_load() -> None:
    points = [point(0, 999, 99, received=0)]  # before the first reply: not counted
    points += [point(t, 100 + t, 10) for t in range(1, 11)]
    g = growth(points, window_s=2)
    assert g["client_rss"] == pytest.approx((108 + 109 + 110) / 3 - (101 + 102 + 103) / 3)
    assert g["client_fds"] == 0 and g["mock_fds"] == 0


def test_curve_rows_keep_first_and_last() -> None:
    points = [point(t, t, 1) for t in range(100)]
    rows = curve_rows(points, 5)
    assert len(rows) == 5 and rows[0] is points[0] and rows[-1] is points[-1]
    assert curve_rows(points[:3], 5) == points[:3]


@linux
def test_a_few_seconds_of_soak_print_the_curve_and_growth(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--minutes", "0.05", "--rate", "100", "--every", "0.5",
         "--json", str(out)],
        capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "client_MB" in done.stdout and "growth (last" in done.stdout
    data = json.loads(out.read_text())
    assert data["outcomes"]["received"] > 0 and data["finished"] == "done"
    assert len(data["points"]) >= 3
    assert all(p["client_rss"] > 0 and p["mock_fds"] > 0 for p in data["points"])


@linux
def test_bad_arguments_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--minutes", "0"],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 2 and "must be positive" in done.stderr
