"""`rtprobe mock --from FILE`: a HAR recording served as a mock app, so a real endpoint
has an offline double that nobody had to write.

For every recorded WebSocket path (realtime msgpack or a raw WebSocket) and SSE path,
the recorded replies answer the recorded inputs, with the recorded delays (divided by
`--from-speed`; `max` for none):

- an input is looked up by what it decodes to (a msgpack map or JSON, rtprobe's
  sequence field left out), so a client numbering its inputs differently still finds
  them; an input recorded several times is answered with its recorded answers in turn;
- a recorded reply that carries the sequence field gets the incoming input's value, so
  the client matches it;
- frames the server sent before the first input (WebRTC's `ready`, fal's timings) are
  sent on connect; after an `x-fal-error` frame the connection closes (1000) as fal's does;
- an SSE event goes out with every field it was recorded with (`retry:`, `event:`,
  `id:`, `data:`), at its recorded time after the request;
- an input the recording never saw gets one clear error: an `x-fal-error` frame
  (`INTERNAL_ERROR`, then close 1000, as fal answers bad input) on a realtime path, the
  same frame without the close on a raw WebSocket, HTTP 422 with a `detail` for SSE.

Paths the recording does not hold are the ordinary mock's (its `/health`, `/tokens/`,
`mock/...` apps), and `--key` guards recorded paths too. A recorded WebRTC path is
served by `server_mock.recorded_media` (a new offer answered by the mock's own peer,
the recorded frames sent at their recorded times; fal's wma flavour at
`…/start-session`); a WebRTC connection that cannot be (no received frame, the wma REST
bridge) is left out with a log line, and a recording
with nothing else is refused in one line. Reads the file with the pure HAR parser of
app.core; never the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgpack
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.core.codecs import fal_frames
from app.core.record import har
from app.core.record.diff import decode_frame
from app.core.record.plan import transport_of
from app.core.sessions import registry
from app.core.transports.base import DEFAULT_SEQ_FIELD
from server_mock import openapi, recorded_media
from server_mock.auth import TokenStore
from server_mock.config import MockConfig

log = logging.getLogger("server_mock")
UNKNOWN = "rtprobe mock --from: the recording has no reply for this input"


class RecordingError(ValueError):
    """A recording that cannot be served; one line."""


Frame = str | bytes


@dataclass
class Answer:
    """What the server sent after one input, each frame with its delay after it (SSE:
    each event, with every field it carried, with its delay after the request)."""

    frames: list[tuple[float, Frame]] = field(default_factory=list)
    events: list[tuple[float, har.StreamEvent]] = field(default_factory=list)


@dataclass
class RecordedPath:
    kind: str  # realtime | ws | sse | webrtc
    greeting: list[tuple[float, Frame]] = field(default_factory=list)
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    entries: int = 0
    example: Any = None  # the first recorded input (sequence field left out), for describe
    media: list[recorded_media.MediaSession] = field(default_factory=list)  # WebRTC
    flavour: str = ""  # WebRTC: its signaling, json (4a) or msgpack (4b)


def _without_seq(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != DEFAULT_SEQ_FIELD}
    return value


def input_key(value: Any) -> str:
    """The same key for inputs that differ only in rtprobe's sequence field."""
    value = _without_seq(value)
    if isinstance(value, bytes):
        return "b:" + value.hex()
    return "j:" + json.dumps(value, sort_keys=True, default=repr, separators=(",", ":"))


def load(path: str | Path) -> dict[str, RecordedPath]:
    """The recording at `path` as a table of paths; RecordingError for a bad file."""
    try:
        size = Path(path).stat().st_size
        if size > har.MAX_HAR_CHARS:
            raise RecordingError(f"{str(path)!r}: {size // 2**20} MiB is more than a HAR may be")
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RecordingError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    try:
        entries = har.parse(data)
    except har.HarError as exc:
        raise RecordingError(f"{str(path)!r}: {exc}") from None
    refused: list[str] = []
    table = tabulate(entries, refused)
    if not table:
        if refused:
            raise RecordingError(
                f"{str(path)!r}: {refused[0]}: run it again with `rtprobe replay FILE --target URL`"
            )
        raise RecordingError(f"{str(path)!r} holds no WebSocket, SSE or WebRTC exchange to serve")
    return table


def tabulate(entries: list[har.Entry], refused: list[str] | None = None) -> dict[str, RecordedPath]:
    """The entries as served paths; why a WebRTC connection cannot be served goes in
    `refused` (one line each), and it is left out."""
    table: dict[str, RecordedPath] = {}
    refused = [] if refused is None else refused
    for e in entries:
        kind = transport_of(e)
        if registry.fact(kind, "measures_frames"):
            _media_entry(table, e, kind, refused)
            continue
        if e.kind == "http":
            continue
        path = urlsplit(e.url).path or "/"
        route = table.setdefault(path, RecordedPath(kind))
        route.entries += 1
        if e.kind == "sse":
            body = decode_frame(e.request_body) if e.request_body else None
            route.example = body if route.example is None else route.example
            answer = Answer(events=[(max(0.0, ev.time - e.started), ev) for ev in e.events])
            route.answers.setdefault(input_key(body), []).append(answer)
            continue
        current: tuple[Answer, float] | None = None
        by_seq: dict[Any, tuple[Answer, float]] = {}
        for f in e.frames:
            value = decode_frame(f.data)
            if f.type == "send":
                current = (Answer(), f.time)
                if (seq := _seq_of(value)) is not None:
                    by_seq[seq] = current
                if route.example is None:
                    route.example = _without_seq(value)
                route.answers.setdefault(input_key(value), []).append(current[0])
                continue
            # An open-loop run has several inputs in flight: a reply that carries the
            # sequence field belongs to the input with that value, not to the last one sent.
            owner = by_seq.get(_seq_of(value), current)
            if owner is not None:
                owner[0].frames.append((max(0.0, f.time - owner[1]), f.data))
            elif route.entries == 1:
                route.greeting.append((max(0.0, f.time - e.started), f.data))
    if refused and table:  # a recording with nothing to serve is refused, by `load`
        log.warning("recording: %d WebRTC connection(s) left out: %s", len(refused), refused[0])
    return table


def _media_entry(
    table: dict[str, RecordedPath], e: har.Entry, kind: str, refused: list[str]
) -> None:
    """One recorded WebRTC connection added to its path, or its refusal to `refused`."""
    path = urlsplit(e.url).path or "/"
    try:
        session = recorded_media.media_session(e, input_key)
    except recorded_media.MediaError as exc:
        refused.append(str(exc))
        return
    flavour = recorded_media.flavour_of(e)
    route = table.setdefault(path, RecordedPath(kind, flavour=flavour))
    if route.kind != kind or route.flavour != flavour:
        refused.append(f"{path} was recorded with more than one kind of session")
        return
    route.entries += 1
    route.media.append(session)


def _seq_of(value: Any) -> Any:
    """rtprobe's sequence field of a decoded frame (hashable), or None."""
    seq = value.get(DEFAULT_SEQ_FIELD) if isinstance(value, dict) else None
    return seq if isinstance(seq, int | str) else None


def renumber(frame: Frame, seq: Any) -> Frame:
    """`frame` with rtprobe's sequence field set to the incoming input's `seq`."""
    if seq is None:
        return frame
    value = decode_frame(frame)
    if not isinstance(value, dict) or DEFAULT_SEQ_FIELD not in value:
        return frame
    value = {**value, DEFAULT_SEQ_FIELD: seq}
    if isinstance(frame, str):
        return json.dumps(value, separators=(",", ":"))
    return bytes(msgpack.packb(value, use_bin_type=True))


def _closes(frame: Frame) -> bool:
    if not isinstance(frame, str):
        return False
    return isinstance(fal_frames.parse_text(frame), fal_frames.FalError)


class Player:
    """One connection's outgoing frames, sent in due order by one task."""

    def __init__(self, websocket: WebSocket, speed: float | None) -> None:
        self.ws = websocket
        self.speed = speed
        self.loop = asyncio.get_running_loop()
        self._heap: list[tuple[float, int, Frame, bool]] = []
        self._n = 0
        self._last_due = 0.0
        self._wake = asyncio.Event()
        self.closed = False

    def schedule(self, frames: list[tuple[float, Frame]], close_after_error: bool) -> None:
        now = self.loop.time()
        for delay, frame in frames:
            scaled = 0.0 if self.speed is None else delay / self.speed
            closes = close_after_error and _closes(frame)
            # Frames leave in the order they were scheduled, as the recorded server sent
            # them: a short recorded delay never overtakes an earlier input's answer.
            self._last_due = max(self._last_due, now + scaled)
            heapq.heappush(self._heap, (self._last_due, self._n, frame, closes))
            self._n += 1
        self._wake.set()

    async def run(self) -> None:
        while not self.closed:
            if not self._heap:
                self._wake.clear()
                await self._wake.wait()
                continue
            due, _, frame, closes = self._heap[0]
            wait = due - self.loop.time()
            if wait > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                continue
            heapq.heappop(self._heap)
            if isinstance(frame, str):
                await self.ws.send_text(frame)
            else:
                await self.ws.send_bytes(frame)
            if closes:
                self.closed = True
                await self.ws.close(1000)


def _ws_route(route: RecordedPath, tokens: TokenStore, speed: float | None) -> Any:
    realtime = route.kind == "realtime"

    async def serve(websocket: WebSocket) -> None:
        if not tokens.allows(websocket.headers, websocket.query_params):
            await websocket.close(1008)
            return
        await websocket.accept()
        player = Player(websocket, speed)
        task = asyncio.create_task(player.run())
        turns: dict[str, int] = {}
        player.schedule(route.greeting, realtime)
        try:
            while not task.done():
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                frame = message.get("bytes")
                if frame is None:
                    frame = message.get("text") or ""
                value = decode_frame(frame)
                key = input_key(value)
                answers = route.answers.get(key)
                if not answers:
                    error = fal_frames.error_frame("INTERNAL_ERROR", UNKNOWN)
                    player.schedule([(0.0, error)], realtime)
                    continue
                turn = turns.get(key, 0)
                turns[key] = turn + 1
                seq = value.get(DEFAULT_SEQ_FIELD) if isinstance(value, dict) else None
                answer = answers[turn % len(answers)]
                player.schedule([(d, renumber(f, seq)) for d, f in answer.frames], realtime)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            player.closed = True
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    return serve


def _sse_route(route: RecordedPath, speed: float | None) -> Any:
    turns: dict[str, int] = {}

    async def serve(request: Request) -> Response:
        raw = await request.body()
        body = decode_frame(raw.decode("utf-8", "replace")) if raw else None
        key = input_key(body)
        answers = route.answers.get(key)
        if not answers:
            return JSONResponse({"detail": UNKNOWN}, status_code=422)
        turn = turns.get(key, 0)
        turns[key] = turn + 1
        answer = answers[turn % len(answers)]

        async def stream() -> AsyncIterator[bytes]:
            start = asyncio.get_running_loop().time()
            last_id: str | None = None
            for delay, event in answer.events:
                due = start + (0.0 if speed is None else delay / speed)
                wait = due - asyncio.get_running_loop().time()
                if wait > 0:
                    await asyncio.sleep(wait)
                # each event as recorded: its retry, event and id lines, then its data
                yield har.event_stream_text([event], last_id).encode()
                last_id = event.id or None

        return StreamingResponse(stream(), media_type=har.SSE_MIME)

    return serve


def _app_root(path: str) -> tuple[str, str]:
    """`/owner/alias/route…` as (`/owner/alias`, `/route…`), fal's app and route."""
    parts = path.strip("/").split("/")
    if len(parts) < 3:
        return "", path
    return "/" + "/".join(parts[:2]), "/" + "/".join(parts[2:])


def _json_example(value: Any) -> dict[str, Any]:
    """An input schema whose example is `value`, when JSON can hold it."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return {"type": "object"}
    return {"type": "object", "examples": [value]}


def recorded_openapi(table: dict[str, RecordedPath]) -> dict[str, dict[str, Any]]:
    """Per app root, an OpenAPI document in fal's shape listing the recorded routes, each
    with a recorded input as its example: `rtprobe describe` against the double then
    prints `rtprobe run` lines whose payload the recording answers."""
    docs: dict[str, dict[str, Any]] = {}
    for path, route in sorted(table.items()):
        root, sub = _app_root(path)
        doc = docs.setdefault(
            root,
            {
                "openapi": "3.1.0",
                "info": {"title": root.strip("/") or "recording", "version": "recorded"},
                "paths": {},
            },
        )
        body = {"content": {"application/json": {"schema": _json_example(route.example)}}}
        post: dict[str, Any] = {"operationId": sub.strip("/") or "root", "requestBody": body}
        if route.kind == "sse":
            post["responses"] = {"200": {"content": {har.SSE_MIME: {"schema": {}}}}}
            doc["paths"][sub] = {"post": post}
            continue
        if route.flavour == "wma":  # fal's start-session, as mock/wma publishes it
            doc["paths"][recorded_media.start_path(sub)] = openapi.wma_path()
            continue
        realtime = route.kind == "realtime" or route.flavour == "msgpack"
        if route.media:  # WebRTC: a signaling input schema tells `describe` so
            schema = recorded_media.SIGNALING_INPUT
            post["requestBody"] = {"content": {"application/json": {"schema": schema}}}
        protocol: dict[str, Any] = {
            "type": "realtime" if realtime else "websocket",
            "operationId": post["operationId"],
            "config": {"buffering": None, "sessionTimeout": None, "maxBatchSize": 1},
        }
        if realtime:
            mode = "bidi" if route.media else "unary"
            protocol |= {"contentType": "application/msgpack", "realtimeMode": mode}
        doc["paths"][sub] = {"x-fal-protocol": protocol, "post": post}
    return docs


def _document(doc: dict[str, Any]) -> Any:
    async def serve(request: Request) -> Response:
        return JSONResponse(doc)

    return serve


def create_recorded_app(config: MockConfig, table: dict[str, RecordedPath]) -> Starlette:
    """The recording's paths first, the ordinary mock (`fallback`) for everything else."""
    from server_mock.app import create_app

    fallback = create_app(config)
    tokens: TokenStore = fallback.state.tokens
    speed = config.recording_speed
    routes: list[Any] = []
    for root, doc in recorded_openapi(table).items():
        routes.append(Route(f"{root}/openapi.json", _document(doc), methods=["GET"]))
        if any(route.flavour == "wma" for route in table.values()):
            contract = openapi.asyncapi("wma") or {}  # the wma session's control messages
            routes.append(Route(f"{root}/asyncapi.json", _document(contract), methods=["GET"]))
    for path, route in sorted(table.items()):
        if route.kind == "sse":
            routes.append(Route(path, _sse_route(route, speed), methods=["POST", "GET"]))
        elif route.flavour == "wma":
            serve = recorded_media.wma_route(route.media, config, tokens)
            routes.append(Route(recorded_media.start_path(path), serve, methods=["POST"]))
        elif route.media:
            serve = recorded_media.route(route.media, route.flavour, config, tokens, input_key)
            routes.append(WebSocketRoute(path, serve))
        else:
            routes.append(WebSocketRoute(path, _ws_route(route, tokens, speed)))
        log.info("recording: serving %s %s (%d entries)", route.kind, path, route.entries)
    app = Starlette(routes=[*routes, Mount("", app=fallback)])
    app.state.config = config
    app.state.tokens = tokens
    app.state.toxics = fallback.state.toxics  # the byte-stream toxics apply to recorded paths too
    app.state.connections = fallback.state.connections
    app.state.sessions = 0  # the recorded wma streams count theirs here
    return app
