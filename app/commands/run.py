"""`rtprobe run`: the engine headless, with a live progress line, a summary and reports."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from app.commands import findmax, outputs, record_flag
from app.commands.checkpoint import JSON_EVERY_S, Checkpoints, checkpoint_every
from app.commands.flags import FLAGS
from app.commands.signals import StopSignals
from app.commands.summary_table import Progress, format_summary
from app.core import assertions
from app.core.config import RunConfig
from app.core.engine import build
from app.core.engine.build import RunSettings, key_from_env
from app.core.errors import ProbeError, TargetError
from app.core.events import ErrorEvent, Event, Sample, StateChange
from app.core.health.mock_reading import MockWatch
from app.core.network.profile import NETWORK_HELP
from app.core.summary import Aggregator, Summary
from app.core.targets import TRANSPORTS
from app.core.transports.jitter_release import RELEASES

REPORTS = (("--json", "json_out"), ("--csv", "csv_out"), ("--html", "html_out"))
EXIT_CODES = (
    "Exit codes, the same for every transport: 0 ok; 1 a failed --assert, a run that "
    "could not reach its target (connection refused, TLS, credentials refused: no "
    "session ever connected) or a report that could not be written at the end; 2 bad "
    "arguments, all checked before anything is sent (report paths included); 130/143 "
    "stopped by SIGINT/SIGTERM, after the summary and reports were written."
)


def add_parser(sub: Any, types: dict[str, Callable[[str], Any]]) -> None:
    p = sub.add_parser(
        "run",
        help="run a test headless and report",
        description="Send traffic to a realtime endpoint and measure it. TARGET is a URL "
        "(ws://…/realtime, http://…/stream) or a fal app id that may carry a path "
        "(fal-ai/some-app, mock/echo/ws). The key comes from $FAL_KEY (never a flag value).",
        epilog=EXIT_CODES,
    )
    p.add_argument(
        "transport",
        choices=list(TRANSPORTS),
        metavar="TRANSPORT",
        help="realtime | ws | sse | webrtc",
    )
    p.add_argument("target", metavar="TARGET")
    p.add_argument(
        "--payload", default="{}", help="JSON, or @FILE (JSON; raw bytes with --format bytes)"
    )
    p.add_argument("--count", type=types["count"], help="messages in all (default 100)")
    p.add_argument(
        "--duration",
        type=types["seconds"],
        metavar="S",
        help="run for S seconds instead (SSE: a stream still going at the end gets 1 s, "
        "then is cut and timed out)",
    )
    p.add_argument(
        "--rate",
        type=types["seconds"],
        metavar="R",
        help="messages/s in all, open loop, latency from the intended send time "
        "(default: closed loop, one in flight per session)",
    )
    p.add_argument("--concurrency", type=types["count"], default=1, metavar="C", help="sessions")
    p.add_argument(
        "--warmup",
        type=types["count"],
        default=0,
        metavar="N",
        help="messages per session left out of the statistics",
    )
    p.add_argument(
        "--timeout",
        type=types["seconds"],
        default=10.0,
        metavar="S",
        help="a message with no reply after S seconds is timed out; an SSE stream must be "
        "complete within S (default 10)",
    )
    p.add_argument(
        "--mock",
        action="store_true",
        help="start the embedded mock server and resolve app ids on it",
    )
    p.add_argument("--host", help="host for app ids instead of fal.run")
    p.add_argument(
        "--no-jwt",
        action="store_true",
        help="send 'Authorization: Key' instead of fetching a token",
    )
    p.add_argument(
        "--max-buffering", type=types["count"], metavar="N", help="fal max_buffering (1..60)"
    )
    p.add_argument(
        "--compression",
        action="store_true",
        help="offer permessage-deflate (off by default: it is the client's own cost)",
    )
    p.add_argument(
        "--header", action="append", default=[], metavar="NAME:VALUE", help="extra header"
    )
    p.add_argument(
        "--subprotocol", action="append", default=[], help="WebSocket subprotocol to offer"
    )
    p.add_argument(
        "--format",
        dest="fmt",
        choices=["json", "msgpack", "text", "bytes"],
        default="json",
        help="raw WebSocket payload format (default json)",
    )
    p.add_argument(
        "--seq-field",
        default="rtprobe_seq",
        help="field added to each input to match replies ('' to add none)",
    )
    p.add_argument(
        "--unordered",
        action="store_true",
        help="the app may answer out of order: do not infer drops from later replies",
    )
    p.add_argument("--reconnects", type=types["count"], default=3, help="per session (default 3)")
    p.add_argument(
        "--max-message-bytes",
        type=types["count"],
        metavar="N",
        help="largest incoming WebSocket message, SSE line or SSE event (default 64 MiB)",
    )
    p.add_argument("--method", choices=["POST", "GET"], default="POST", help="SSE request method")
    p.add_argument("--json", dest="json_out", metavar="FILE", help="write the summary as JSON")
    p.add_argument("--csv", dest="csv_out", metavar="FILE", help="write every sample as CSV")
    p.add_argument(
        "--html", dest="html_out", metavar="FILE", help="write a self-contained HTML report"
    )
    p.add_argument(
        "--json-every",
        type=checkpoint_every,
        default=JSON_EVERY_S,
        metavar="S",
        help="while running, rewrite the --json file every S seconds (marked partial), so a "
        f"killed run leaves a summary (default {JSON_EVERY_S:g}; 0: only at the end)",
    )
    p.add_argument(
        "--assert",
        dest="asserts",
        action="append",
        default=[],
        metavar="EXPR",
        help="threshold, e.g. 'p99<50ms' or 'errors==0'; exit 1 when one fails",
    )
    record_flag.add_argument(p)
    findmax.add_arguments(p, types)
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.add_argument(
        "--no-history", action="store_true", help="do not store this run in the run history"
    )
    p.add_argument(
        "--history",
        metavar="PATH",
        help="the run history file (default: $RTPROBE_HISTORY, "
        "else the user's data directory); see `rtprobe runs`",
    )
    p.add_argument("--network", default="", metavar="PROFILE", help=NETWORK_HELP)
    p.add_argument(
        "--network-at",
        action="append",
        default=[],
        metavar="T:PROFILE",
        help="WebRTC: change the network at T s from the session's start, repeatable: "
        "'5s:3g' (the client's packets), '12s:mock:none' (the rtprobe mock's side)",
    )
    w = p.add_argument_group("WebRTC (count = frames received; default --duration 10)")
    w.add_argument(
        "--source",
        default="synthetic",
        help="synthetic | file:PATH | camera[:DEVICE] (default synthetic)",
    )
    w.add_argument("--size", default="640x480", help="WxH of the sent video (default 640x480)")
    w.add_argument(
        "--fps", type=types["seconds"], default=30.0, help="sent frame rate (default 30)"
    )
    w.add_argument(
        "--mode",
        choices=["v2v", "generated"],
        help="video-to-video or server-generated (default: from the path)",
    )
    w.add_argument(
        "--signaling",
        choices=["json", "msgpack"],
        help="4a JSON text or 4b msgpack (default: detect from the first frame)",
    )
    w.add_argument(
        "--webrtc-flavour",
        choices=["ws", "realtime", "wma", "wma-rest"],
        help="signaling: WebSocket JSON (4a), realtime msgpack (4b), fal's wma start-session "
        "(4c) or its REST bridge (default: from the target's path)",
    )
    w.add_argument("--data-channel", action="store_true", help="open a data channel")
    w.add_argument(
        "--jitter-release", choices=RELEASES, default="marker", help="when a received frame "
        "leaves the jitter buffer: marker (as browsers do; default) or next-frame (aiortc's)",
    )  # fmt: skip
    w.add_argument(
        "--actions-every",
        type=types["seconds"],
        metavar="S",
        help="generated video: send a cycle of actions every S seconds",
    )


# how each setting is called on this command line, for one-line errors
LABELS = FLAGS


def settings_from_args(args: argparse.Namespace, base_url: str | None) -> RunSettings:
    """The command line as the builder's settings; `@FILE` payloads name a file."""
    from_file = args.payload.startswith("@")
    return RunSettings(
        transport=args.transport,
        target=args.target,
        payload="{}" if from_file else args.payload,
        payload_file=args.payload[1:] if from_file else None,
        payload_format=args.fmt,
        count=args.count,
        duration_s=args.duration,
        rate=args.rate,
        concurrency=args.concurrency,
        warmup=args.warmup,
        timeout_s=args.timeout,
        headers=tuple(args.header),
        subprotocols=tuple(args.subprotocol),
        max_buffering=args.max_buffering,
        compression=args.compression,
        seq_field=args.seq_field,
        ordered=not args.unordered,
        reconnects=args.reconnects,
        max_message_bytes=args.max_message_bytes,
        sse_method=args.method,
        key=key_from_env(),
        use_jwt=not args.no_jwt,
        host=args.host,
        base_url=base_url,
        video_source=args.source,
        video_size=args.size,
        video_fps=args.fps,
        video_mode=args.mode,
        signaling=args.signaling,
        webrtc_flavour=args.webrtc_flavour,
        data_channel=args.data_channel,
        jitter_release=args.jitter_release,
        actions_every_s=args.actions_every,
        network=args.network,
        network_at=tuple(args.network_at),
    )


def build_config(args: argparse.Namespace, base_url: str | None) -> RunConfig:
    return build.build_config(settings_from_args(args, base_url), LABELS)


class Reached:
    """Whether any session ever connected: a run where none did could not reach its
    target, whatever the transport (SSE says "connected" at its first response that was
    not refused, as a WebSocket does once its handshake is accepted)."""

    def __init__(self) -> None:
        self.any = False

    def feed(self, event: Event) -> None:
        if isinstance(event, StateChange) and event.state == "connected":
            self.any = True


@dataclass
class Outcome:
    """What `_execute` hands back to `main`."""

    summary: Summary
    failures: list[str]  # failed assertions, one line each
    write_errors: list[str]  # reports that could not be written at the end
    reached: bool
    interrupted: int  # 128 + the stop signal's number, or 0
    history_warning: str | None = None  # the run could not be stored in the history


def check_outputs(args: argparse.Namespace) -> None:
    """Every report path is writable, before the mock starts or anything is sent."""
    for flag, attr in REPORTS:
        path = getattr(args, attr)
        if path is not None:
            outputs.check(flag, path)
    record_flag.check(args)


async def _execute(args: argparse.Namespace) -> Outcome:
    """Run, write the reports asked for, and say which signal (if any) cut it short."""
    from app.core.engine.run import RunControl, run

    check_outputs(args)
    with StopSignals() as stops:  # first: a signal during the mock's start counts too
        async with AsyncExitStack() as stack:
            base_url = None
            if args.mock:
                from server_mock.process import MockProcess

                # its own process: the mock must not share the measuring loop or the GIL;
                # spawned here, on the main thread, the thread its parent-death signal watches
                mock = MockProcess()
                stack.callback(mock.stop)
                mock.spawn()
                base_url = await asyncio.to_thread(mock.wait_listening)
            config, recorder = record_flag.recording(args, build_config(args, base_url))
            thresholds = [assertions.parse(a) for a in args.asserts]
            mock_watch = MockWatch(base_url)  # the mock's own /health around the run
            await mock_watch.start()
            agg = Aggregator(transport=config.transport, target=config.target.display)
            progress = Progress(agg, enabled=sys.stderr.isatty() and not args.quiet)
            reached = Reached()
            sinks: list[Callable[[Event], None]] = [agg.feed, reached.feed]
            if recorder is not None:
                sinks.append(recorder.feed)
            timeline = None
            writer = None
            if args.csv_out:
                from app.core.report.csv import CsvSampleWriter

                writer = stack.enter_context(CsvSampleWriter(args.csv_out))
                sinks.append(writer.feed)
            if args.html_out or not args.no_history:  # the history keeps per-second series
                from app.core.report.timeline import Timeline

                # only the HTML report plots each sample; the history keeps per-second counts
                timeline = Timeline() if args.html_out else Timeline(capacity=1)
                sinks.append(timeline.feed)

            def emit(event: Event) -> None:
                for sink in sinks:
                    sink(event)
                if isinstance(event, Sample | ErrorEvent):
                    progress.tick()

            checkpoints = Checkpoints(agg, writer, args.json_out, args.json_every)
            checkpoints.start()  # what a kill -9 leaves: the CSV and a JSON checkpoint
            control = RunControl(stops.stop)
            try:
                if not stops.stop.is_set():
                    await stops.finish(run(config, emit, control))
            finally:
                await checkpoints.stop()
                progress.done()
            summary = await mock_watch.attach(agg.summary())
            write_errors = _write_reports(args, summary, timeline, stops.name)
            if (failed := record_flag.finish(args, recorder, control.redactor)) is not None:
                write_errors.append(failed)
            failures = [r for t in thresholds if (r := t.check(summary))]
            history_warning = None
            if not args.no_history:
                history_warning = _store(
                    args, agg, summary, config, timeline, thresholds, reached, stops
                )
        if stops.signum is not None:
            print(
                f"rtprobe run: interrupted by {stops.name}: the summary and reports cover "
                "the run until then",
                file=sys.stderr,
            )
        return Outcome(
            summary, failures, write_errors, reached.any, stops.exit_code, history_warning
        )


def _store(
    args: argparse.Namespace,
    agg: Aggregator,
    summary: Summary,
    config: RunConfig,
    timeline: Any,
    thresholds: list[assertions.Threshold],
    reached: Reached,
    stops: StopSignals,
) -> str | None:
    """This run into the run history; the warning line when it could not be stored."""
    from app.commands.runs import run_state, store_run
    from app.core.history import new_run

    interrupted = stops.name if stops.signum is not None else ""
    state, reason = run_state(summary, reached.any, interrupted)

    def record() -> Any:
        return new_run(
            agg,
            source="cli",
            state=state,
            reason=reason,
            config=config,
            timeline=timeline,
            thresholds=thresholds,
            summary=summary,
        )

    return store_run(args.history, record)


def _write_reports(
    args: argparse.Namespace, summary: Summary, timeline: Any, interrupted: str
) -> list[str]:
    """Write the JSON and HTML reports (the CSV streamed during the run); one failing
    does not stop the other, and neither loses the summary: the errors come back."""
    errors = []
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


def main(args: argparse.Namespace) -> int:
    """Exit codes, one policy for every transport (`EXIT_CODES`): 0 ok; 1 a failed
    assertion, a run that could not reach its target or a report not written; 2 bad
    arguments; 128 + N when signal N (SIGINT 130, SIGTERM 143) ended the run early,
    after the summary and every requested report were written."""
    if args.find_max:  # a search of many runs: app/commands/findmax.py
        return findmax.main(args)
    try:
        outcome = asyncio.run(_execute(args))
    except ProbeError as exc:
        print(f"rtprobe run: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, TargetError) else 1
    except OSError as exc:
        print(
            f"rtprobe run: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return 2
    summary = outcome.summary
    print(format_summary(summary))
    for line in outcome.failures + outcome.write_errors:
        print(line, file=sys.stderr)
    if outcome.history_warning:
        print(outcome.history_warning, file=sys.stderr)
    if outcome.interrupted:
        return outcome.interrupted
    errored = bool(summary.error_events or summary.errors)
    if errored and (summary.sent == 0 or not outcome.reached):
        return 1
    return 1 if outcome.failures or outcome.write_errors else 0
