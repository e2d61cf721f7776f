"""One way from what a user asked for to a `RunConfig`, for the CLI and the GUI alike.

`RunSettings` holds the run as typed (plain text and numbers, no Qt, no argparse);
`build_config` checks every field before anything connects and returns the frozen
`RunConfig` the engine runs, or raises `TargetError` with one line that names the
bad field. The front ends only translate their widgets or flags into `RunSettings`
and pick the words their users know for each field (`labels`: `--count` on the
command line, `count` in the GUI), so a form and a command line that ask for the
same run get equal configs, and a bad value is refused the same way in both.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core import inputs
from app.core.codecs.ws import PAYLOAD_FORMATS
from app.core.config import RunConfig, WebRtcParams
from app.core.errors import DEFAULT_MAX_MESSAGE_BYTES, TargetError
from app.core.network.runtarget import checked_profile, checked_schedule, with_network
from app.core.sessions import registry
from app.core.targets import Target, resolve
from app.core.transports.base import DEFAULT_SEQ_FIELD
from app.core.transports.jitter_release import RELEASES
from app.core.transports.wsbase import Credentials, WsOptions

KEY_ENV = "FAL_KEY"
DEFAULT_COUNT = 100
SSE_METHODS = ("POST", "GET")
VIDEO_MODES = ("v2v", "generated")
SIGNALING = ("json", "msgpack")
WEBRTC_FLAVOURS = ("ws", "realtime", "wma", "wma-rest")
VIDEO_SOURCES = ("synthetic", "sample", "file", "camera")
MAX_BUFFERING = (1, 60)
FPS = (1.0, 120.0)
MIN_MESSAGE_BYTES = 1024  # a smaller cap would refuse fal's own control frames


@dataclass(frozen=True)
class RunSettings:
    """A run as the user gave it. Unset means the default (`None`), never zero:
    `rate=None` is closed loop, and 0 for a count, a duration or a rate is refused
    (a zero that silently meant "default" is how `--rate 0` became closed loop)."""

    transport: str
    target: str
    payload: Any = "{}"  # text, parsed by payload_format; any other value is used as is
    payload_file: str | None = None  # read the payload from this file instead
    payload_format: str = "json"  # json | msgpack | text | bytes (raw ws only)
    count: int | None = None  # messages in all; None with no duration: DEFAULT_COUNT
    duration_s: float | None = None
    rate: float | None = None  # messages/s in all; None: closed loop
    concurrency: int = 1
    warmup: int = 0
    timeout_s: float = 10.0
    headers: str | tuple[str, ...] = ()  # "Name: value" items, or one "A: 1; B: 2" line
    subprotocols: tuple[str, ...] = ()
    max_buffering: int | None = None
    compression: bool = False
    seq_field: str | None = DEFAULT_SEQ_FIELD  # "" or None: add none
    ordered: bool = True
    reconnects: int = 3
    # largest incoming WebSocket message, SSE line or SSE event (bytes); None: the default
    max_message_bytes: int | None = None
    sse_method: str = "POST"
    key: str | None = None  # `key_from_env()` on the command line, the keyring in the GUI
    use_jwt: bool = True
    host: str | None = None  # app ids go to this host instead of fal.run
    base_url: str | None = None  # app ids go to this server (the embedded mock)
    record_messages: bool = False
    # WebRTC
    video_source: str = "synthetic"  # synthetic | sample | file:PATH | camera[:DEVICE]
    video_size: str = "640x480"
    video_fps: float = 30.0
    video_mode: str | None = None  # v2v | generated; None: from the path
    signaling: str | None = None  # json | msgpack; None: detect
    webrtc_flavour: str | None = None  # ws | realtime | wma | wma-rest; None: from the target
    data_channel: bool = False
    actions_every_s: float | None = None
    video_preview: bool = False
    record_pixels: bool = False  # WebRTC, with record_messages: thumbnails of received frames
    jitter_release: str = "marker"  # marker | next-frame
    network: str = ""  # a preset or profile (app/core/network/profile.py); "": clean
    network_at: tuple[str, ...] = ()  # WebRTC: "5s:3g", "12s:mock:none" (network/changes.py)


def key_from_env() -> str | None:
    """The key a headless run uses; it is never a flag value (shells keep history)."""
    return os.environ.get(KEY_ENV) or None


def label_of(name: str, labels: Mapping[str, str] | None = None) -> str:
    """How a field is called where the user typed it."""
    return (labels or {}).get(name) or name.removesuffix("_s").replace("_", " ")


def build_config(s: RunSettings, labels: Mapping[str, str] | None = None) -> RunConfig:
    """Check every field of `s` and return its run; TargetError names the first bad one."""

    def name(field: str) -> str:
        return label_of(field, labels)

    _check_numbers(s, name)
    if s.count is not None and s.duration_s is not None:
        raise TargetError(f"give {name('count')} or {name('duration_s')}, not both")
    if s.payload_format not in PAYLOAD_FORMATS:
        raise TargetError(_choice(name("payload_format"), s.payload_format, PAYLOAD_FORMATS))
    if s.sse_method not in SSE_METHODS:
        raise TargetError(_choice(name("sse_method"), s.sse_method, SSE_METHODS))
    target = with_network(_target(s, name), s.network, name("network"))
    count, duration = s.count, s.duration_s
    if count is None and duration is None:
        duration = registry.transport(s.transport).default_duration_s
        count = None if duration else DEFAULT_COUNT
    read_headers = inputs.parse_header_text if isinstance(s.headers, str) else inputs.parse_headers
    cap = s.max_message_bytes or DEFAULT_MAX_MESSAGE_BYTES
    ws = WsOptions(
        max_size=cap,
        max_buffering=s.max_buffering,
        compression=s.compression,
        subprotocols=tuple(s.subprotocols),
        open_timeout_s=max(s.timeout_s, 1.0),
    )
    return RunConfig(
        target=target,
        payload=payload_of(s, labels),
        count=count,
        duration_s=duration,
        rate=s.rate,
        concurrency=s.concurrency,
        warmup=s.warmup,
        timeout_s=s.timeout_s,
        credentials=Credentials(key=s.key, use_jwt=s.use_jwt),
        headers=_named(name("headers"), read_headers, s.headers),
        ws=ws,
        ws_format=s.payload_format,  # checked against PAYLOAD_FORMATS above
        seq_field=s.seq_field or None,
        ordered=s.ordered,
        reconnects=s.reconnects,
        sse_method=s.sse_method,
        max_event_bytes=cap,
        record_messages=s.record_messages,
        webrtc=webrtc_params(s, labels),
    )


def webrtc_params(s: RunSettings, labels: Mapping[str, str] | None = None) -> WebRtcParams:
    """The video half of a run, checked here so the engine can trust every value."""

    def name(field: str) -> str:
        return label_of(field, labels)

    width, height = inputs.parse_size(s.video_size, name("video_size"))
    if not (FPS[0] <= s.video_fps <= FPS[1]):
        raise TargetError(
            f"{name('video_fps')} {s.video_fps:g} must be between {FPS[0]:g} and {FPS[1]:g}"
        )
    if s.video_mode is not None and s.video_mode not in VIDEO_MODES:
        raise TargetError(_choice(name("video_mode"), s.video_mode, VIDEO_MODES))
    if s.signaling is not None and s.signaling not in SIGNALING:
        raise TargetError(_choice(name("signaling"), s.signaling, SIGNALING))
    if s.jitter_release not in RELEASES:
        raise TargetError(_choice(name("jitter_release"), s.jitter_release, RELEASES))
    if s.webrtc_flavour is not None and s.webrtc_flavour not in WEBRTC_FLAVOURS:
        raise TargetError(_choice(name("webrtc_flavour"), s.webrtc_flavour, WEBRTC_FLAVOURS))
    kind, _, arg = s.video_source.partition(":")
    kind = kind.strip().lower()
    takes_arg = {"file": True, "camera": bool(arg)}  # synthetic and sample take none
    if kind not in VIDEO_SOURCES or bool(arg) != takes_arg.get(kind, False):
        raise TargetError(
            f"{name('video_source')} {s.video_source!r}: use synthetic, sample, file:PATH, "
            "camera or camera:DEVICE"
        )
    return WebRtcParams(
        source=s.video_source,
        width=width,
        height=height,
        fps=s.video_fps,
        mode=s.video_mode,
        signaling=s.signaling,
        flavour=s.webrtc_flavour,
        data_channel=s.data_channel,
        action_every_s=s.actions_every_s,
        video_preview=s.video_preview,
        record_pixels=s.record_pixels,
        jitter_release=s.jitter_release,
        network=s.network if not checked_profile(s.network, name("network")).clean else "",
        network_at=checked_schedule(s.network_at, name("network_at")),
    )


def _check_numbers(s: RunSettings, name: Callable[[str], str]) -> None:
    """Counts are whole and at least 1 (warm-up and reconnects at least 0); durations,
    rates and timeouts finite and above 0. Zero is refused, not read as 'default'."""
    at_least = {
        "count": 1,
        "concurrency": 1,
        "warmup": 0,
        "reconnects": 0,
        "max_message_bytes": MIN_MESSAGE_BYTES,
    }
    for field, low in at_least.items():
        value = getattr(s, field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise TargetError(f"{name(field)} {value!r} is not a whole number")
        if value < low:
            raise TargetError(f"{name(field)} {value} must be at least {low}")
    for field in ("duration_s", "rate", "timeout_s", "actions_every_s"):
        value = getattr(s, field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TargetError(f"{name(field)} {value!r} is not a number")
        if not math.isfinite(value) or value <= 0:
            hint = " (leave it out for closed loop)" if field == "rate" else ""
            raise TargetError(f"{name(field)} {value:g} must be above 0{hint}")
    low, high = MAX_BUFFERING
    if s.max_buffering is not None and not low <= s.max_buffering <= high:
        raise TargetError(
            f"{name('max_buffering')} {s.max_buffering} must be between {low} and {high}"
        )


def _target(s: RunSettings, name: Callable[[str], str]) -> Target:
    """A bad URL is one line naming it: urllib raises a bare ValueError for `http://[::1`."""
    try:
        return resolve(s.transport, s.target, host=s.host, base_url=s.base_url)
    except ValueError as exc:
        bad = s.target.strip()
        raise TargetError(f"{name('target')} {bad!r} is not a valid URL: {exc}") from None


def payload_of(s: RunSettings, labels: Mapping[str, str] | None = None) -> Any:
    """The payload `s` sends, checked as `build_config` checks it (the GUI checks as you type)."""

    def name(field: str) -> str:
        return label_of(field, labels)

    label = name("payload")
    fmt = s.payload_format
    if s.payload_file is not None:
        path = Path(s.payload_file)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise TargetError(f"cannot read payload file {str(path)!r}: {exc.strerror}") from None
        value: Any = raw if fmt == "bytes" else None
        if value is None:
            text = raw.decode("utf-8", errors="replace")
            value = inputs.parse_payload(text, fmt, f"payload file {str(path)!r}")
    elif isinstance(s.payload, str):
        value = inputs.parse_payload(s.payload, "json" if fmt == "bytes" else fmt, label)
    else:
        value = s.payload
    if fmt == "bytes" and not isinstance(value, bytes | bytearray):
        raise TargetError(f"{label}: a bytes payload must be raw bytes, read from a file")
    sends_body = s.sse_method != "GET"  # a GET stream (SSE only) drops the body
    if registry.fact(s.transport, "object_payload") and sends_body and not isinstance(value, dict):
        raise TargetError(f"{label} must be a JSON object for {s.transport}, not {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _named(label: str, parse: Callable[[Any], Any], value: Any) -> Any:
    """Run a parser whose one-line error does not say which field it was."""
    try:
        return parse(value)
    except TargetError as exc:
        raise TargetError(f"{label}: {exc}") from None


def _choice(label: str, value: object, choices: tuple[str, ...]) -> str:
    return f"{label} {value!r}: use {' or '.join(choices)}"
