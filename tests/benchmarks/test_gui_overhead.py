"""`benchmarks/gui_overhead.py`: a tiny run measures in every round (samples on each
connection, redraws on each panel, the figures in `--json`), and a round that measures
nothing ends the script with exit status 1 and one `error:` line. No speed asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.metrics import LatencyHistogram
from benchmarks.common import REPO, NoSamples
from benchmarks.gui_overhead import Round, check_round, spread

SCRIPT = REPO / "benchmarks" / "gui_overhead.py"
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip


def _round(kind: str, samples: list[int], redraws: list[int] | None = None) -> Round:
    h = LatencyHistogram()
    for _ in range(sum(samples)):
        h.record_ns(1_000_000)
    redraws = redraws or []
    return Round(kind, samples, h, window_s=1.0, redraws=redraws, visible=[True] * len(redraws))


def test_a_round_with_a_silent_connection_is_rejected_by_name() -> None:
    check_round(_round("headless", [5, 5]), "headless round 1")
    with pytest.raises(NoSamples, match="headless round 2, connection 2: no samples"):
        check_round(_round("headless", [5, 0]), "headless round 2")
    with pytest.raises(NoSamples, match="GUI round 1: no connection ran"):
        check_round(_round("gui", []), "GUI round 1")


def test_a_gui_round_without_redraws_is_rejected() -> None:
    """What the old benchmark's leftover timer did: samples, yet a panel that never drew."""
    check_round(_round("gui", [5, 5], redraws=[3, 3]), "GUI round 1")
    with pytest.raises(NoSamples, match="GUI round 2: a visible panel never redrew"):
        check_round(_round("gui", [5, 5], redraws=[3, 0]), "GUI round 2")
    hidden = _round("gui", [5, 5], redraws=[3, 0])
    hidden.visible = [True, False]  # an unseen panel does not redraw: that is no failure
    check_round(hidden, "GUI round 3")
    hidden.visible = [False, False]
    with pytest.raises(NoSamples, match="GUI round 3: no panel was visible"):
        check_round(hidden, "GUI round 3")


def test_fps_counts_visible_panels_only_and_spread_is_min_median_max() -> None:
    r = _round("gui", [1, 1, 1], redraws=[30, 60, 90])
    r.window_s = 2.0
    r.visible = [True, False, True]
    assert r.fps == [15.0, 45.0]
    assert spread([3.0, 1.0, 2.0]) == {"min": 1.0, "median": 2.0, "max": 3.0}
    assert spread([1.0, 2.0])["median"] == 1.5


@linux
def test_a_tiny_run_measures_in_every_round(tmp_path: Path) -> None:
    out = tmp_path / "gui.json"
    done = _run("--seconds", "3", "--rounds", "1", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert "p99 ratio gui/headless" in done.stdout and "GUI process CPU" in done.stdout
    data = json.loads(out.read_text())
    assert data["scenario"]["qt_platform"] == "offscreen"
    assert [r["kind"] for r in data["rounds"]] == ["headless", "gui"]
    for r in data["rounds"]:
        assert len(r["samples"]) == 4 and min(r["samples"]) > 0
        assert r["engine_cpu_pct"] > 0
    gui = data["rounds"][1]
    assert data["scenario"]["columns"] == 2 and gui["layout"] == "2 columns, 1600x1000"
    assert data["visible_panels"]["median"] == 4  # 2 x 2: every panel at least in part
    assert len(gui["visible_share"]) == 4 and min(gui["visible_share"]) > 0
    assert {"engine", "self"} <= set(gui["wait_ms_per_s"])
    tail = gui["tail"]  # a loaded machine may leave under 100 samples in 3 s: no tail then
    assert tail["samples"] < 100 or ("all_overlap_paint" in tail and "gc2_per_s" in tail)
    shown = [n for n, v in zip(gui["redraws"], gui["visible"], strict=True) if v]
    assert shown and min(shown) > 0
    assert data["p99_ratio"] is not None and data["redraw_fps_per_visible_panel"]["min"] > 0
    assert data["gui_cpu_ms_per_panel_redraw"]["median"] > 0


@linux
def test_a_round_that_measures_nothing_exits_1_with_one_line() -> None:
    done = _run("--seconds", "0.5", "--rounds", "1", "--target", "mock/no-such-app")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: headless round 1, connection 1: no samples were measured, "
        "so there is nothing to report"
    ]
