"""`rtprobe calibrate` end to end: its own mock in its own process, every client
measured for both sizes, ratios against the minimal client and the JSON that says so.
(Figures are for the benchmark's reader; nothing here asserts a speed.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_calibrate_measures_every_client_at_both_sizes(tmp_path: Path) -> None:
    out = tmp_path / "calibrate.json"
    args = ["calibrate", "--count", "60", "--rounds", "2", "--warmup", "10", "--json", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(out.read_text())
    assert report["targets"] == {"p50_ratio": 1.05, "p99_ratio": 1.10}
    for size in ("64B", "64KiB"):
        block = report["results"][size]
        assert block["raw"]["count"] == block["rtprobe"]["count"] == 2 * 60  # warmup left out
        for key in ("p50", "p99", "cpu"):
            assert block["rtprobe_ratio"][key] > 0
        assert block["rtprobe"]["cpu_us_per_round_trip"] > 0
        assert f"{size} payload, closed loop (120 round trips each)" in proc.stdout
    assert proc.stdout.count("rtprobe overhead ") == 2  # a verdict line per size
