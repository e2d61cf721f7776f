"""`rtprobe replay FILE`: send a recording's inputs again (at their recorded spacing, or
faster), measure the replies as `rtprobe run` does (the same summary, reports, history
and `--assert`), and diff each reply against the recorded one, so a model update can be
checked against yesterday's behaviour. A WebRTC session is run again with its recorded
settings and actions, and its per-frame figures compared with the recording's. Exit 1
when replies differ (unless `--warn-only`), as for a failed assertion."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import urlsplit

from app.commands import headless, outputs
from app.commands.signals import StopSignals
from app.commands.speed import speed_arg
from app.commands.summary_table import format_summary
from app.core import assertions
from app.core.config import RunConfig
from app.core.engine.build import key_from_env
from app.core.errors import TargetError
from app.core.inputs import parse_headers
from app.core.record import har
from app.core.record.compare import DiffReport, compare
from app.core.record.diff import Tolerance
from app.core.record.plan import Plan, build, retarget
from app.core.record.replay import Replies, replay
from app.core.targets import Target
from app.core.transports.wsbase import Credentials, WsOptions


def tolerance_arg(text: str) -> Tolerance:
    try:
        return Tolerance.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a tolerance (e.g. 0.001, or 1% for relative)"
        ) from None


def add_parser(sub: Any, types: dict[str, Callable[[str], Any]]) -> None:
    p = sub.add_parser(
        "replay",
        help="resend a recording's inputs, measure, and diff replies against it",
        description="Replay a HAR recording (from `rtprobe run --record`, the GUI's Record, "
        "or a browser's dev tools): each WebSocket connection and SSE request is sent "
        "again with its recorded inputs and spacing, measured as `rtprobe run` measures, "
        "and each reply is compared with the recorded one; each WebRTC session is run "
        "again with its recorded settings and actions, its frame figures compared.",
        epilog="Exit codes: 0 ok; 1 replies differ (unless --warn-only), a failed --assert, "
        "or a target never reached; 2 a bad file or bad arguments; 130/143 a signal.",
    )
    p.add_argument("file", metavar="FILE", help="the HAR file")
    p.add_argument(
        "--target",
        metavar="URL",
        help="send to this server instead (http://host:port keeps the recorded paths; "
        "a URL with a path replaces the recorded URL)",
    )
    p.add_argument("--mock", action="store_true", help="start the embedded mock and target it")
    p.add_argument(
        "--speed",
        type=speed_arg,
        default=1.0,
        metavar="1|2|max",
        help="the recorded spacing divided by this; max: each input as soon as the "
        "previous reply came (default 1)",
    )
    p.add_argument(
        "--transport",
        choices=["realtime", "ws"],
        help="how to replay WebSocket entries (default: rtprobe's note, else the path)",
    )
    p.add_argument(
        "--tolerance",
        type=tolerance_arg,
        default=Tolerance(),
        metavar="X",
        help="floats within X count as equal (absolute; 1%% for relative; default 0)",
    )
    p.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="FIELD",
        help="do not compare this field: a dotted path from the top (result.0.id, * for "
        "any step) or a bare name at any depth; repeatable",
    )
    p.add_argument(
        "--warn-only", action="store_true", help="report differing replies, exit 0 all the same"
    )
    p.add_argument(
        "--timeout",
        type=types["seconds"],
        default=10.0,
        metavar="S",
        help="a reply after S seconds is timed out (default 10)",
    )
    p.add_argument("--header", action="append", default=[], metavar="NAME:VALUE")
    p.add_argument("--json", dest="json_out", metavar="FILE", help="the summary as JSON")
    p.add_argument(
        "--csv",
        dest="csv_out",
        metavar="FILE",
        help="every sample as CSV (the summary and health figures as FILE.summary.csv)",
    )
    p.add_argument("--html", dest="html_out", metavar="FILE", help="an HTML report")
    p.add_argument("--diff-json", metavar="FILE", help="every differing reply as JSON")
    p.add_argument(
        "--assert",
        dest="asserts",
        action="append",
        default=[],
        metavar="EXPR",
        help="threshold, e.g. 'p99<50ms'; exit 1 when one fails",
    )
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.add_argument("--no-history", action="store_true", help="do not store it in the history")
    p.add_argument("--history", metavar="PATH", help="the run history file")


def read_plan(path: str, transport: str | None) -> Plan:
    """The file's plan; TargetError (one line) for an unreadable or unusable file."""
    try:
        size = os.path.getsize(path)
        if size > har.MAX_HAR_CHARS:
            raise TargetError(f"{path!r}: {size // 2**20} MiB is more than a HAR file may be")
        with open(path, "rb") as f:
            text = f.read()
    except OSError as exc:
        raise TargetError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    try:
        plan = build(har.parse(text), transport)
    except har.HarError as exc:
        raise TargetError(f"{path!r}: {exc}") from None
    if not plan.inputs:
        skipped = "; ".join(f"{n} {why}" for why, n in plan.skipped.items())
        raise TargetError(
            f"{path!r} has no inputs to replay" + (f" (left out: {skipped})" if skipped else "")
        )
    return plan


def first_target(plan: Plan) -> Target:
    """The replay's first connection, or WebRTC session: what the summary is labelled by."""
    if plan.connections:
        return Target(plan.connections[0].transport, plan.connections[0].url)
    return Target("webrtc", plan.media[0].url)


def base_config(args: argparse.Namespace, plan: Plan) -> RunConfig:
    headers = parse_headers(tuple(args.header))
    return RunConfig(
        target=first_target(plan),
        timeout_s=args.timeout,
        credentials=Credentials(key=key_from_env(), use_jwt=False),
        headers=headers,
        ws=WsOptions(open_timeout_s=max(args.timeout, 1.0)),
        record_messages=True,
    )


def check_target(args: argparse.Namespace) -> None:
    """--target and --mock name one server each; a target is an http(s) or ws(s) URL."""
    if args.target is None:
        return
    if args.mock:
        raise TargetError("--mock and --target both name the server: give one")
    parts = urlsplit(args.target)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        raise TargetError(
            f"--target {args.target!r} is not a URL (http://host:port, ws://host:port/path)"
        )


async def _execute(args: argparse.Namespace) -> tuple[Any, DiffReport, list[str], int, bool]:
    check_target(args)
    headless.check_reports(args, (("--diff-json", "diff_json"),))
    plan = read_plan(args.file, args.transport)
    thresholds = [assertions.parse(a) for a in args.asserts]
    with StopSignals() as stops:
        async with AsyncExitStack() as stack:
            target = await headless.start_mock(stack) if args.mock else args.target
            for conn in plan.connections:
                conn.url = retarget(conn.url, target)
            for media in plan.media:
                media.url = retarget(media.url, target)
            config = base_config(args, plan)
            n = len(plan.connections) + len(plan.media)
            shown = args.target or f"{args.file} ({n} connections)"
            sinks = headless.Sinks(args, stack, config.transport, shown)
            replies = Replies(media_from=len(plan.connections))
            sinks.add(replies.feed)
            try:
                if not stops.stop.is_set():
                    await stops.finish(replay(plan, config, sinks.emit, stops.stop, args.speed))
            finally:
                sinks.progress.done()
            summary = sinks.agg.summary()
            figures = [replies.media(len(plan.connections) + k) for k in range(len(plan.media))]
            report = compare(plan, replies.by_session, args.tolerance, tuple(args.ignore), figures)
            errors = headless.write_reports(args, summary, sinks.timeline, stops.name)
            if args.diff_json:
                import json

                try:
                    with open(args.diff_json, "w", encoding="utf-8") as f:
                        json.dump(report.as_dict(), f, indent=2, default=str)
                except OSError as exc:
                    errors.append(outputs.failed_write("--diff-json", args.diff_json, exc))
            errors += [r for t in thresholds if (r := t.check(summary))]
            warning = None
            if not args.no_history:
                warning = headless.store(args, sinks, summary, config, thresholds, stops)
            if warning:
                print(warning, file=sys.stderr)
        for why, n in plan.skipped.items():
            print(f"rtprobe replay: left out {n} {why}", file=sys.stderr)
        return summary, report, errors, stops.exit_code, sinks.reached.any


def main(args: argparse.Namespace) -> int:
    outcome, code = headless.run_main("rtprobe replay", lambda: _execute(args))
    if outcome is None:
        return code
    summary, report, errors, interrupted, reached = outcome
    print(format_summary(summary))
    print("\n".join(report.lines()))
    for line in errors:
        print(line, file=sys.stderr)
    if interrupted:
        return interrupted
    if not reached or errors:
        return 1
    if report.differs and not args.warn_only:
        return 1
    return 0
