"""The highest open-loop rate a target sustains: a step ramp, then bisection.

Pure: the measuring is a function handed in (`measure(rate) -> Step`), so the search
is tested with a fake one and the CLI hands it real runs. A step passes when its round
trip p99 stays within the limit, it had no failed messages, it received at least
`min_achieved` of the rate asked, and neither the client nor the mock was saturated
(then its p99 would be the measuring side's queueing, not the server's). The ramp
multiplies the rate by `factor` until a step fails; bisection then halves the gap
between the best passing rate and the lowest failing one until it is within
`precision` of the failing rate (and never below `min_rate`). At most `max_steps`
steps run, so the search's time is bounded by `max_steps` times the step's length,
whatever the target does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Literal

Phase = Literal["ramp", "bisect"]

# why a step failed, and so (for the lowest failing rate) why the search stopped
CLIENT = "client saturated"
SERVER_MOCK = "server (mock) saturated"
P99 = "server p99"
ERRORS = "errors"
SHORT = "throughput short of the rate"
# why a search ended without a failing step to bound it
MAX_RATE = "reached --find-max-rate"
OUT_OF_STEPS = "out of steps while still ramping"
STOPPED = "stopped"


@dataclass(frozen=True)
class Step:
    """One step's measurement (filled by `measure`; the search sets phase and verdict)."""

    rate: float  # msg/s asked
    achieved: float  # replies received per second
    p50_ms: float
    p99_ms: float
    failed: int = 0  # errors + timeouts + drops
    client_saturated: bool = False
    server_saturated: bool = False
    client_lag_p99_ms: float = 0.0
    send_lag_p99_ms: float = 0.0  # how late the client itself sent (open loop)
    phase: Phase = "ramp"
    failure: str = ""  # "" when the step passed

    @property
    def passed(self) -> bool:
        return not self.failure


@dataclass(frozen=True)
class Limits:
    p99_ms: float = 50.0
    start_rate: float = 100.0
    factor: float = 2.0
    max_steps: int = 10
    max_rate: float = 1_000_000.0
    precision: float = 0.1  # stop bisecting when the gap is within this share of the rate
    min_achieved: float = 0.95
    min_rate: float = 0.0  # bisection goes no lower (too few messages to judge a p99)


@dataclass(frozen=True)
class Result:
    best_rate: float  # the highest rate that passed (0 when none did)
    stopped_by: str  # the failure at the lowest failing rate, or why the search ended
    steps: tuple[Step, ...] = field(default_factory=tuple)
    limits: Limits = field(default_factory=Limits)

    @property
    def best(self) -> Step | None:
        passed = [s for s in self.steps if s.passed and s.rate == self.best_rate]
        return passed[-1] if passed else None


def answer_text(result: Result, target: str = "") -> str:
    """The search's answer in one line (the CLI, `runs show` and the GUI print it)."""
    best = result.best
    at = f" (p99 {best.p99_ms:.3f} ms, {best.achieved:,.1f} replies/s)" if best else ""
    return (
        f"find-max{f' {target}' if target else ''}: highest sustainable rate "
        f"{result.best_rate:,.1f} msg/s{at}; stopped by: {result.stopped_by} (p99 limit "
        f"{result.limits.p99_ms:g} ms, {len(result.steps)} of {result.limits.max_steps} steps)"
    )


def judge(step: Step, limits: Limits) -> str:
    """Why `step` failed ("" when it passed); saturation first: it voids the p99."""
    if step.client_saturated:
        return CLIENT
    if step.server_saturated:
        return SERVER_MOCK
    if step.failed:
        return ERRORS
    if step.p99_ms > limits.p99_ms:
        return P99
    if step.achieved < limits.min_achieved * step.rate:
        return SHORT
    return ""


def check_limits(limits: Limits) -> None:
    """Raises ValueError naming the first limit no search can run with."""
    if not limits.p99_ms > 0:
        raise ValueError("the p99 limit must be above 0 ms")
    if not 0 < limits.start_rate <= limits.max_rate:
        raise ValueError("the start rate must be above 0 and at most the maximum rate")
    if not limits.factor > 1:
        raise ValueError("the ramp factor must be above 1")
    if limits.max_steps < 1:
        raise ValueError("at least one step")
    if not 0 < limits.precision < 1:
        raise ValueError("the precision must be between 0 and 1")


async def find_max(
    measure: Callable[[float], Awaitable[Step | None]],
    limits: Limits,
    on_step: Callable[[Step], None] | None = None,
) -> Result:
    """Ramp, then bisect; `measure` returning None (the user stopped) ends the search."""
    check_limits(limits)
    steps: list[Step] = []
    good = 0.0
    bad: float | None = None
    bad_why = ""

    async def run(rate: float, phase: Phase) -> Step | None:
        measured = await measure(rate)
        if measured is None:
            return None
        step = replace(measured, rate=rate, phase=phase)
        step = replace(step, failure=judge(step, limits))
        steps.append(step)
        if on_step is not None:
            on_step(step)
        return step

    rate = limits.start_rate
    while len(steps) < limits.max_steps:
        step = await run(rate, "ramp")
        if step is None:
            return Result(good, STOPPED, tuple(steps), limits)
        if not step.passed:
            bad, bad_why = rate, step.failure
            break
        good = rate
        if rate >= limits.max_rate:
            return Result(good, MAX_RATE, tuple(steps), limits)
        rate = min(rate * limits.factor, limits.max_rate)
    if bad is None:
        return Result(good, OUT_OF_STEPS, tuple(steps), limits)
    while len(steps) < limits.max_steps and (bad - good) > limits.precision * bad:
        mid = (good + bad) / 2
        if mid < limits.min_rate:
            break
        step = await run(mid, "bisect")
        if step is None:
            return Result(good, STOPPED, tuple(steps), limits)
        if step.passed:
            good = mid
        else:
            bad, bad_why = mid, step.failure
    return Result(good, bad_why, tuple(steps), limits)
