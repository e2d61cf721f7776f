"""The `rtprobe` command: the GUI by default, `mock` and `demo` headless."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

from app import __version__, startup
from app.commands.speed import speed_arg
from app.core import faultschema
from app.core.network.profile import NETWORK_HELP

N = TypeVar("N", int, float)


def _not_negative(kind: Callable[[str], N], what: str) -> Callable[[str], N]:
    """An argparse type: `kind(text)`, refused when it does not read as `what` or is < 0."""

    def parse(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
        return value

    return parse


_non_negative = _not_negative(float, "a number")
_count = _not_negative(int, "a whole number")


def _positive_seconds(text: str) -> float:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 seconds")
    return value


def _port(text: str) -> int:
    value = _count(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"port {value} is out of range 0..65535")
    return value


class _Parser(argparse.ArgumentParser):
    """Bad arguments get one line naming what was wrong, not a page of usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rtprobe",
        description="Test and profile realtime AI endpoints: fal realtime, WebSocket, SSE, WebRTC. "
        "With no command, opens the desktop app with its embedded mock server.",
    )
    parser.add_argument("--version", action="version", version=f"rtprobe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument(
        "session_file",
        nargs="?",
        metavar="SESSION_FILE",
        help="a session file to open at start (else the last session)",
    )
    gui.add_argument("--no-mock", action="store_true", help="do not start the embedded mock")
    gui.add_argument("--quit-after", type=_non_negative, metavar="S", help=argparse.SUPPRESS)

    mock = sub.add_parser("mock", help="run the mock server (all four transports, fault injection)")
    mock.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    mock.add_argument(
        "--port", type=_port, default=8765, help="port (0 picks a free one; default 8765)"
    )
    mock.add_argument(
        "--key", help="demand this key (Authorization: Key …) or a token issued for it"
    )
    _add_fault_flags(mock)
    mock.add_argument(
        "--toxic",
        action="append",
        default=[],
        metavar="SPEC",
        type=_toxic_spec,
        help="byte-stream toxics on every connection (repeatable), e.g. "
        "'latency:latency=50,jitter=10;bandwidth:rate=100' (docs/network.md)",
    )
    mock.add_argument(
        "--network", default="", metavar="PROFILE", type=_network_spec, help=NETWORK_HELP
    )
    mock.add_argument(
        "--max-message-bytes",
        type=_count,
        default=16 * 1024 * 1024,
        help="largest accepted WebSocket message (default 16 MiB)",
    )
    mock.add_argument(
        "--session-timeout",
        type=_non_negative,
        default=60.0,
        metavar="S",
        help="idle realtime sessions end with TIMEOUT after S seconds",
    )
    mock.add_argument("--timings", action="store_true", help="send x-fal-message timings frames")
    mock.add_argument(
        "--from",
        dest="recording",
        metavar="FILE",
        help="serve a HAR recording: its replies for its inputs, at its paths and timing",
    )
    mock.add_argument(
        "--from-speed",
        type=speed_arg,
        default=argparse.SUPPRESS,  # absent unless given: it needs --from
        metavar="X|max",
        help="the recording's delays divided by X (max: none; default 1)",
    )
    mock.add_argument(
        "--marker-release",
        choices=["on", "off"],
        default="on",
        help="WebRTC apps: release a received video frame on its RTP marker bit, as browsers "
        "do (on, default), or when the next frame begins, aiortc's own (off: +1 frame "
        "interval); a connection may override it with ?jitter_release=marker|next-frame",
    )
    mock.add_argument(
        "--drop-stale",
        choices=["on", "off"],
        default="on",
        help="WebRTC apps: when frames wait that the app could not keep up with, answer the "
        "newest and drop the older ones, counted in /health (on, default, as a realtime "
        "server does), or queue them all (off); per connection ?drop_stale=on|off",
    )
    mock.add_argument(
        "--token-ttl",
        type=_positive_seconds,
        metavar="S",
        help="tokens from /tokens/ expire after at most S seconds (tests token refresh)",
    )
    mock.add_argument(
        "--wma-keepalive",
        type=_positive_seconds,
        default=15.0,
        metavar="S",
        help="mock/wma: SSE keepalive comment interval (default 15)",
    )
    mock.add_argument(
        "--wma-heartbeat-timeout",
        type=_positive_seconds,
        default=30.0,
        metavar="S",
        help="mock/wma REST bridge: a session ends after S s without a heartbeat (default 30)",
    )
    mock.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    from app.commands import calibrate as calibrate_command
    from app.commands import describe as describe_command
    from app.commands import replay as replay_command
    from app.commands import run as run_command
    from app.commands import runs as runs_command

    types = {"count": _count, "seconds": _non_negative}
    from app.commands import locust as locust_command

    run_command.add_parser(sub, types)
    runs_command.add_parser(sub, types)
    replay_command.add_parser(sub, types)
    calibrate_command.add_parser(sub, types)
    describe_command.add_parser(sub, types)
    locust_command.add_parser(sub)
    from app.commands import proxy as proxy_command

    proxy_command.add_parser(sub)

    demo = sub.add_parser(
        "demo", help="headless demo: embedded mock + a short test of each transport"
    )
    demo.add_argument("--count", type=_count, default=200, help="round trips per transport")
    return parser


def _add_fault_flags(mock: argparse.ArgumentParser) -> None:
    """One flag per field of the fault schema: --latency-ms, --drop, … (its help, unit,
    bounds and default), checked by the same rules as the query and /_mock/faults."""
    faults = mock.add_argument_group(
        "faults", "the server's defaults; a connection's query may override each (?drop=0.1)"
    )
    units = {"ms": ("MS", "ms"), "probability": ("P", "0..1")}
    for f in faultschema.fault_fields():
        metavar, unit = units.get(f.unit, ("N", ""))  # counts say what they count in `help`
        notes = [unit] if unit else []
        if f.zero:
            notes.append(f"0: {f.zero}")
        if f.default is not None:
            notes.append(f"default {f.default:g}")
        faults.add_argument(
            f.flag,
            dest=f.name,
            type=_fault_value(f),
            default=f.default,
            metavar=metavar if f.unit else f.name.upper(),
            help=f.help + (f" ({'; '.join(notes)})" if notes else ""),
        )


def _fault_value(f: faultschema.FaultField) -> Callable[[str], float | int]:
    def parse(text: str) -> float | int:
        try:
            return faultschema.parse_text(f, text)
        except faultschema.FaultParamError as exc:
            raise argparse.ArgumentTypeError(f"{exc.shown} {exc.problem}") from None

    return parse


def _network_spec(text: str) -> str:
    from app.core.network.profile import parse_profile

    try:
        parse_profile(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _toxic_spec(text: str) -> list[object]:
    from app.core.network.spec import parse_spec
    from app.core.network.toxics import ToxicError

    try:
        return list(parse_spec(text))
    except ToxicError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _mock_config(args: argparse.Namespace):  # -> MockConfig, imported lazily
    from server_mock import MockConfig

    return MockConfig(
        host=args.host,
        port=args.port,
        key=args.key,
        max_message_bytes=args.max_message_bytes,
        session_timeout_s=args.session_timeout,
        timings=args.timings,
        recording=args.recording,
        recording_speed=getattr(args, "from_speed", 1.0),
        toxics=[t for spec in args.toxic for t in spec],
        jitter_release="marker" if args.marker_release == "on" else "next-frame",
        drop_stale=args.drop_stale == "on",
        token_ttl_s=args.token_ttl,
        wma_keepalive_s=args.wma_keepalive,
        wma_heartbeat_timeout_s=args.wma_heartbeat_timeout,
        network=args.network,
        faults=faultschema.FaultConfig(
            **{f.name: getattr(args, f.name) for f in faultschema.fault_fields()}
        ),
    )


async def _serve_mock(args: argparse.Namespace) -> int:
    from app.core import lifeline
    from server_mock import MockServer

    if hasattr(args, "from_speed") and not args.recording:
        print("rtprobe mock: --from-speed needs --from FILE", file=sys.stderr)
        return 2
    lifeline.from_env()  # started by rtprobe (run --mock, the GUI): end when it dies
    server = MockServer(_mock_config(args), log_level=args.log_level)
    try:
        base = await server.start()
    except OSError as exc:
        print(
            f"rtprobe mock: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    except ValueError as exc:  # a recording (--from) that cannot be served
        print(f"rtprobe mock: --from {exc}", file=sys.stderr)
        return 2
    _tune_gc_for_serving()
    from app.commands.signals import StopSignals

    try:
        with StopSignals() as stops:  # SIGINT and SIGTERM, even when SIGINT was ignored
            print(f"listening on {base}", flush=True)
            print(f"WebRTC jitter release: {server.config.jitter_release}", flush=True)
            print(f"WebRTC drop stale: {'on' if server.config.drop_stale else 'off'}", flush=True)
            await stops.stop.wait()
    finally:
        await server.stop()
    return 0  # a signal is how a server is asked to end: a clean stop is a success


def _tune_gc_for_serving() -> None:
    """Measured (benchmarks/mock_echo.py): at ~600 sessions x 10 msg/s the mock's full
    collections pause it 27-50 ms and p99 passes 20 ms at half a core. Freezing what
    start-up allocated and collecting less often removes those pauses."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def _has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True  # the user chose a platform (offscreen, xcb, …)
    if sys.platform != "linux":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # the GUI's engine process, in a frozen bundle
    startup.mark("cli")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["locust"]:  # Locust parses its own flags (and rtprobe's, from the plugin)
        from app.commands import locust as locust_command

        return locust_command.main(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "websockets", "aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    command = args.command or "gui"
    try:
        if command == "mock":
            return asyncio.run(_serve_mock(args))
        if command == "run":
            from app.commands import run as run_command

            return run_command.main(args)
        if command == "replay":
            from app.commands import replay as replay_command

            return replay_command.main(args)
        if command == "runs":
            from app.commands import runs as runs_command

            return runs_command.main(args)
        if command == "describe":
            from app.commands import describe as describe_command

            return describe_command.main(args)
        if command == "calibrate":
            from app.commands import calibrate as calibrate_command

            return calibrate_command.main(args)
        if command == "proxy":
            from app.commands import proxy as proxy_command

            return proxy_command.main(args)
        if command == "demo":
            from app.demo import run_demo

            return asyncio.run(run_demo(args.count))
        if not _has_display():
            print(
                "rtprobe: no display found (DISPLAY is not set); running the headless demo "
                "against the embedded mock server instead",
                flush=True,
            )
            from app.demo import run_demo

            return asyncio.run(run_demo())
        from app.gui.launch import run_gui

        return run_gui(
            mock=not getattr(args, "no_mock", False),
            quit_after_s=getattr(args, "quit_after", None),
            session_file=getattr(args, "session_file", None),
        )
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: one line, no traceback
        print(f"rtprobe: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
