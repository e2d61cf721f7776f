"""The summary CSV's form: its name beside the samples', empty cells for what was not
measured (no mock), booleans as 1/0, and server text defused as in the samples' CSV."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from app.core.health.figures import ClientHealth
from app.core.report.summary_csv import HEADER, summary_path, write_summary_csv
from app.core.summary import Aggregator


def test_the_name_goes_beside_the_samples() -> None:
    assert summary_path("a/run.csv") == Path("a/run.summary.csv")
    assert summary_path("a/run.CSV") == Path("a/run.summary.csv")
    assert summary_path("a/samples") == Path("a/samples.summary.csv")


def test_unmeasured_is_empty_and_text_is_defused(tmp_path: Path) -> None:
    health = ClientHealth(
        wall_s=1.0, cpu_one_core=50.0, cpu_per_core=25.0, loop_cpu=40.0, cores=2,
        loop_lag_wakes=90, loop_lag_p50_ms=0.2, loop_lag_p99_ms=30.0, loop_lag_max_ms=41.0,
        gc_count=3, gc_total_ms=1.5, gc_max_ms=0.9, saturated=True,
        verdict="client saturated: event-loop lag p99 30.0 ms",
    )  # fmt: skip
    summary = replace(Aggregator(transport="ws", target="=cmd|x").summary(), health=health)
    path = tmp_path / "s.summary.csv"
    write_summary_csv(path, summary)
    (row,) = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert tuple(row) == HEADER
    assert row["target"] == "'=cmd|x"
    assert row["client_saturated"] == "1" and row["client_loop_lag_max_ms"] == "41.0"
    assert row["client_verdict"].startswith("client saturated")
    assert all(row[k] == "" for k in HEADER if k.startswith("mock_"))  # no --mock
    assert not (tmp_path / "s.summary.csv.tmp").exists()
