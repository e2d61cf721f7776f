"""What a recording asks a replay to do, pure: HAR entries in, the connections and
requests to replay (with their inputs, when to send them, and the replies recorded for
them) out. No I/O; `app.core.record.replay` runs a plan.

- A WebSocket entry is one connection: its sent frames are the inputs (with their time
  after the recording's first entry), its received frames the recorded replies (fal's
  `x-fal-message` notices left out: they report time, not behaviour). Its transport is
  rtprobe's `_rtprobeTransport`, else `realtime` for a path ending in `/realtime`, else
  `ws` (a browser's recording).
- A WebRTC session (its entries: one per connection) cannot be replayed frame for frame
  (an SDP offer is good once, and the media is the server's to make), so it is run again: a
  `MediaRun` with the recorded settings (`_rtprobeSettings`: size, fps, mode,
  signaling, duration…; guessed from the frames for a file without them) and the
  recorded actions at their times after the first received frame, whose per-frame
  figures (`MediaFigures`) are compared with the recording's. Plain HTTP entries are
  left out.
- SSE entries are grouped by session (rtprobe's) or URL (a browser's): each request's
  body is an input, its events the recorded reply (each an `SseValue`: its data, type
  and id, which the diff compares).
- `seq_field` is rtprobe's sequence field when the recorded inputs carry it: the replay
  numbers its own inputs in it and matches replies by it. Otherwise inputs go out
  byte for byte as recorded and replies are matched in order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from app.core.codecs.fal_frames import is_fal_frame
from app.core.record import har
from app.core.record.diff import SseValue, decode_frame
from app.core.sessions import registry
from app.core.transports.base import DEFAULT_SEQ_FIELD

DROPPED_QUERY = ("fal_jwt_token",)  # a recorded token is masked and expired anyway


@dataclass(frozen=True, slots=True)
class Input:
    offset_s: float  # after the recording's start
    data: str | bytes  # the frame as recorded (SSE: the request body, JSON text)
    value: Any  # what it decodes to


@dataclass
class Connection:
    """One WebSocket connection, or one session's SSE requests, to replay."""

    transport: str  # realtime | ws | sse
    url: str
    offset_s: float  # when it opened, after the recording's start
    inputs: list[Input] = field(default_factory=list)
    replies: list[Any] = field(default_factory=list)  # decoded; SSE: a list of SseValue each
    seq_field: str | None = None
    method: str = "POST"
    source: str = ""  # which entries it came from, for messages ("entry 3")


@dataclass(frozen=True)
class MediaFigures:
    """A WebRTC session's per-frame figures, from its recorded or replayed frames."""

    frames_in: int = 0
    frames_out: int = 0
    fps_in: float | None = None  # over the span from the first to the last frame
    fps_out: float | None = None
    frame_latency_ms: tuple[float, ...] = ()  # v2v: sent -> received, per fresh frame
    action_latency_ms: tuple[float, ...] = ()  # generated: action -> first frame showing it
    actions: int = 0  # sent
    size_in: str = ""  # the received frames' most common size

    @classmethod
    def of(
        cls,
        frames: list[tuple[float, str, float | None, str]],
        actions: list[tuple[float, float | None]],
    ) -> MediaFigures:
        """From (time s, "in"|"out", latency ms or None, "WxH" or "") per frame and (time s,
        latency ms or None) per action."""
        ins = [f for f in frames if f[1] == "in"]
        outs = [f for f in frames if f[1] == "out"]
        sizes: dict[str, int] = {}
        for f in ins:
            if f[3]:
                sizes[f[3]] = sizes.get(f[3], 0) + 1
        return cls(
            frames_in=len(ins),
            frames_out=len(outs),
            fps_in=_rate([f[0] for f in ins]),
            fps_out=_rate([f[0] for f in outs]),
            frame_latency_ms=tuple(f[2] for f in ins if f[2] is not None),
            action_latency_ms=tuple(a[1] for a in actions if a[1] is not None),
            actions=len(actions),
            size_in=max(sizes, key=lambda k: sizes[k]) if sizes else "",
        )


def _rate(times: list[float]) -> float | None:
    if len(times) < 2:
        return None
    span = max(times) - min(times)
    return round((len(times) - 1) / span, 3) if span > 0 else None


@dataclass
class MediaRun:
    """One recorded WebRTC session, to run again with its settings and actions."""

    url: str
    offset_s: float  # when it opened, after the recording's start
    settings: dict[str, Any]  # `_rtprobeSettings`, or what the frames tell
    actions: list[tuple[float, str]]  # (s after the first received frame, action)
    recorded: MediaFigures
    source: str = ""  # "entry 3"
    span_s: float = 1.0  # from its start to its last frame or action (1 s..MAX_MEDIA_S)


MAX_MEDIA_S = 3600.0  # a recorded session longer than this is replayed for this long


@dataclass
class Plan:
    connections: list[Connection]
    skipped: dict[str, int] = field(default_factory=dict)  # why -> entries left out
    media: list[MediaRun] = field(default_factory=list)

    @property
    def inputs(self) -> int:
        return sum(len(c.inputs) for c in self.connections) + len(self.media)


def is_notice(value: Any) -> bool:
    """fal's x-fal-message frames: timing reports, not the app's behaviour."""
    return is_fal_frame(value) and isinstance(value, dict) and value.get("type") == "x-fal-message"


def _messages_over_websocket(transport: str | None) -> bool:
    """A transport whose messages ride one WebSocket (realtime, ws): not SSE, not media."""
    return (
        transport in registry.TRANSPORTS
        and not registry.fact(transport, "over_http")
        and registry.fact(transport, "sends_payload")
    )


def transport_of(entry: har.Entry) -> str:
    if entry.transport in registry.TRANSPORTS:
        return entry.transport
    if entry.kind == "sse":
        return "sse"
    path = urlsplit(entry.url).path.rstrip("/")
    return "realtime" if path.endswith("/realtime") else "ws"


def _carries(value: Any, name: str) -> bool:
    return isinstance(value, dict) and name in value


def build(entries: list[har.Entry], transport: str | None = None) -> Plan:
    """The replay of `entries`; `transport` overrides the guess for WebSocket entries."""
    plan = Plan([])
    if not entries:
        return plan
    t0 = min(_opened(e) for e in entries)
    sse: dict[tuple[object, str], Connection] = {}
    media: dict[object, list[tuple[int, har.Entry]]] = {}
    for i, e in enumerate(entries):
        kind = transport_of(e)
        if e.kind == "websocket" and transport is not None and _messages_over_websocket(transport):
            kind = transport
        if kind == "webrtc":
            media.setdefault(e.session if e.session is not None else i, []).append((i, e))
            continue
        if e.kind == "http":
            plan.skipped["plain HTTP requests"] = plan.skipped.get("plain HTTP requests", 0) + 1
            continue
        if e.kind == "sse":
            key = (e.session if e.session is not None else e.url, e.url)
            conn = sse.get(key)
            if conn is None:
                conn = sse[key] = Connection("sse", e.url, e.started - t0, method=e.method)
                conn.source = f"entry {i}"
                plan.connections.append(conn)
            body = e.request_body if e.request_body is not None else ""
            conn.inputs.append(Input(e.started - t0, body, decode_frame(body) if body else None))
            conn.replies.append(
                [SseValue.of(decode_frame(ev.data), ev.event, ev.id or "") for ev in e.events]
            )
            continue
        conn = Connection(kind, e.url, _opened(e) - t0, source=f"entry {i}")
        for f in e.frames:
            value = decode_frame(f.data)
            if f.type == "send":
                conn.inputs.append(Input(f.time - t0, f.data, value))
            elif not is_notice(value):
                conn.replies.append(value)
        if conn.inputs and all(_carries(x.value, DEFAULT_SEQ_FIELD) for x in conn.inputs):
            conn.seq_field = DEFAULT_SEQ_FIELD
        plan.connections.append(conn)
    for conn in sse.values():
        conn.seq_field = None  # SSE requests are matched one by one, in order
    plan.media = [_media_run(parts, t0) for parts in media.values()]
    return plan


def _list_of_dicts(value: Any) -> list[dict[str, Any]]:
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def _media_run(parts: list[tuple[int, har.Entry]], t0: float) -> MediaRun:
    """One WebRTC session (its connections' entries, in order) as a run to do again."""
    first = parts[0][1]
    frames: list[tuple[float, str, float | None, str]] = []
    results: list[tuple[float, float | None]] = []
    sent: list[tuple[float, str]] = []
    for _, e in parts:
        for f in _list_of_dicts(e.private.get("_rtprobeFrames")):
            when, way = _num(f.get("time")), f.get("direction")
            if when is None or way not in ("in", "out"):
                continue
            size = f.get("size")
            frames.append(
                (when, str(way), _num(f.get("latencyMs")), size if isinstance(size, str) else "")
            )
        for a in _list_of_dicts(e.private.get("_rtprobeActions")):
            when = _num(a.get("time"))
            if when is not None:
                results.append((when, _num(a.get("latencyMs"))))
        for frame in e.sends():
            value = decode_frame(frame.data)
            if isinstance(value, dict) and value.get("type") == "action":
                action = value.get("action")
                if isinstance(action, str):
                    sent.append((frame.time, action))
    recorded = MediaFigures.of(frames, results or [(t, None) for t, _ in sent])
    settings = first.private.get("_rtprobeSettings")
    settings = dict(settings) if isinstance(settings, dict) else _guessed(first, frames, recorded)
    first_in = min((f[0] for f in frames if f[1] == "in"), default=None)
    actions = []
    if first_in is not None:
        actions = [(round(max(0.0, t - first_in), 6), a) for t, a in sorted(sent)]
    end = max([f[0] for f in frames] + [t for t, _ in sent] + [first.started + 1.0])
    span = round(min(MAX_MEDIA_S, max(1.0, end - first.started)), 3)
    if "durationS" not in settings and "count" not in settings:
        settings["durationS"] = span
    return MediaRun(
        first.url, _opened(first) - t0, settings, actions, recorded, f"entry {parts[0][0]}", span
    )


def _guessed(
    entry: har.Entry, frames: list[tuple[float, str, float | None, str]], recorded: MediaFigures
) -> dict[str, Any]:
    """Settings for a recording that did not keep them: the sent frames' size and rate,
    the negotiated mode and signaling."""
    out: dict[str, Any] = {}
    sizes = [f[3] for f in frames if f[1] == "out" and f[3]]
    if sizes:
        out["size"] = sizes[0]
    if recorded.fps_out:
        out["fps"] = round(recorded.fps_out)
    connection = entry.private.get("_rtprobeConnection")
    if isinstance(connection, dict):
        if connection.get("mode") in ("v2v", "generated"):
            out["mode"] = connection["mode"]
        signaling = connection.get("signaling")
        if isinstance(signaling, str) and signaling.endswith(("json", "msgpack")):
            out["signaling"] = "msgpack" if signaling.endswith("msgpack") else "json"
    return out


def _opened(e: har.Entry) -> float:
    """When an entry began: its start, or its first frame if that came earlier (a HAR
    whose clocks disagree), so no input is due before the replay began."""
    return min([e.started, *(f.time for f in e.frames)])


def retarget(url: str, target: str | None) -> str:
    """`url` without its recorded token, sent to `target`: a base (`http://host:port`)
    keeps the recorded path; a URL with a path replaces it whole. ws/http schemes follow
    the recorded URL's kind (a WebSocket stays ws://, an SSE request http://)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, True) if k not in DROPPED_QUERY]
    parts = parts._replace(query=urlencode(query), fragment="")
    if target:
        t = urlsplit(target)
        if t.path.strip("/"):
            parts = t._replace(query=t.query or parts.query, fragment="")
        else:
            parts = parts._replace(scheme=t.scheme, netloc=t.netloc)
    ws = urlsplit(url).scheme in ("ws", "wss")
    scheme = parts.scheme
    if ws and scheme in ("http", "https"):
        scheme = "ws" if scheme == "http" else "wss"
    elif not ws and scheme in ("ws", "wss"):
        scheme = "http" if scheme == "ws" else "https"
    return urlunsplit(parts._replace(scheme=scheme))


def body_json(text: str) -> Any:
    """An SSE request body as the session sends it (a JSON object), or None."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
