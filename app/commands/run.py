"""`rtprobe run`: the engine headless, with a live progress line, a summary and reports."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from app.commands import findmax, headless, record_flag
from app.commands.checkpoint import JSON_EVERY_S, Checkpoints, checkpoint_every
from app.commands.flags import FLAGS
from app.commands.signals import StopSignals
from app.commands.summary_table import format_summary
from app.core import assertions
from app.core.config import RunConfig
from app.core.engine import build
from app.core.engine.build import RunSettings, key_from_env
from app.core.health.mock_reading import MockWatch
from app.core.network.profile import NETWORK_HELP
from app.core.summary import Summary
from app.core.targets import TRANSPORTS
from app.core.transports.jitter_release import RELEASES

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
    p.add_argument(
        "--csv",
        dest="csv_out",
        metavar="FILE",
        help="write every sample as CSV, and the summary with the health figures (CPU, "
        "loop lag, GC, saturation, the mock's /health) beside it as FILE.summary.csv",
    )
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
    headless.check_reports(args)
    record_flag.check(args)


async def _execute(args: argparse.Namespace) -> Outcome:
    """Run, write the reports asked for, and say which signal (if any) cut it short."""
    from app.core.engine.run import RunControl, run

    check_outputs(args)
    with StopSignals() as stops:  # first: a signal during the mock's start counts too
        async with AsyncExitStack() as stack:
            base_url = await headless.start_mock(stack) if args.mock else None
            config, recorder = record_flag.recording(args, build_config(args, base_url))
            thresholds = [assertions.parse(a) for a in args.asserts]
            mock_watch = MockWatch(base_url)  # the mock's own /health around the run
            await mock_watch.start()
            sinks = headless.Sinks(args, stack, config.transport, config.target.display)
            if recorder is not None:
                sinks.add(recorder.feed)
            checkpoints = Checkpoints(sinks.agg, sinks.writer, args.json_out, args.json_every)
            checkpoints.start()  # what a kill -9 leaves: the CSV and a JSON checkpoint
            control = RunControl(stops.stop)
            try:
                if not stops.stop.is_set():
                    await stops.finish(run(config, sinks.emit, control))
            finally:
                await checkpoints.stop()
                sinks.progress.done()
            summary = await mock_watch.attach(sinks.agg.summary())
            write_errors = headless.write_reports(args, summary, sinks.timeline, stops.name)
            if (failed := record_flag.finish(args, recorder, control.redactor)) is not None:
                write_errors.append(failed)
            failures = [r for t in thresholds if (r := t.check(summary))]
            history_warning = None
            if not args.no_history:
                history_warning = headless.store(args, sinks, summary, config, thresholds, stops)
        if stops.signum is not None:
            print(
                f"rtprobe run: interrupted by {stops.name}: the summary and reports cover "
                "the run until then",
                file=sys.stderr,
            )
        return Outcome(
            summary, failures, write_errors, sinks.reached.any, stops.exit_code, history_warning
        )


def main(args: argparse.Namespace) -> int:
    """Exit codes, one policy for every transport (`EXIT_CODES`): 0 ok; 1 a failed
    assertion, a run that could not reach its target or a report not written; 2 bad
    arguments; 128 + N when signal N (SIGINT 130, SIGTERM 143) ended the run early,
    after the summary and every requested report were written."""
    if args.find_max:  # a search of many runs: app/commands/findmax.py
        return findmax.main(args)
    outcome, code = headless.run_main("rtprobe run", lambda: _execute(args))
    if outcome is None:
        return code
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
