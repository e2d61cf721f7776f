"""benchmarks/record_overhead.py with tiny settings: every mode measured, ratios printed,
and a round without samples fails loudly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "record_overhead.py"


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120
    )


def test_a_tiny_run_measures_every_mode(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    done = bench("--count", "30", "--rounds", "1", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert "record vs off (medians of 1 rounds): p50 x" in done.stdout
    report = json.loads(out.read_text())
    assert [r["received"] for m in ("off", "messages", "record") for r in report["results"][m]] == [
        30.0
    ] * 3


def test_a_round_without_samples_exits_non_zero() -> None:
    done = bench("--count", "0", "--rounds", "1")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: ")
