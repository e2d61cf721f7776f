"""`rtprobe run --csv` on the real mock: the samples' CSV keeps its columns and one row
a sample; the summary CSV beside it holds the health figures (client CPU, loop lag,
GC, saturation) and the mock's /health reading, in one row a spreadsheet reads."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from app.core.report.csv import COLUMNS
from app.core.report.summary_csv import HEADER, summary_path
from tests.commands.test_run import rtprobe


def test_csv_carries_the_health_figures_beside_the_samples(tmp_path: Path) -> None:
    samples, report = tmp_path / "run.csv", tmp_path / "run.json"
    out = rtprobe(
        "run", "ws", "mock/echo/ws", "--mock", "--count", "40", "--no-history",
        "--csv", str(samples), "--json", str(report),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    with samples.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0].keys()) == COLUMNS and len(rows) == 40  # unchanged for its readers
    beside = tmp_path / "run.summary.csv"
    assert summary_path(samples) == beside
    with beside.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header, *values = list(reader)
    assert tuple(header) == HEADER and len(values) == 1
    row = dict(zip(header, values[0], strict=True))
    summary = json.loads(report.read_text())
    health, mock = summary["health"], summary["server_health"]
    assert row["sent"] == "40" and int(row["received"]) == summary["received"]
    assert float(row["client_loop_lag_p99_ms"]) == health["loop_lag_p99_ms"]
    assert float(row["client_loop_lag_max_ms"]) == health["loop_lag_max_ms"]
    assert float(row["client_cpu_one_core_pct"]) == health["cpu_one_core"]
    assert int(row["client_gc_count"]) == health["gc_count"]
    assert row["client_saturated"] == str(int(health["saturated"]))
    assert row["client_verdict"] == health["verdict"]
    assert float(row["mock_loop_lag_p99_ms"]) == mock["loop_lag_p99_ms"]
    assert float(row["mock_loop_cpu_pct"]) == mock["cpu"]
    assert row["mock_saturated"] == str(int(mock["saturated"]))


def test_an_unwritable_summary_csv_is_refused_before_the_run(tmp_path: Path) -> None:
    samples = tmp_path / "run.csv"
    (tmp_path / "run.summary.csv").mkdir()  # a directory where the summary would go
    out = rtprobe("run", "ws", "ws://127.0.0.1:9/x", "--no-history", "--csv", str(samples))
    assert out.returncode == 2
    assert "run.summary.csv" in out.stderr and "is a directory" in out.stderr
    assert "Traceback" not in out.stderr and not samples.exists()
