"""HAR 1.2 recordings, pure: entries in, a HAR document (a dict, then JSON) out, and a
HAR file's text in, entries out. No I/O, no clock, no asyncio.

The shape is the one Chrome's dev tools export, so a recording opens there and in HAR
viewers, and a HAR exported from Chrome can be replayed or served:

- a WebSocket (realtime, raw WebSocket, WebRTC signaling) is an entry with
  `_resourceType: "websocket"`, a GET of the ws:// URL answered 101, and its frames in
  `_webSocketMessages`: `{type: "send"|"receive", time: epoch seconds, opcode: 1 (text)
  or 2 (binary), data: the text, or base64 for binary}`;
- an SSE request is an ordinary entry (POST with its JSON body) whose response content
  is the event stream (`text/event-stream`, every field of every event: `retry:`,
  `event:`, `id:`, `data:`), with each event's arrival time and fields in the private
  `_sseEvents` list (`{time, data, event?, id?, retry?}`);
- what only rtprobe writes lives in private `_rtprobe*` fields (the transport, the
  session, WebRTC per-frame timing in `_rtprobeFrames`), which other readers ignore.

`parse` reads any such file, rtprobe's or Chrome's, and refuses garbage, truncation,
missing fields and binary data that is not base64 with one `HarError` line.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from app.core.codecs.sse import SseEvent, SseParser, SseTooLarge

HAR_VERSION = "1.2"
SSE_MIME = "text/event-stream"
MAX_HAR_CHARS = 512 * 1024 * 1024  # a bigger file is refused before it is parsed
MAX_ITEMS = 5_000_000  # frames, events and entries in one file, all together
MAX_EVENT_AFTER_S = 24 * 3600  # an SSE event later than this after its request is refused
PARSE_CHUNK = 1 << 20  # a browser's event stream is parsed this many bytes at a time
TEXT, BINARY = 1, 2
Kind = Literal["websocket", "sse", "http"]
Way = Literal["send", "receive"]


class HarError(ValueError):
    """A HAR file that cannot be read; the message is one line naming what is wrong."""


@dataclass(frozen=True, slots=True)
class WsFrame:
    """One WebSocket data frame as recorded: `data` is str for text, bytes for binary."""

    type: Way
    time: float  # epoch seconds
    opcode: int
    data: str | bytes


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One SSE event of a response and when it arrived, with every field it carried.

    `event` is its type ("" for the default, "message"); `id` the stream's last event ID
    when it arrived (None when none was set, or it was reset), as a browser's
    `MessageEvent.lastEventId` shows it; `retry` the reconnection time in ms it set."""

    time: float  # epoch seconds
    data: str
    event: str = ""
    id: str | None = None
    retry: int | None = None


@dataclass
class Entry:
    """One request of a recording: a WebSocket connection or one (SSE) HTTP request."""

    kind: Kind
    url: str
    started: float  # epoch seconds
    method: str = "GET"
    time_ms: float = 0.0  # HAR's `time`: the handshake, or the whole request
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: str | None = None
    request_mime: str = "application/json"
    status: int = 101
    status_text: str = "Switching Protocols"
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    frames: list[WsFrame] = field(default_factory=list)
    events: list[StreamEvent] = field(default_factory=list)
    content: str = ""  # the response body (SSE: the event stream as text)
    content_mime: str = ""
    transport: str | None = None  # realtime | ws | sse | webrtc (rtprobe's own files)
    session: int | None = None
    private: dict[str, Any] = field(default_factory=dict)  # other `_rtprobe*` fields

    def sends(self) -> list[WsFrame]:
        return [f for f in self.frames if f.type == "send"]

    def receives(self) -> list[WsFrame]:
        return [f for f in self.frames if f.type == "receive"]


# -- building ---------------------------------------------------------------------------


def iso(epoch_s: float) -> str:
    """HAR's `startedDateTime`: ISO 8601 with milliseconds and the UTC offset."""
    stamp = datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")  # as Chrome writes it


def _headers(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in pairs]


def _frame_json(f: WsFrame) -> dict[str, Any]:
    data = f.data if isinstance(f.data, str) else base64.b64encode(f.data).decode("ascii")
    return {"type": f.type, "time": f.time, "opcode": f.opcode, "data": data}


def _one_line(value: str) -> str:
    """A field's value as one line (a hostile recording's CR or LF would start a field)."""
    return value.replace("\r", "").replace("\n", "")


def event_stream_text(events: list[StreamEvent], last_id: str | None = None) -> str:
    """The wire form of events, a valid `text/event-stream` body holding every field:
    `retry:`, `event:` and `id:` lines where set, a `data:` line per line of data. An
    event with no id after one with an id gets an empty `id:` line (the recorded stream
    reset its last event ID), so a client sees each event's id as recorded. `last_id` is
    the id in force before the first event (for a stream written an event at a time)."""
    out = []
    for e in events:
        lines = [] if e.retry is None else [f"retry: {e.retry}"]
        if e.event:
            lines.append(f"event: {_one_line(e.event)}")
        ident = _one_line(e.id) if e.id else None
        if ident is not None:
            lines.append(f"id: {ident}")
        elif last_id is not None:
            lines.append("id:")
        last_id = ident
        data = e.data.replace("\r\n", "\n").replace("\r", "\n")
        lines += [f"data: {line}" for line in data.split("\n")]
        out.append("\n".join(lines) + "\n\n")
    return "".join(out)


def sse_event_json(ev: StreamEvent) -> dict[str, Any]:
    """One `_sseEvents` item: its time and data, and each other field where set."""
    fields = {"event": ev.event or None, "id": ev.id, "retry": ev.retry}
    return {"time": ev.time, "data": ev.data, **{k: v for k, v in fields.items() if v is not None}}


def entry_json(e: Entry) -> dict[str, Any]:
    parts = urlsplit(e.url)
    request: dict[str, Any] = {
        "method": e.method,
        "url": e.url,
        "httpVersion": "HTTP/1.1",
        "headers": _headers(e.request_headers),
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(parts.query, True)],
        "cookies": [],
        "headersSize": -1,
        "bodySize": len(e.request_body.encode()) if e.request_body is not None else 0,
    }
    if e.request_body is not None:
        request["postData"] = {"mimeType": e.request_mime, "text": e.request_body}
    content = e.content
    mime = e.content_mime
    if e.kind == "sse":
        content = content or event_stream_text(e.events)
        mime = mime or SSE_MIME
    out: dict[str, Any] = {
        "startedDateTime": iso(e.started),
        "time": round(e.time_ms, 3),
        "request": request,
        "response": {
            "status": e.status,
            "statusText": e.status_text,
            "httpVersion": "HTTP/1.1",
            "headers": _headers(e.response_headers),
            "cookies": [],
            "content": {"size": len(content.encode()), "mimeType": mime, "text": content},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {
            "blocked": -1,
            "dns": -1,
            "ssl": -1,
            "connect": -1,
            "send": 0,
            "wait": round(e.time_ms, 3),
            "receive": 0,
        },
    }
    if e.kind == "websocket":
        out["_resourceType"] = "websocket"
        out["_webSocketMessages"] = [_frame_json(f) for f in e.frames]
    elif e.kind == "sse":
        out["_resourceType"] = "fetch"
        out["_sseEvents"] = [sse_event_json(ev) for ev in e.events]
    if e.transport:
        out["_rtprobeTransport"] = e.transport
    if e.session is not None:
        out["_rtprobeSession"] = e.session
    out.update({k: v for k, v in e.private.items() if k.startswith("_")})
    return out


def build(entries: list[Entry], version: str, comment: str = "") -> dict[str, Any]:
    """The HAR document of `entries`, in start order, one page for the whole run."""
    entries = sorted(entries, key=lambda e: e.started)
    started = entries[0].started if entries else 0.0
    log: dict[str, Any] = {
        "version": HAR_VERSION,
        "creator": {"name": "rtprobe", "version": version},
        "pages": [
            {
                "startedDateTime": iso(started),
                "id": "page_1",
                "title": comment or "rtprobe recording",
                "pageTimings": {},
            }
        ],
        "entries": [entry_json(e) | {"pageref": "page_1"} for e in entries],
    }
    if comment:
        log["comment"] = comment
    return {"log": log}


def dumps(har: dict[str, Any]) -> str:
    return json.dumps(har, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


# -- parsing ----------------------------------------------------------------------------


def parse(text: str | bytes) -> list[Entry]:
    """The entries of a HAR file's text (rtprobe's or a browser's), in start order.
    Raises HarError (one line) for anything that is not a readable HAR 1.x log."""
    if len(text) > MAX_HAR_CHARS:
        raise HarError(f"HAR file over {MAX_HAR_CHARS // 2**20} MiB: refused")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise HarError(f"not a HAR file: not UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise HarError("not a HAR file: it is empty")
    try:
        doc = json.loads(text)
    except RecursionError:
        raise HarError("not a HAR file: JSON nested too deeply") from None
    except ValueError as exc:
        where = getattr(exc, "pos", None)
        truncated = where is not None and where >= len(text.rstrip()) - 1
        what = "truncated JSON" if truncated else f"invalid JSON ({exc})"
        raise HarError(f"not a HAR file: {what}") from None
    log = _get(doc, "log", dict, "the file")
    version = log.get("version", HAR_VERSION)
    if not isinstance(version, str) or not version.startswith("1."):
        raise HarError(f"HAR version {version!r} is not 1.x")
    raw_entries = _get(log, "entries", list, "log")
    budget = [MAX_ITEMS]
    entries = [_entry(e, i, budget) for i, e in enumerate(raw_entries)]
    return sorted(entries, key=lambda e: e.started)


def _get(obj: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(obj, dict):
        raise HarError(f"{where} is not an object")
    if key not in obj:
        raise HarError(f"{where} has no {key!r}")
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise HarError(f"{where}.{key} is not a{'n' if kind is int else ''} {kind.__name__}")
    return value


def _count(budget: list[int], n: int) -> None:
    budget[0] -= n
    if budget[0] < 0:
        raise HarError(f"HAR file holds more than {MAX_ITEMS:,} entries, frames and events")


def _number(obj: dict[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise HarError(f"{where}.{key} is not a number")
    if not math.isfinite(value):
        raise HarError(f"{where}.{key} is not a finite number")
    return float(value)


def _epoch(text: Any, where: str) -> float:
    if not isinstance(text, str):
        raise HarError(f"{where}.startedDateTime is not a date")
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise HarError(f"{where}.startedDateTime {text[:40]!r} is not an ISO 8601 date") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _pairs(obj: dict[str, Any], where: str) -> list[tuple[str, str]]:
    items = obj.get("headers", [])
    if not isinstance(items, list):
        raise HarError(f"{where}.headers is not a list")
    out = []
    for h in items:
        if not isinstance(h, dict) or not isinstance(h.get("name"), str):
            raise HarError(f"{where}.headers holds an item with no name")
        out.append((h["name"], str(h.get("value", ""))))
    return out


def _entry(raw: Any, i: int, budget: list[int]) -> Entry:
    where = f"entries[{i}]"
    _count(budget, 1)
    if not isinstance(raw, dict):
        raise HarError(f"{where} is not an object")
    request = _get(raw, "request", dict, where)
    response = _get(raw, "response", dict, where)
    url = _get(request, "url", str, f"{where}.request")
    method = request.get("method", "GET")
    if not isinstance(method, str):
        raise HarError(f"{where}.request.method is not a string")
    status = response.get("status", 0)
    if not isinstance(status, int) or isinstance(status, bool):
        raise HarError(f"{where}.response.status is not a whole number")
    content = response.get("content", {})
    if not isinstance(content, dict):
        raise HarError(f"{where}.response.content is not an object")
    post = request.get("postData")
    body = post.get("text") if isinstance(post, dict) else None
    started = _epoch(raw.get("startedDateTime"), where)
    messages = raw.get("_webSocketMessages")
    scheme = urlsplit(url).scheme.lower()
    mime = str(content.get("mimeType", ""))
    kind: Kind = "http"
    if messages is not None or raw.get("_resourceType") == "websocket" or scheme in ("ws", "wss"):
        kind = "websocket"
    elif mime.split(";")[0].strip() == SSE_MIME or "_sseEvents" in raw:
        kind = "sse"
    entry = Entry(
        kind=kind,
        url=url,
        started=started,
        method=method,
        time_ms=_number(raw, "time", where, 0.0),
        request_headers=_pairs(request, f"{where}.request"),
        request_body=body if isinstance(body, str) else None,
        request_mime=str(post.get("mimeType", "")) if isinstance(post, dict) else "",
        status=status,
        status_text=str(response.get("statusText", "")),
        response_headers=_pairs(response, f"{where}.response"),
        content=_content_text(content, where),
        content_mime=mime,
    )
    transport = raw.get("_rtprobeTransport")
    entry.transport = transport if isinstance(transport, str) else None
    session = raw.get("_rtprobeSession")
    entry.session = session if isinstance(session, int) and not isinstance(session, bool) else None
    entry.private = {
        k: v
        for k, v in raw.items()
        if k.startswith("_rtprobe") and k not in ("_rtprobeTransport", "_rtprobeSession")
    }
    if kind == "websocket":
        if messages is None:
            messages = []
        if not isinstance(messages, list):
            raise HarError(f"{where}._webSocketMessages is not a list")
        _count(budget, len(messages))
        entry.frames = [
            _frame(m, f"{where}._webSocketMessages[{j}]") for j, m in enumerate(messages)
        ]
    elif kind == "sse":
        entry.events = _events(raw, entry, where, budget)
    return entry


def _content_text(content: dict[str, Any], where: str) -> str:
    text = content.get("text", "")
    if not isinstance(text, str):
        raise HarError(f"{where}.response.content.text is not a string")
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            raise HarError(f"{where}.response.content.text is not valid base64") from None
    return text


def _frame(raw: Any, where: str) -> WsFrame:
    if not isinstance(raw, dict):
        raise HarError(f"{where} is not an object")
    way = raw.get("type")
    if way not in ("send", "receive"):
        raise HarError(f"{where}.type is {way!r}, not 'send' or 'receive'")
    opcode = raw.get("opcode", TEXT)
    if opcode not in (TEXT, BINARY) or isinstance(opcode, bool):
        raise HarError(f"{where}.opcode is {opcode!r}, not 1 (text) or 2 (binary)")
    data = raw.get("data", "")
    if not isinstance(data, str):
        raise HarError(f"{where}.data is not a string")
    value: str | bytes = data
    if opcode == BINARY:
        try:
            value = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise HarError(f"{where}: binary data is not base64") from None
    return WsFrame(way, _number(raw, "time", where), opcode, value)


def _retry(value: Any) -> int | None:
    """A recorded `retry`: a whole number of ms, as the SSE spec allows; else none."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _events(raw: dict[str, Any], entry: Entry, where: str, budget: list[int]) -> list[StreamEvent]:
    """`_sseEvents` when rtprobe wrote them; else parsed from the response's stream, with
    arrival times spread evenly over the request (a browser records none). A stream that
    is not one (text with no event and no comment), or an event more than
    `MAX_EVENT_AFTER_S` after its request, is refused: serving or replaying it would
    never end."""
    listed = raw.get("_sseEvents")
    if listed is not None:
        if not isinstance(listed, list):
            raise HarError(f"{where}._sseEvents is not a list")
        _count(budget, len(listed))
        out = []
        for j, ev in enumerate(listed):
            w = f"{where}._sseEvents[{j}]"
            if not isinstance(ev, dict) or not isinstance(ev.get("data"), str):
                raise HarError(f"{w} has no data string")
            name = ev.get("event", "")
            ident = ev.get("id")
            when = _number(ev, "time", w)
            if when - entry.started > MAX_EVENT_AFTER_S:
                raise HarError(
                    f"{w} arrives {when - entry.started:.3g} s after its request"
                    f" (at most {MAX_EVENT_AFTER_S // 3600} h): refused"
                )
            out.append(
                StreamEvent(
                    when,
                    ev["data"],
                    name if isinstance(name, str) else "",
                    ident if isinstance(ident, str) and ident else None,
                    _retry(ev.get("retry")),
                )
            )
        return out
    parsed = _parse_stream(entry.content, where, budget)
    span = min(entry.time_ms / 1000, MAX_EVENT_AFTER_S)
    n = len(parsed)
    return [
        StreamEvent(
            entry.started + span * (k + 1) / n,
            e.data,
            "" if e.event == "message" else e.event,
            e.id or None,
            e.retry,
        )
        for k, e in enumerate(parsed)
    ]


def _parse_stream(content: str, where: str, budget: list[int]) -> list[SseEvent]:
    """A response's event stream, parsed a chunk at a time (the item budget stops a
    stream of millions of tiny events before it fills memory)."""
    parser = SseParser()
    data = content.encode()
    parsed: list[SseEvent] = []
    try:
        for at in range(0, len(data), PARSE_CHUNK):
            got = parser.feed(data[at : at + PARSE_CHUNK])
            _count(budget, len(got))
            parsed += got
        parser.close()
    except SseTooLarge as exc:
        raise HarError(f"{where}: response content: {exc}") from None
    if not parsed and not parser.comments and content.strip():
        raise HarError(
            f"{where}: response content is not an event stream"
            f" (no complete event in {len(data):,} bytes)"
        )
    return parsed
