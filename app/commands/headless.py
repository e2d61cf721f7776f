"""The set-up every headless command shares (`rtprobe run`, `replay`, `run --find-max`):
the embedded mock in its own process, the sinks a run's events go to (summary, progress
line, CSV, timeline), the final reports, the run history, and the one-line error policy.
One copy, so a fix to any of them reaches every command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from app.commands import outputs
from app.commands.signals import StopSignals
from app.commands.summary_table import Progress
from app.core import assertions, precise_loop
from app.core.config import RunConfig
from app.core.errors import ProbeError, TargetError
from app.core.events import ErrorEvent, Event, Sample, StateChange
from app.core.summary import Aggregator, Summary

T = TypeVar("T")
REPORTS = (("--json", "json_out"), ("--csv", "csv_out"), ("--html", "html_out"))


def check_reports(args: argparse.Namespace, more: tuple[tuple[str, str], ...] = ()) -> None:
    """Every report path is writable (the CSV's summary file beside it too), before the
    mock starts or anything is sent: one line naming the flag otherwise."""
    from app.core.report.summary_csv import summary_path

    for flag, attr in (*REPORTS, *more):
        path = getattr(args, attr, None)
        if path is not None:
            outputs.check(flag, path)
    if getattr(args, "csv_out", None):
        outputs.check("--csv", str(summary_path(args.csv_out)))


async def start_mock(stack: AsyncExitStack) -> str:
    """Spawn the embedded mock (stopped when `stack` closes) and return its base URL.
    Its own process: the mock must not share the measuring loop or the GIL; spawned on
    the main thread, the thread its parent-death signal watches."""
    from server_mock.process import MockProcess

    mock = MockProcess()
    stack.callback(mock.stop)
    mock.spawn()
    return await asyncio.to_thread(mock.wait_listening)


class Reached:
    """Whether any session ever connected: a run where none did could not reach its
    target, whatever the transport (SSE says "connected" at its first response that was
    not refused, as a WebSocket does once its handshake is accepted)."""

    def __init__(self) -> None:
        self.any = False

    def feed(self, event: Event) -> None:
        if isinstance(event, StateChange) and event.state == "connected":
            self.any = True


class Sinks:
    """Where one run's events go: the aggregator, the reached flag, the progress line,
    the CSV (streamed while running), the timeline (for the HTML report and the
    history's per-second series) and any extra sink the command adds."""

    def __init__(
        self, args: argparse.Namespace, stack: AsyncExitStack, transport: str, target: str
    ) -> None:
        self.agg = Aggregator(transport=transport, target=target)
        self.progress = Progress(self.agg, enabled=sys.stderr.isatty() and not args.quiet)
        self.reached = Reached()
        self.sinks: list[Callable[[Event], None]] = [self.agg.feed, self.reached.feed]
        self.writer: Any = None
        self.timeline: Any = None
        if args.csv_out:
            from app.core.report.csv import CsvSampleWriter

            self.writer = stack.enter_context(CsvSampleWriter(args.csv_out))
            self.sinks.append(self.writer.feed)
        if args.html_out or not args.no_history:  # the history keeps per-second series
            from app.core.report.timeline import Timeline

            # only the HTML report plots each sample; the history keeps per-second counts
            self.timeline = Timeline() if args.html_out else Timeline(capacity=1)
            self.sinks.append(self.timeline.feed)

    def add(self, sink: Callable[[Event], None]) -> None:
        self.sinks.append(sink)

    def emit(self, event: Event) -> None:
        for sink in self.sinks:
            sink(event)
        if isinstance(event, Sample | ErrorEvent):
            self.progress.tick()


def write_reports(
    args: argparse.Namespace, summary: Summary, timeline: Any, interrupted: str
) -> list[str]:
    """Write the JSON and HTML reports and the CSV's summary file (its samples streamed
    during the run); one failing does not stop the others, and none loses the summary:
    the errors come back."""
    errors = []
    if args.csv_out:  # the samples streamed; the summary and health figures go beside
        from app.core.report.summary_csv import summary_path, write_summary_csv

        beside = summary_path(args.csv_out)
        try:
            write_summary_csv(beside, summary)
        except OSError as exc:
            errors.append(outputs.failed_write("--csv", str(beside), exc))
    if args.json_out:
        try:
            outputs.write_json(args.json_out, summary, interrupted)
        except OSError as exc:
            errors.append(outputs.failed_write("--json", args.json_out, exc))
    if args.html_out and timeline is not None:
        from app.core.report.html import write_html

        try:
            write_html(args.html_out, summary, timeline)
        except OSError as exc:
            errors.append(outputs.failed_write("--html", args.html_out, exc))
    return errors


def store(
    args: argparse.Namespace,
    sinks: Sinks,
    summary: Summary,
    config: RunConfig,
    thresholds: list[assertions.Threshold],
    stops: StopSignals,
) -> str | None:
    """This run into the run history; the warning line when it could not be stored."""
    from app.commands.runs import run_state, store_run
    from app.core.history import new_run

    interrupted = stops.name if stops.signum is not None else ""
    state, reason = run_state(summary, sinks.reached.any, interrupted)

    def record() -> Any:
        return new_run(
            sinks.agg,
            source="cli",
            state=state,
            reason=reason,
            config=config,
            timeline=sinks.timeline,
            thresholds=thresholds,
            summary=summary,
        )

    return store_run(args.history, record)


def run_main(command: str, work: Callable[[], Awaitable[T]]) -> tuple[T | None, int]:
    """Run `work` on a fresh loop; a ProbeError or an OS error is one line on stderr and
    the exit code (2 for bad arguments or input, 1 for the rest), never a traceback."""
    try:
        return precise_loop.run(_awaited(work)), 0
    except ProbeError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return None, 2 if isinstance(exc, TargetError) else 1
    except OSError as exc:
        where = f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
        print(f"{command}: {where}", file=sys.stderr)
        return None, 2


async def _awaited(work: Callable[[], Awaitable[T]]) -> T:
    return await work()
