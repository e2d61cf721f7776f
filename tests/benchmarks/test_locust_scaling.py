"""benchmarks/locust_scaling.py: a round's row from its report, and no samples, no row."""

from __future__ import annotations

import math

import pytest

from benchmarks.common import NoSamples
from benchmarks.locust_scaling import figures, line


def _report(received: int, sent: int, duration_s: float = 2.0) -> dict:
    return {
        "sent": sent,
        "received": received,
        "duration_s": duration_s,
        "rtt_ms": {"p50": 0.5, "p99": 3.25},
        "send_lag_ms": {"p99": 0.75},
    }


def test_a_round_reads_rate_latency_and_capacity_per_cpu_second() -> None:
    row = figures(_report(2_000, 2_010), [40.0, 60.0], "Locust, 2 worker(s)")
    assert (row["workers"], row["msgs_per_s"], row["failed"]) == (2, 1000.0, 10)
    assert (row["p50_ms"], row["p99_ms"], row["send_lag_p99_ms"]) == (0.5, 3.25, 0.75)
    assert row["msgs_per_cpu_s"] == 1000.0  # 1000 msg/s on one whole core in all
    assert "Locust, 2 worker(s)" in line(row) and "40 60" in line(row)


def test_a_round_that_received_nothing_fails_loudly_naming_it() -> None:
    with pytest.raises(NoSamples, match="Locust, 1 worker"):
        figures(_report(0, 500), [50.0], "Locust, 1 worker(s)")


def test_no_cpu_measured_gives_no_capacity_not_a_division_error() -> None:
    assert math.isnan(figures(_report(10, 10), [0.0], "rtprobe run alone")["msgs_per_cpu_s"])
