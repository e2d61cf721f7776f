"""benchmarks/proxy_overhead.py runs end to end with tiny settings; no samples fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "proxy_overhead.py"


def test_prints_ratios_and_writes_json(tmp_path: Path) -> None:
    out_file = tmp_path / "out.json"
    args = ["--count", "30", "--warmup", "5", "--rounds", "2", "--json", str(out_file)]
    out = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "proxy / direct: p50 x" in out.stdout
    data = json.loads(out_file.read_text())
    assert data["summary"]["direct"]["n"] == data["summary"]["proxy"]["n"] == 60
    assert len(data["rounds"]) == 2 and data["ratios"]["p50"] > 0


def test_a_round_without_samples_fails_loudly() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--count", "0", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert "error: round 1 direct: no samples were measured" in out.stderr
