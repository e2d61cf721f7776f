"""What a recording asks a replay to do, pure: HAR entries in, the connections and
requests to replay (with their inputs, when to send them, and the replies recorded for
them) out. No I/O; `app.core.record.replay` runs a plan.

- A WebSocket entry is one connection: its sent frames are the inputs (with their time
  after the recording's first entry), its received frames the recorded replies (fal's
  `x-fal-message` notices left out: they report time, not behaviour). Its transport is
  rtprobe's `_rtprobeTransport`, else `realtime` for a path ending in `/realtime`, else
  `ws` (a browser's recording).
- WebRTC entries are left out (an SDP offer cannot be replayed), as are plain HTTP ones.
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


@dataclass
class Plan:
    connections: list[Connection]
    skipped: dict[str, int] = field(default_factory=dict)  # why -> entries left out

    @property
    def inputs(self) -> int:
        return sum(len(c.inputs) for c in self.connections)


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
    for i, e in enumerate(entries):
        kind = transport_of(e)
        if e.kind == "websocket" and transport is not None and _messages_over_websocket(transport):
            kind = transport
        if kind == "webrtc":
            plan.skipped["WebRTC sessions (an SDP offer cannot be replayed)"] = (
                plan.skipped.get("WebRTC sessions (an SDP offer cannot be replayed)", 0) + 1
            )
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
    return plan


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
