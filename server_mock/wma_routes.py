"""HTTP side of the `mock/wma` app: both ways fal's wma flavour starts a session (4c).

- `POST /mock/wma/start-session`: a complete offer in, an SSE stream out whose first
  event is the answer, then `: keepalive` comments every `wma_keepalive_s` and
  `event: connection_report` events; the session lives as long as the stream (the
  client closing it ends the session, the session ending closes it);
- the deprecated REST bridge: `POST /mock/wma/session` (offer -> answer JSON),
  `/session/heartbeat` (`{session_id}` -> `{alive}`; a session with no heartbeat for
  `wma_heartbeat_timeout_s` ends) and `/session/close`.

A bad offer gets 422. Credentials (a key header or `fal_jwt_token`) are checked on the
start and on every heartbeat, so an expired token (`rtprobe mock --token-ttl 2`) fails
there. Hostile behaviour for tests, by query parameter `wma_hostile`: `silent` (the
stream never sends an answer), `garbage` (bytes that are not an answer), `flood`
(garbage on the control channel), `close` (the server ends the session after
`wma_close_after_s`). `?wma_frames=N` ends the stream after N frames (`stream_exhausted`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from app.core.codecs import wma as codec
from server_mock.config import MockConfig
from server_mock.faults import Faults

log = logging.getLogger("server_mock")

PATHS = ("start-session", "session", "session/heartbeat", "session/close")
HOSTILE = ("", "silent", "garbage", "flood", "close")
MAX_REST_SESSIONS = 64
MAX_BODY_BYTES = 1 << 20


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


class RestSessions:
    """The REST bridge's live sessions and their last heartbeat (one per mock app)."""

    def __init__(self) -> None:
        self.peers: dict[str, Any] = {}  # session_id -> WmaPeer
        self.beats: dict[str, float] = {}
        self._watch: set[asyncio.Task[None]] = set()

    def add(self, peer: Any, timeout_s: float) -> None:
        self.peers[peer.session_id] = peer
        self.beats[peer.session_id] = time.monotonic()
        task = asyncio.ensure_future(self._watchdog(peer, timeout_s))
        self._watch.add(task)
        task.add_done_callback(self._watch.discard)

    def beat(self, session_id: str) -> bool:
        peer = self.peers.get(session_id)
        if peer is None or peer.ended.is_set():
            return False
        self.beats[session_id] = time.monotonic()
        return True

    async def close(self, session_id: str, reason: str) -> bool:
        peer = self.peers.pop(session_id, None)
        self.beats.pop(session_id, None)
        if peer is None:
            return False
        peer.end(reason)
        await peer.close()
        return True

    async def _watchdog(self, peer: Any, timeout_s: float) -> None:
        sid = peer.session_id
        while not peer.ended.is_set():
            left = self.beats.get(sid, 0.0) + timeout_s - time.monotonic()
            if left <= 0:
                peer.end(f"no heartbeat for {timeout_s:g} s")
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(left, 1.0)):
                    await peer.ended.wait()
        await self.close(sid, peer.end_reason)


async def _body(request: Request) -> object:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise codec.WmaError(f"body of {len(raw):,} bytes over {MAX_BODY_BYTES:,}")
    try:
        return json.loads(raw or b"null")
    except (ValueError, RecursionError):
        raise codec.WmaError("the body is not JSON") from None


def _sse_event(data: dict[str, Any], event: str = "") -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


async def handle(request: Request, path: str) -> Response:
    """One wma HTTP call (`path` is one of `PATHS`)."""
    state = request.app.state
    config: MockConfig = state.config
    if request.method != "POST":
        return _error(405, "use POST")
    if not state.tokens.allows(request.headers, request.query_params):
        return _error(401, "missing, invalid or expired credentials")
    rest: RestSessions = state.wma_rest
    try:
        body = await _body(request)
        if path == "session/heartbeat" or path == "session/close":
            sid = body.get("session_id") if isinstance(body, dict) else None
            if not isinstance(sid, str):
                raise codec.WmaError("session_id must be a string")
            if path == "session/close":
                return JSONResponse({"closed": await rest.close(sid, "closed by the client")})
            return JSONResponse({"alive": rest.beat(sid)})
        sdp, session_id = codec.parse_offer(body)
    except codec.WmaError as exc:
        return _error(422, str(exc))
    q = request.query_params
    hostile = q.get("wma_hostile", "")
    frames = q.get("wma_frames", None if config.wma_frames is None else str(config.wma_frames))
    if hostile not in HOSTILE or (frames is not None and not frames.isdigit()):
        return _error(400, f"wma_hostile must be one of {HOSTILE}, wma_frames an integer")
    from server_mock.webrtc.wma import WmaPeer  # aiortc is heavy: load it on first use

    faults = Faults.for_session(lambda: config.faults, {})
    peer = WmaPeer(
        faults,
        session_id=session_id,
        frames=int(frames) if frames is not None else None,
        hostile=hostile,
    )
    try:
        answer = await peer.answer(sdp)
    except Exception as exc:
        await peer.close()
        return _error(422, f"the offer was refused: {type(exc).__name__}: {exc}")
    if hostile == "close":
        after = float(q.get("wma_close_after_s", "1"))
        asyncio.get_running_loop().call_later(after, peer.end, "closed by the server")
    reply = {"type": "answer", "sdp": answer, "session_id": peer.session_id}
    if path == "session":
        if len(rest.peers) >= MAX_REST_SESSIONS:
            await peer.close()
            return _error(429, f"at most {MAX_REST_SESSIONS} REST sessions at once")
        rest.add(peer, config.wma_heartbeat_timeout_s)
        return JSONResponse(reply)
    return StreamingResponse(
        _stream(peer, reply, config.wma_keepalive_s, hostile, state),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(
    peer: Any, reply: dict[str, Any], keepalive_s: float, hostile: str, state: Any
) -> AsyncIterator[bytes]:
    state.sessions += 1
    try:
        if hostile == "garbage":
            yield b"data: {this is not json\n\nevent: answer\ndata: 42\n\n\xff\xfe\x00\n\n"
        if hostile in ("silent", "garbage"):
            while True:  # never an answer, only keepalives, until the client gives up
                yield b": keepalive\n\n"
                await asyncio.sleep(keepalive_s)
        yield _sse_event(reply)
        while not peer.ended.is_set():
            try:
                async with asyncio.timeout(keepalive_s):
                    report = await _first(peer.reports.get(), peer.ended.wait())
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            if isinstance(report, dict):
                yield _sse_event(report, "connection_report")
        yield _sse_event({"session_id": peer.session_id, "ended": peer.end_reason}, "end")
    finally:
        state.sessions -= 1
        await peer.close()


async def _first(*aws: Any) -> Any:
    """The result of whichever awaitable finishes first; the others are cancelled."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        return next(iter(done)).result()
    finally:
        for t in tasks:
            t.cancel()
