"""The find-max search with a fake measurement: its steps, its bounds, its answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from app.core import findmax
from app.core.findmax import Limits, Result, Step, find_max, judge


def fake(p99: Callable[[float], float], saturated_above: float = float("inf")):
    asked: list[float] = []

    async def measure(rate: float) -> Step:
        asked.append(rate)
        return Step(
            rate=rate,
            achieved=rate,
            p50_ms=1.0,
            p99_ms=p99(rate),
            client_saturated=rate > saturated_above,
        )

    return measure, asked


def knee_at(knee: float) -> Callable[[float], float]:
    return lambda rate: 5.0 if rate <= knee else 100.0


def search(measure, **limits: float) -> Result:
    return asyncio.run(find_max(measure, Limits(**limits)))  # type: ignore[arg-type]


def check_logic(result: Result) -> None:
    """What every search must hold: bounded, monotonic, and its answer the best pass."""
    assert 1 <= len(result.steps) <= result.limits.max_steps
    passed = [s.rate for s in result.steps if s.passed]
    failed = [s.rate for s in result.steps if not s.passed]
    assert result.best_rate == (max(passed) if passed else 0.0)
    assert all(f > result.best_rate for f in failed)
    ramp = [s.rate for s in result.steps if s.phase == "ramp"]
    assert ramp == sorted(ramp) and len(set(ramp)) == len(ramp)
    good, bad = 0.0, float("inf")
    for s in result.steps:  # each bisection step lies inside the bracket the steps so far left
        if s.phase == "bisect":
            assert good < s.rate < bad
        if s.passed:
            good = max(good, s.rate)
        else:
            bad = min(bad, s.rate)


def test_ramp_then_bisect_converges_on_the_knee() -> None:
    measure, asked = fake(knee_at(1000))
    result = search(measure, start_rate=100, max_steps=12, p99_ms=50, precision=0.05)
    check_logic(result)
    assert [s.rate for s in result.steps if s.phase == "ramp"] == [100, 200, 400, 800, 1600]
    assert 950 <= result.best_rate <= 1000
    assert result.stopped_by == findmax.P99
    assert asked == [s.rate for s in result.steps]


def test_client_saturation_stops_the_search_and_says_so() -> None:
    measure, _ = fake(lambda rate: 1.0, saturated_above=500)
    result = search(measure, start_rate=100, max_steps=10)
    check_logic(result)
    assert result.stopped_by == findmax.CLIENT
    assert 400 <= result.best_rate <= 500


def test_steps_are_bounded_whatever_the_target() -> None:
    measure, asked = fake(lambda rate: 1.0)
    result = search(measure, start_rate=100, max_steps=3)
    assert len(asked) == 3 and result.stopped_by == findmax.OUT_OF_STEPS
    assert result.best_rate == 400
    measure, asked = fake(knee_at(123))
    result = search(measure, start_rate=100, max_steps=4, precision=0.001)
    assert len(asked) == 4  # bisection stops at the step limit, not at its precision
    check_logic(result)


def test_max_rate_caps_the_ramp() -> None:
    measure, asked = fake(lambda rate: 1.0)
    result = search(measure, start_rate=100, max_rate=300, max_steps=10)
    assert asked == [100, 200, 300] and result.stopped_by == findmax.MAX_RATE
    assert result.best_rate == 300


def test_a_first_step_that_fails_bisects_towards_zero() -> None:
    measure, _ = fake(knee_at(30))
    result = search(measure, start_rate=100, max_steps=8)
    check_logic(result)
    assert result.steps[0].failure == findmax.P99
    assert 0 < result.best_rate <= 30


def test_a_stopped_measurement_ends_the_search() -> None:
    calls = 0

    async def measure(rate: float) -> Step | None:
        nonlocal calls
        calls += 1
        return None if calls == 3 else Step(rate, rate, 1.0, 1.0)

    result = asyncio.run(find_max(measure, Limits(start_rate=10, max_steps=10)))
    assert result.stopped_by == findmax.STOPPED and len(result.steps) == 2
    assert result.best_rate == 20


def test_judge_puts_saturation_before_the_p99() -> None:
    limits = Limits(p99_ms=10)
    assert judge(Step(100, 100, 1, 500, client_saturated=True), limits) == findmax.CLIENT
    assert judge(Step(100, 100, 1, 500, server_saturated=True), limits) == findmax.SERVER_MOCK
    assert judge(Step(100, 100, 1, 500, failed=1), limits) == findmax.ERRORS
    assert judge(Step(100, 100, 1, 500), limits) == findmax.P99
    assert judge(Step(100, 50, 1, 5), limits) == findmax.SHORT
    assert judge(Step(100, 99, 1, 5), limits) == ""


@pytest.mark.parametrize(
    "limits",
    [
        Limits(p99_ms=0),
        Limits(start_rate=0),
        Limits(start_rate=10, max_rate=5),
        Limits(factor=1),
        Limits(max_steps=0),
        Limits(precision=0),
    ],
)
def test_limits_no_search_can_use_are_refused(limits: Limits) -> None:
    measure, asked = fake(lambda rate: 1.0)
    with pytest.raises(ValueError):
        asyncio.run(find_max(measure, limits))
    assert asked == []


def test_bisection_never_goes_below_the_minimum_rate() -> None:
    measure, asked = fake(lambda rate: 100.0)  # nothing passes
    result = search(measure, start_rate=100, max_steps=10, min_rate=20)
    check_logic(result)
    assert asked == [100, 50, 25] and result.best_rate == 0.0
    assert result.stopped_by == findmax.P99
