"""`rtprobe run --find-max`: the highest open-loop rate the target sustains.

Each step is an ordinary open-loop run of `--find-max-step-seconds` at one rate (the
same sessions, payload and target as the command line gives); the search itself is
app/core/findmax.py. It stops at the chosen p99, at failed messages, at throughput
short of the rate, or when the client's (or the mock's) own saturation makes the
figures the measuring side's: the answer says which.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from app.commands import headless, outputs
from app.commands.signals import StopSignals
from app.core.errors import ConnectError, TargetError
from app.core.findmax import Limits, Result, Step, answer_text, check_limits, find_max
from app.core.health.mock_reading import MockWatch
from app.core.report.model import Summary
from app.core.sessions import registry

_LATENCY = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(ms|s|us)?\s*$")
_UNIT_MS = {"ms": 1.0, "s": 1000.0, "us": 0.001, None: 1.0}
UNSUPPORTED = (("--csv", "csv_out"), ("--record", "record"), ("--count", "count"))


def latency_ms(text: str) -> float:
    """`50ms`, `0.2s`, `800us` or a bare number of milliseconds."""
    match = _LATENCY.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"not a latency above 0 (e.g. 50ms, 0.2s): {text!r}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


def add_arguments(p: Any, types: dict[str, Callable[[str], Any]]) -> None:
    g = p.add_argument_group(
        "find-max (ramp the open-loop rate, then bisect, to the highest sustainable one)"
    )
    g.add_argument(
        "--find-max",
        action="store_true",
        help="search the highest rate whose round-trip p99 stays within --find-max-p99, "
        "with no failed messages and neither side saturated; --json/--html get the steps "
        "and the knee plot",
    )
    g.add_argument(
        "--find-max-p99", type=latency_ms, default=50.0, metavar="LATENCY", help="default 50ms"
    )
    g.add_argument(
        "--find-max-steps",
        type=types["count"],
        default=10,
        metavar="N",
        help="at most N steps in all (default 10): the search's time is bounded by N x "
        "--find-max-step-seconds",
    )
    g.add_argument("--find-max-step-seconds", type=types["seconds"], default=3.0, metavar="S")
    g.add_argument(
        "--find-max-start",
        type=types["seconds"],
        metavar="R",
        help="first rate, msg/s (default --rate, else 100); each ramp step doubles it",
    )
    g.add_argument(
        "--find-max-rate",
        type=types["seconds"],
        default=1_000_000.0,
        metavar="R",
        help="never ask more than R msg/s",
    )


def limits_from(args: argparse.Namespace) -> Limits:
    limits = Limits(
        p99_ms=args.find_max_p99,
        start_rate=next((r for r in (args.find_max_start, args.rate) if r is not None), 100.0),
        max_steps=args.find_max_steps,
        max_rate=args.find_max_rate,
        # below one message per second per session a step holds too few messages to
        # judge a p99 (and each session still sends its first one)
        min_rate=float(args.concurrency),
    )
    try:
        check_limits(limits)
    except ValueError as exc:
        raise TargetError(f"--find-max: {exc}") from None
    if not args.find_max_step_seconds or args.find_max_step_seconds <= 0:
        raise TargetError("--find-max-step-seconds must be above 0")
    return limits


def step_args(args: argparse.Namespace, rate: float) -> argparse.Namespace:
    """The command line of one step: open loop at `rate` for the step's length."""
    return argparse.Namespace(
        **{**vars(args), "rate": rate, "duration": args.find_max_step_seconds, "count": None}
    )


def step_from(summary: Summary, rate: float, step_s: float) -> Step:
    duration = max(summary.duration_s, step_s)  # replies per second of the step asked
    health, server = summary.health, summary.server_health
    return Step(
        rate=rate,
        achieved=round(summary.received / duration, 3) if duration else 0.0,
        p50_ms=summary.rtt_ms.p50,
        p99_ms=summary.rtt_ms.p99,
        failed=summary.errors + summary.dropped + summary.timeouts + summary.error_events,
        client_saturated=bool(health and health.saturated),
        server_saturated=bool(server and server.saturated),
        client_lag_p99_ms=health.loop_lag_p99_ms if health else 0.0,
        send_lag_p99_ms=summary.send_lag_ms.p99 if summary.send_lag_ms else 0.0,
    )


def step_line(step: Step) -> str:
    return (
        f"  {step.phase:<6} {step.rate:>10,.1f} msg/s  achieved {step.achieved:>10,.1f}/s  "
        f"p50 {step.p50_ms:8.3f} ms  p99 {step.p99_ms:8.3f} ms  client lag p99 "
        f"{step.client_lag_p99_ms:6.2f} ms  {step.failure or 'pass'}"
    )


def result_text(result: Result, target: str) -> str:
    return answer_text(result, target)


def check_args(args: argparse.Namespace) -> None:
    for flag, attr in UNSUPPORTED:
        if getattr(args, attr, None):
            raise TargetError(f"{flag} does not go with --find-max (each step is its own run)")
    if registry.fact(args.transport, "measures_frames"):  # video: no message rate to ramp
        raise TargetError(f"--find-max ramps a message rate: not for {args.transport}")
    for flag, attr in (("--json", "json_out"), ("--html", "html_out")):
        if getattr(args, attr):
            outputs.check(flag, getattr(args, attr))


class Kept:
    """What the history stores of a search: the step at the highest passing rate (else
    the last step measured), with its aggregator, summary and configuration; the other
    steps keep only their figures (the `Step`), so memory stays one step's."""

    def __init__(self) -> None:
        self.pending: tuple[Any, Summary, Any] | None = None
        self.best: tuple[Any, Summary, Any] | None = None
        self.best_rate = 0.0
        self.last: tuple[Any, Summary, Any] | None = None
        self.first_started: float | None = None

    def measured(self, agg: Any, summary: Summary, config: Any) -> None:
        self.pending = (agg, summary, config)
        if self.first_started is None:
            self.first_started = agg.started_wall

    def judged(self, step: Step) -> None:
        self.last = self.pending
        if step.passed and step.rate >= self.best_rate:
            self.best, self.best_rate = self.pending, step.rate

    @property
    def chosen(self) -> tuple[Any, Summary, Any] | None:
        return self.best or self.last


async def search(args: argparse.Namespace) -> tuple[Result, str, int, str | None]:
    """Run the search; (result, target shown, exit code of a stop signal or 0, the
    history's warning line or None)."""
    from app.commands.run import build_config
    from app.core.engine.run import run_collect

    check_args(args)
    limits = limits_from(args)
    kept = Kept()
    with StopSignals() as stops:
        async with AsyncExitStack() as stack:
            base_url = await headless.start_mock(stack) if args.mock else None
            first = build_config(step_args(args, limits.start_rate), base_url)  # bad args: now
            target = first.target.display

            async def measure(rate: float) -> Step | None:
                if stops.stop.is_set():
                    return None
                config = build_config(step_args(args, rate), base_url)
                watch = MockWatch(base_url)
                await watch.start()
                agg = await run_collect(config, stop=stops.stop)
                if stops.stop.is_set():
                    return None
                summary = await watch.attach(agg.summary())
                if not summary.received and summary.errors_by_message:
                    why = next(iter(summary.errors_by_message))  # nothing came back: say why
                    raise ConnectError(f"find-max step at {rate:g} msg/s got no reply: {why}")
                kept.measured(agg, summary, config)
                return step_from(summary, rate, args.find_max_step_seconds)

            def shown(step: Step) -> None:
                kept.judged(step)
                print(step_line(step), flush=True)

            result = await find_max(measure, limits, on_step=shown)
        warning = None
        if not args.no_history and kept.chosen is not None:
            warning = store_search(args, result, kept, stops.name if stops.signum else "")
        return result, target, stops.exit_code, warning


def store_search(args: argparse.Namespace, result: Result, kept: Kept, stopped: str) -> str | None:
    """The search into the run history, as one run of kind find-max (its row the step
    kept, its steps apart); the warning line when it could not be stored."""
    from app.commands.runs import store_run
    from app.core.history import new_run

    assert kept.chosen is not None
    agg, summary, config = kept.chosen
    state = "stopped" if stopped else "finished"
    reason = f"stopped by {stopped}" if stopped else ""

    def record() -> Any:
        run = new_run(agg, source="cli", state=state, reason=reason, config=config, summary=summary)
        settings = {**run.settings, "find_max": asdict(result.limits)}
        settings.update(rate=None, duration_s=args.find_max_step_seconds)
        started = datetime.fromtimestamp(kept.first_started or agg.started_wall, UTC)
        return replace(run, find_max=result, settings=settings, started=started, series={})

    return store_run(args.history, record)


def main(args: argparse.Namespace) -> int:
    from app.core.report.knee import render_knee_html, write_knee, write_knee_json

    outcome, code = headless.run_main("rtprobe run", lambda: search(args))
    if outcome is None:
        return code
    result, target, interrupted, warning = outcome
    print(result_text(result, target))
    if warning:
        print(warning, file=sys.stderr)
    failed = False
    for flag, path, write in (
        ("--json", args.json_out, lambda p: write_knee_json(p, result, target)),
        ("--html", args.html_out, lambda p: write_knee(p, render_knee_html(result, target))),
    ):
        if path:
            try:
                write(path)
            except OSError as exc:
                print(outputs.failed_write(flag, path, exc), file=sys.stderr)
                failed = True
    if interrupted:
        return interrupted
    return 1 if failed else 0
