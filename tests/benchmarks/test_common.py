"""The benchmarks' shared helpers: percentiles from core's histogram, and a round that
measured nothing failing loudly instead of printing made-up numbers."""

from __future__ import annotations

import math
import os

import pytest

from benchmarks import common
from benchmarks.common import CpuSampler, NoSamples


def test_a_round_without_samples_raises_and_names_the_round() -> None:
    with pytest.raises(NoSamples, match="round trips, 64B, mock: no samples"):
        common.latency_summary([], "round trips, 64B, mock")


def test_run_turns_no_samples_into_one_error_line_and_exit_status_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def main() -> int:
        common.latency_summary([], "capacity, mock, 50 sessions")
        return 0

    assert common.run(main) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: capacity, mock, 50 sessions: no samples were measured, "
        "so there is nothing to report"
    ]


def test_run_passes_a_normal_exit_status_through() -> None:
    assert common.run(lambda: 0) == 0
    assert common.run(lambda: 3) == 3


def test_latency_summary_is_core_histogram_percentiles() -> None:
    values_ns = [i * 1_000_000 for i in range(1, 101)]  # 1..100 ms
    s = common.latency_summary(values_ns, "r")
    assert s.count == 100
    assert s.p50 == pytest.approx(50, rel=0.001)
    assert s.p99 == pytest.approx(99, rel=0.001)
    assert s.max == pytest.approx(100, rel=0.001)
    fields = common.summary_fields(s)
    assert fields["n"] == 100 and fields["p99_9_ms"] == s.p999 and fields["mean_ms"] == s.mean


def test_a_side_figure_without_samples_is_nan_not_an_error() -> None:
    assert math.isnan(common.percentile_ms([], 99))
    assert common.percentile_ms([2_000_000], 99) == pytest.approx(2.0)


def test_ratio_is_nan_without_a_baseline() -> None:
    assert common.ratio(3.0, 2.0) == 1.5
    assert math.isnan(common.ratio(1.0, 0.0))
    assert math.isnan(common.ratio(math.nan, 1.0))
    assert common.ratio_line("mock/baseline", {"p50": 1.234, "p99": math.nan}) == (
        "mock/baseline: p50 x1.23, p99 x-"
    )


def test_json_is_strict() -> None:
    assert common.json_clean({"a": [math.nan, 1.0], "b": math.inf}) == {"a": [None, 1.0], "b": None}


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="CPU sampling reads /proc")
def test_cpu_sampler_counts_this_process() -> None:
    sampler = CpuSampler([os.getpid()])
    a = sampler.mark()
    end = a.wall_s + 0.3
    x = 0
    while sampler.mark().wall_s < end:  # bounded: 0.3 s of busy work to measure
        x += sum(range(1000))
    usage = CpuSampler.usage(a, sampler.mark())
    assert usage.wall_s >= 0.3
    assert 0 < usage.procs_pct[0] <= 100 * os.cpu_count()
    assert usage.self_pct == pytest.approx(usage.procs_pct[0], abs=10)
