"""The open-loop benchmarks' logic: the capacity search (ramp, then bisection), a step
with no samples failing loudly, and one real tiny round of each client against the mock
(numbers are printed by the benchmarks, never asserted here)."""

from __future__ import annotations

import pytest

from benchmarks.common import MockProcess, NoSamples
from benchmarks.open_loop_capacity import Search
from benchmarks.open_loop_rounds import Round, round_once

pytestmark = pytest.mark.timeout(120)


def step(rate: float, lag_p99_ms: float, lost: int = 0) -> Round:
    figures = {"p50": 0.1, "p99": lag_p99_ms, "p999": lag_p99_ms, "max": lag_p99_ms}
    return Round("bare", rate, figures, figures, 100, lost)


def test_the_search_ramps_by_doubling_then_bisects_to_the_precision() -> None:
    s = Search("bare", start=1000, max_rate=64000, precision=0.1)
    capacity = 5000  # a client that holds up to 5,000 msg/s
    tried = []
    while (rate := s.next_rate()) is not None:
        tried.append(rate)
        assert len(tried) < 20  # bounded
        s.record(step(rate, 0.5 if rate <= capacity else 3.0))
    assert tried[:4] == [1000, 2000, 4000, 8000]
    assert capacity * 0.9 <= s.held <= capacity
    assert s.failed is not None and (s.failed - s.held) / s.held <= 0.1


def test_a_lost_message_fails_a_step_and_nothing_below_a_failed_start_is_searched() -> None:
    s = Search("rtprobe", start=1000, max_rate=64000, precision=0.1)
    assert s.record(step(1000, 0.2, lost=1)) is None  # a first failure: measured again
    assert s.next_rate() == 1000
    assert s.record(step(1000, 0.2, lost=1)) is False
    assert s.held == 0.0
    assert s.next_rate() is None


def test_one_failure_of_a_rate_is_measured_again_before_it_counts() -> None:
    """A neighbour's burst fails one step: the rate is tried once more, and held then
    it is held, so the search goes on above it."""
    s = Search("rtprobe", start=1000, max_rate=64000, precision=0.1)
    s.record(step(1000, 0.2))
    assert s.next_rate() == 2000
    assert s.record(step(2000, 3.0)) is None
    assert s.next_rate() == 2000 and s.failed is None
    assert s.record(step(2000, 0.2)) is True
    assert s.next_rate() == 4000 and s.held == 2000
    assert [st["measured_again"] for st in s.steps] == [False, True, False]


def test_the_ramp_stops_at_the_highest_rate_allowed() -> None:
    s = Search("bare", start=1000, max_rate=3000, precision=0.1)
    s.record(step(1000, 0.1))
    s.record(step(2000, 0.1))
    assert s.next_rate() is None
    assert s.held == 2000


def test_a_step_that_measures_nothing_raises_no_samples() -> None:
    with MockProcess() as base, pytest.raises(NoSamples, match="bare at 10 msg/s"):
        # every message of the one session is warm-up: nothing is left to measure
        round_once("bare", base.replace("http://", "ws://"), 10, 1, 0.3, 1000)


@pytest.mark.parametrize("client", ["bare", "rtprobe"])
def test_one_tiny_round_of_each_client_measures_both_figures(client: str) -> None:
    with MockProcess() as base:
        r = round_once(client, base.replace("http://", "ws://"), 200, 4, 0.5, 2)
    assert r.sent > 0 and r.lost == 0
    assert r.rtt["p50"] > 0 and r.send_lag["max"] >= r.send_lag["p50"] >= 0
