"""rtprobe's flags on Locust's command line, and the `RunConfig` each user runs.

Locust sends every option it does not know itself from the master to its workers with
the spawn message, so these flags are given once, on the master (or the single
process). Names that Locust already uses (`--host`, `--html`, `--json`, `--csv`) are not
reused: rtprobe's reports are `--report-json/-csv/-html`, and the host for app ids is
`--app-host`. One Locust user is one rtprobe session, so `--rate` is per user.
"""

from __future__ import annotations

import argparse
from typing import Any

from app.commands.flags import FLAGS
from app.core.config import RunConfig
from app.core.engine import build
from app.core.engine.build import RunSettings, key_from_env
from app.core.errors import TargetError
from app.core.targets import TRANSPORTS

# a user's session runs until Locust stops it; the engine wants a count or a duration
USER_DURATION_S = 7 * 86_400.0
REPORT_EVERY_S = 5.0

# the flags as `rtprobe run` names them, but the target is a flag here, not TARGET
LABELS = {**FLAGS, "target": "--target"}


def add_arguments(parser: Any) -> None:
    """Locust's `init_command_line_parser` hook: rtprobe's options, in their own group."""
    g = parser.add_argument_group("rtprobe (each Locust user is one rtprobe session)")
    g.add_argument(
        "--transport",
        choices=list(TRANSPORTS),
        default="realtime",
        help="realtime | ws | sse | webrtc (default realtime)",
    )
    g.add_argument(
        "--target",
        default="",
        help="URL or fal app id (default: Locust's --host). The key comes from $FAL_KEY",
    )
    g.add_argument("--app-host", default=None, help="host for app ids instead of fal.run")
    g.add_argument(
        "--mock-url",
        default=None,
        help="resolve app ids on this rtprobe mock (http://HOST:PORT) instead of fal.run",
    )
    g.add_argument("--payload", default="{}", help="JSON, or @FILE")
    g.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="messages/s per user, open loop, latency from the intended send time "
        "(default 0: closed loop, one message in flight per user)",
    )
    g.add_argument("--timeout", type=float, default=10.0, help="per message, seconds")
    g.add_argument(
        "--format",
        dest="rtprobe_format",
        choices=["json", "msgpack", "text", "bytes"],
        default="json",
        help="raw WebSocket payload format",
    )
    g.add_argument("--header", action="append", default=[], help="NAME:VALUE, repeatable")
    g.add_argument("--no-jwt", action="store_true", help="send 'Authorization: Key'")
    g.add_argument("--max-buffering", type=int, default=None, help="fal max_buffering (1..60)")
    g.add_argument("--reconnects", type=int, default=3, help="per user session")
    g.add_argument("--method", choices=["POST", "GET"], default="POST", help="SSE method")
    g.add_argument("--source", default="synthetic", help="WebRTC video source")
    g.add_argument("--size", default="640x480", help="WebRTC WxH")
    g.add_argument("--fps", type=float, default=30.0, help="WebRTC frame rate")
    g.add_argument("--mode", choices=["v2v", "generated"], default=None, help="WebRTC mode")
    g.add_argument("--signaling", choices=["json", "msgpack"], default=None)
    g.add_argument("--webrtc-flavour", choices=["ws", "realtime", "wma", "wma-rest"], default=None)
    g.add_argument("--report-json", default="", help="the merged rtprobe JSON summary")
    g.add_argument("--report-html", default="", help="the merged rtprobe HTML report")
    g.add_argument(
        "--report-csv",
        default="",
        help="every sample of every worker as one CSV, written by the master "
        "(the columns of rtprobe run --csv)",
    )
    g.add_argument(
        "--report-every",
        type=float,
        default=REPORT_EVERY_S,
        help=f"rewrite the JSON and HTML reports (partial) every S seconds "
        f"(default {REPORT_EVERY_S:g})",
    )
    g.add_argument(
        "--assert",
        dest="asserts",
        action="append",
        default=[],
        help="rtprobe threshold on the merged result, e.g. 'p99<50ms'; sets the exit code",
    )


def _opt(options: argparse.Namespace | None, name: str, default: Any) -> Any:
    value = getattr(options, name, None) if options is not None else None
    return default if value is None else value


def settings_from_options(
    options: argparse.Namespace | None, host: str | None = None, transport: str | None = None
) -> RunSettings:
    """One user's run: `transport` fixed by a user class, or `--transport`."""
    payload = str(_opt(options, "payload", "{}"))
    from_file = payload.startswith("@")
    rate = float(_opt(options, "rate", 0.0))
    return RunSettings(
        transport=transport or str(_opt(options, "transport", "realtime")),
        target=str(_opt(options, "target", "") or host or ""),
        payload="{}" if from_file else payload,
        payload_file=payload[1:] if from_file else None,
        payload_format=str(_opt(options, "rtprobe_format", "json")),
        duration_s=USER_DURATION_S,
        rate=rate if rate > 0 else None,
        concurrency=1,
        timeout_s=float(_opt(options, "timeout", 10.0)),
        headers=tuple(_opt(options, "header", [])),
        max_buffering=_opt(options, "max_buffering", None),
        reconnects=int(_opt(options, "reconnects", 3)),
        sse_method=str(_opt(options, "method", "POST")),
        key=key_from_env(),
        use_jwt=not _opt(options, "no_jwt", False),
        host=_opt(options, "app_host", None),
        base_url=_opt(options, "mock_url", None),
        video_source=str(_opt(options, "source", "synthetic")),
        video_size=str(_opt(options, "size", "640x480")),
        video_fps=float(_opt(options, "fps", 30.0)),
        video_mode=_opt(options, "mode", None),
        signaling=_opt(options, "signaling", None),
        webrtc_flavour=_opt(options, "webrtc_flavour", None),
    )


def config_from_options(
    options: argparse.Namespace | None, host: str | None = None, transport: str | None = None
) -> RunConfig:
    """The checked config; TargetError names the bad flag in one line."""
    settings = settings_from_options(options, host, transport)
    if not settings.target:
        raise TargetError("give --target (a URL or a fal app id) or Locust's --host")
    return build.build_config(settings, LABELS)
