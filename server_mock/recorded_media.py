"""A recorded WebRTC session as `rtprobe mock --from` serves it: read from the HAR's
entries, pure (no aiortc; `server_mock.webrtc.recorded` plays it).

Per recorded connection (`_rtprobeTransport: webrtc`):

- the signaling flavour it ran with (`_rtprobeSettings.flavour`/`signaling`, else the
  negotiated `_rtprobeConnection.signaling`, else its frames' opcode): JSON text on a
  raw WebSocket (4a), msgpack maps over a realtime session (4b), or fal's wma session
  (4c: `POST …/start-session`, the answer as an SSE event, control messages on a data
  channel; its deprecated REST bridge, `wma-rest`, is not served);
- the greetings the server sent before the offer (`ready`, `iceservers`);
- the server's replies to each non-signaling input (`action`, `pause`…), with their
  delays, looked up as the other transports' are (`input_key`);
- the received video frames (`_rtprobeFrames`, `direction: in`): each one's time after
  the anchor (v2v: the first frame sent, so the new client's frame k comes back as late
  after its sending as the recorded one did; generated: the first frame received), its
  size, its marker value and, when recorded with `--record-pixels`, its picture;
- the server's data channel messages (`_rtprobeDataChannel`, e.g. yolo's boxes), each
  at its time after the same anchor;
- generated video: each recorded action's action -> frame latency (`_rtprobeActions`),
  so a new client's n-th action shows in the frames that long after it arrives.

Garbage items in `_rtprobeFrames` (not an object, no finite time, a size that is not
`WxH` within `MIN_SIDE..MAX_SIDE`) are left out; at most `MAX_FRAMES` frames a
connection are kept (the rest are counted in a log line), none later than `MAX_SPAN_S`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.websockets import WebSocket

from app.core.codecs import webrtc_marker as marker
from app.core.codecs import wma as wma_codec
from app.core.codecs.fal_frames import is_fal_frame
from app.core.record import har
from app.core.record.diff import decode_frame
from server_mock import schemas
from server_mock.auth import TokenStore
from server_mock.config import MockConfig
from server_mock.faults import FaultParamError, Faults
from server_mock.realtime import RealtimeRoute, RealtimeSession, run_route

log = logging.getLogger("server_mock")

MAX_FRAMES = 54_000  # a connection's served frames: 30 minutes at 30 fps
MAX_SPAN_S = 3600.0  # no frame is served more than an hour after its anchor
MAX_PIXEL_BYTES = 1 << 20  # one recorded picture, decoded from base64
MIN_SIDE, MAX_SIDE = 32, 4096
DEFAULT_SIZE = (640, 480)
SIGNALING_TYPES = ("offer", "answer", "icecandidate")
FLAVOURS = {"ws": "json", "json": "json", "realtime": "msgpack", "msgpack": "msgpack"}
WMA = ("wma", "wma-rest")
SERVED = ("json", "msgpack", "wma")  # 4a, 4b and 4c's start-session
SIGNALING_INPUT = schemas.signaling_input(actions=True)
UNKNOWN = "rtprobe mock --from: the recording has no reply for this message"


class MediaError(ValueError):
    """A WebRTC recording that cannot be served; one line."""


@dataclass(frozen=True)
class VideoFrame:
    """One frame to send: when (seconds after the anchor), its size, its marker value
    (None: the recorded one was unreadable) and its recorded picture, if any."""

    at: float
    width: int
    height: int
    value: int | None
    picture: bytes | None = None  # a JPEG or PNG (`--record-pixels`)


@dataclass
class MediaSession:
    """One recorded connection, to be served again to one new client."""

    frames: list[VideoFrame] = field(default_factory=list)
    greetings: list[dict[str, Any]] = field(default_factory=list)
    replies: dict[str, list[list[tuple[float, dict[str, Any]]]]] = field(default_factory=dict)
    anchored_on_client: bool = False  # v2v: timed from the client's frames
    sent_at: dict[int, float] = field(default_factory=dict)  # v2v: frame id -> when sent
    action_delays: list[float] = field(default_factory=list)  # generated: action -> frame, s
    data: list[tuple[float, str | bytes]] = field(default_factory=list)  # data channel, timed
    dropped: int = 0  # frames left out (garbage, or past MAX_FRAMES / MAX_SPAN_S)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def parse_size(text: Any) -> tuple[int, int] | None:
    """`"640x480"` as (640, 480), even and within MIN_SIDE..MAX_SIDE; None otherwise."""
    if not isinstance(text, str) or len(text) > 16:
        return None
    w, sep, h = text.lower().partition("x")
    if not sep or not (w.isdigit() and h.isdigit()):
        return None
    width, height = int(w), int(h)
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        return None
    return width - width % 2, height - height % 2


def flavour_of(entry: har.Entry) -> str:
    """ "json" (4a), "msgpack" (4b) or "wma"/"wma-rest" (4c) for one recorded connection."""
    settings = entry.private.get("_rtprobeSettings")
    settings = settings if isinstance(settings, dict) else {}
    for key in ("flavour", "signaling"):
        value = settings.get(key)
        if value in WMA:
            return str(value)
        if isinstance(value, str) and value in FLAVOURS:
            return FLAVOURS[value]
    connection = entry.private.get("_rtprobeConnection")
    negotiated = connection.get("signaling") if isinstance(connection, dict) else None
    if isinstance(negotiated, str):  # "4a-json", "4b-msgpack", "4c-wma", "4c-wma-rest"
        for tail in ("json", "msgpack", *WMA):
            if negotiated.endswith("-" + tail):
                return tail
    binary = any(f.opcode == har.BINARY for f in entry.frames)
    return "msgpack" if binary else "json"


def _picture(item: dict[str, Any]) -> bytes | None:
    text = item.get("pixels")
    if not isinstance(text, str) or len(text) > MAX_PIXEL_BYTES * 4 // 3 + 4:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _frames(entry: har.Entry, session: MediaSession) -> None:
    raw = entry.private.get("_rtprobeFrames")
    items = [x for x in raw if isinstance(x, dict)] if isinstance(raw, list) else []
    session.dropped += (len(raw) if isinstance(raw, list) else 0) - len(items)
    settings = entry.private.get("_rtprobeSettings")
    size = parse_size(settings.get("size")) if isinstance(settings, dict) else None
    size = size or DEFAULT_SIZE
    timed = [(t, i, x) for i, x in enumerate(items) if (t := _num(x.get("time"))) is not None]
    session.dropped += len(items) - len(timed)
    timed.sort(key=lambda item: (item[0], item[1]))
    sent = [t for t, _, x in timed if x.get("direction") == "out"]
    received = [(t, x) for t, _, x in timed if x.get("direction") == "in"]
    session.dropped += len(timed) - len(sent) - len(received)
    if not received:
        return
    session.anchored_on_client = bool(sent)
    anchor = sent[0] if sent else received[0][0]
    _data(entry, session, anchor)
    for t, _, x in timed:
        value = x.get("frameId")
        if (
            x.get("direction") == "out"
            and isinstance(value, int)
            and len(session.sent_at) < MAX_FRAMES
        ):
            session.sent_at.setdefault(value, t - anchor)
    for t, item in received:
        at = t - anchor
        if len(session.frames) >= MAX_FRAMES or at > MAX_SPAN_S:
            session.dropped += 1
            continue
        size = parse_size(item.get("size")) or size
        value = item.get("frameId")
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= marker.MAX_VALUE
        ):
            value = None
        session.frames.append(VideoFrame(max(0.0, at), *size, value, _picture(item)))


def _data(entry: har.Entry, session: MediaSession, anchor: float) -> None:
    """The server's data channel messages (`_rtprobeDataChannel`), timed as the frames."""
    raw = entry.private.get("_rtprobeDataChannel")
    items = [x for x in raw if isinstance(x, dict)] if isinstance(raw, list) else []
    timed = []
    for i, item in enumerate(items):
        t, data = _num(item.get("time")), item.get("data")
        if t is None or not isinstance(data, str) or not 0 <= t - anchor <= MAX_SPAN_S:
            continue
        if item.get("encoding") == "base64":
            try:
                data = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                continue
        timed.append((t - anchor, i, data))
    timed.sort(key=lambda x: (x[0], x[1]))
    session.data = [(at, data) for at, _, data in timed[:MAX_FRAMES]]


def _actions(entry: har.Entry, session: MediaSession) -> None:
    """Each recorded action's action -> frame latency, in the order they were sent."""
    raw = entry.private.get("_rtprobeActions")
    items = [x for x in raw if isinstance(x, dict)] if isinstance(raw, list) else []
    timed = sorted((t, i, x) for i, x in enumerate(items) if (t := _num(x.get("time"))) is not None)
    last = 0.0
    for _, _, item in timed[:MAX_FRAMES]:
        latency = _num(item.get("latencyMs"))
        if latency is not None and 0 <= latency <= MAX_SPAN_S * 1000:
            last = latency / 1000
        session.action_delays.append(last)


def _signaling(entry: har.Entry, session: MediaSession, input_key: Any) -> None:
    """Greetings before the first input; each other input's replies, with their delays."""
    current: tuple[list[tuple[float, dict[str, Any]]], float] | None = None
    offered = False
    for f in entry.frames:
        value = decode_frame(f.data)
        if not isinstance(value, dict) or is_fal_frame(value):
            continue
        kind = value.get("type")
        if f.type == "send":
            offered = True
            if kind in SIGNALING_TYPES:
                current = None
                continue
            current = ([], f.time)
            session.replies.setdefault(input_key(value), []).append(current[0])
        elif kind in SIGNALING_TYPES:
            continue
        elif current is not None:
            current[0].append((max(0.0, f.time - current[1]), value))
        elif not offered and kind != "error":
            session.greetings.append(value)


def media_session(entry: har.Entry, input_key: Any) -> MediaSession:
    """One recorded WebRTC connection as a session to serve (MediaError if it cannot be)."""
    flavour = flavour_of(entry)
    if flavour not in SERVED:
        raise MediaError(
            f"a WebRTC session of the {flavour} flavour cannot be served (fal's deprecated"
            " REST bridge: only its start-session flavour, wma, is)"
        )
    session = MediaSession()
    _frames(entry, session)
    if not session.frames:
        raise MediaError("a WebRTC session with no received video frame to serve")
    _signaling(entry, session, input_key)
    _actions(entry, session)
    if not session.greetings:
        session.greetings = [{"type": "ready"}]
    if session.dropped:
        log.warning(
            "recording: %d frame item(s) of a WebRTC session left out (garbage, or past"
            " %d frames or %.0f s)",
            session.dropped,
            MAX_FRAMES,
            MAX_SPAN_S,
        )
    return session


def route(
    sessions: list[MediaSession],
    flavour: str,
    config: MockConfig,
    tokens: TokenStore,
    input_key: Callable[[Any], str],
) -> Any:
    """The WebSocket endpoint of a recorded WebRTC path: each new connection gets the next
    recorded session in turn, its signaling in the recorded flavour."""
    turn = 0

    async def serve(websocket: WebSocket) -> None:
        nonlocal turn
        from server_mock import webrtc  # aiortc is heavy: load it on first use
        from server_mock.webrtc.recorded import serve_recorded

        if not tokens.allows(websocket.headers, websocket.query_params):
            await websocket.close(1008)
            return
        try:
            faults = Faults.for_session(lambda: config.faults, websocket.query_params)
        except FaultParamError as exc:
            log.info("recording: %s", exc)
            await websocket.close(1008)
            return
        media = sessions[turn % len(sessions)]
        turn += 1
        speed = config.recording_speed
        label = f"recorded webrtc {websocket.url.path}"
        await websocket.accept()
        if flavour == "json":
            channel = webrtc.JsonTextChannel(websocket, label)
            await serve_recorded(channel, faults, media, speed, input_key, UNKNOWN)
            with contextlib.suppress(Exception):
                await websocket.close(1000)
            return
        session = RealtimeSession(
            websocket,
            faults=faults,
            max_message_bytes=config.max_message_bytes,
            session_timeout_s=config.session_timeout_s,
            label=label,
        )

        async def handler(realtime: RealtimeSession) -> None:
            channel = webrtc.MsgpackChannel(realtime)
            await serve_recorded(channel, faults, media, speed, input_key, UNKNOWN)
            if channel.bad_input is not None:
                raise channel.bad_input

        await session.start()
        await run_route(RealtimeRoute(mode="bidi", handler=handler), session, None)

    return serve


def start_path(path: str) -> str:
    """The wma start-session path of a recorded route (`…/webrtc` -> `…/start-session`)."""
    return wma_codec.session_urls(path, "wma")["start"]


def wma_route(sessions: list[MediaSession], config: MockConfig, tokens: TokenStore) -> Any:
    """`POST …/start-session` of a recorded wma path: the mock's wma session (answer
    event, keepalives, connection reports), the next recorded session's video."""
    turn = 0

    async def serve(request: Request) -> Response:
        nonlocal turn
        from server_mock import wma_routes
        from server_mock.webrtc.recorded import RecordedWmaPeer

        if not tokens.allows(request.headers, request.query_params):
            return JSONResponse({"detail": "missing, invalid or expired credentials"}, 401)
        try:
            body = await wma_routes._body(request)
            sdp, _ = wma_codec.parse_offer(body)
        except wma_codec.WmaError as exc:
            return JSONResponse({"detail": str(exc)}, 422)
        media = sessions[turn % len(sessions)]
        turn += 1
        faults = Faults.for_session(lambda: config.faults, {})
        peer = RecordedWmaPeer(faults, media, config.recording_speed)
        try:
            answer = await peer.answer(sdp)
        except Exception as exc:
            await peer.close()
            detail = f"the offer was refused: {type(exc).__name__}: {exc}"
            return JSONResponse({"detail": detail}, 422)
        reply = {"type": "answer", "sdp": answer, "session_id": peer.session_id}
        stream = wma_routes._stream(peer, reply, config.wma_keepalive_s, "", request.app.state)
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream, media_type="text/event-stream", headers=headers)

    return serve
