"""The WebRTC client (PROTOCOLS.md 4): signaling over a WebSocket, media over aiortc.

One `WebRtcClient` is one session:

1. open the signaling socket (`open_websocket`: auth, tokens, error translation) and wait
   for `ready` (an `iceservers` message may come first); the flavour, JSON text (4a) or
   msgpack (4b), comes from the `flavour` option or from the first frame received;
2. create the peer connection: on a loopback target no ICE servers at all and 127.0.0.1
   host candidates only (`app.core.transports.loopback`), whatever `iceservers` said; elsewhere
   only the servers the app sent or the caller gave, never a public STUN by default;
3. offer (the client always offers: the source track send-recv for video-to-video, a
   receive-only transceiver for server-generated video), apply the answer, exchange
   trickled `icecandidate` messages, wait for the connection;
4. time every received frame by its marker (`app.core.codecs.marker`):
   - v2v: latency = receive time - send time of that frame id; a repeated id is a
     duplicate (ignored), a gap in ids counts lost frames;
   - generated: the marker is `pack_world(action_id, seq)`; a gap in seq counts lost
     frames and the first frame carrying a new action id resolves the `action`s sent
     up to that id (`ActionResult`: time from `send_action` to that frame).

Jitter-buffer hold (`HoldProbe`): aiortc's video jitter buffer hands a frame to the
decoder only when the first packet of the *next* frame arrives, so every frame waits
about one frame interval on the client. The probe timestamps, per RTP timestamp, the
first packet entering the receiver's jitter buffer and the moment the frame leaves it,
so each frame reports `hold_ns` (release - first packet) beside its end-to-end latency:
latency - hold is the network + server (+ encode/decode) part. See `webrtc_parts.HoldProbe` for how.

Everything foreign is translated into `app.core.errors` with one-line messages, and
`close()` releases everything (peer connection, tracks, tasks, socket, loopback patch).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.stats import RTCStatsReport
from websockets.asyncio.client import ClientConnection

from app.core.codecs import marker
from app.core.errors import (
    AppError,
    ClosedError,
    ConnectError,
    ProbeError,
    ProbeTimeout,
    ProtocolError,
    TargetError,
)
from app.core.media.frames import read_marker
from app.core.media.sources import MarkedSource
from app.core.targets import Target
from app.core.transports.loopback import (
    is_loopback_address,
    keep_loopback_candidates,
    rtc_configuration,
    use_loopback_candidates,
)
from app.core.transports.webrtc_parts import (
    Flavour,
    HoldProbe,
    Signaling,
    StatsState,
    now_ns,
    one_line,
    parse_candidate,
    parse_ice_servers,
    split_error,
    stats_values,
)
from app.core.transports.wsbase import WsOptions, open_websocket

Mode = Literal["v2v", "generated"]
FATAL_PHASES = ("offer_failed", "ice_failed", "frame_failed")
PEER_END_GRACE_S = 0.5  # wait this long for the signaling to explain a closed connection
_ACTION_MASK = (1 << marker.WORLD_ACTION_BITS) - 1
_SEQ_MASK = (1 << marker.WORLD_SEQ_BITS) - 1


def default_mode(target: Target) -> Mode:
    """World models generate the video; everything else processes ours."""
    path = urlsplit(target.url).path.lower()
    return "generated" if any(w in path for w in ("world", "matrix")) else "v2v"


def is_loopback_target(target: Target) -> bool:
    host = urlsplit(target.url).hostname or ""
    return host == "localhost" or is_loopback_address(host)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class FrameInfo:
    """One received (decoded) frame."""

    t_ns: int
    value: int | None  # the marker as read; None when absent or unreadable
    latency_ns: int | None  # v2v: receive - send of this frame id (fresh frames only)
    hold_ns: int | None  # of which aiortc's jitter buffer held it (first packet -> release)
    decode_ns: int | None  # release -> delivered to us (decoder thread and loop hop)
    width: int
    height: int
    duplicate: bool = False  # a marker already seen (encoder skipped it, or a paused scene)
    lost_before: int = 0  # frames missing just before this one
    action_id: int | None = None  # generated: the last action the frame reflects


@dataclass(frozen=True, slots=True)
class ActionResult:
    """An `action` message and the first frame that reflected it (None: none yet)."""

    index: int  # 0-based, in sending order
    action: str
    sent_ns: int
    done_ns: int | None

    @property
    def latency_ns(self) -> int | None:
        return None if self.done_ns is None else self.done_ns - self.sent_ns


@dataclass(frozen=True, slots=True)
class DataMessage:
    """A data channel message; yolo-style detections `{"frame": id, …}` are timed."""

    t_ns: int
    label: str
    data: Any  # decoded JSON when it is JSON text, else the raw str/bytes
    size: int
    frame_id: int | None = None
    latency_ns: int | None = None  # receive - send time of that frame id


@dataclass
class Timings:
    """Set-up milestones (perf_counter ns); `values()` turns them into milliseconds."""

    start_ns: int = 0
    socket_ns: int | None = None
    ready_ns: int | None = None
    offer_ns: int | None = None
    answer_ns: int | None = None
    connected_ns: int | None = None
    first_frame_ns: int | None = None

    def values(self) -> dict[str, float]:
        def ms(a: int | None, b: int | None) -> float | None:
            return None if a is None or b is None else round((b - a) / 1e6, 3)

        pairs = {
            "signaling_open_ms": ms(self.start_ns, self.socket_ns),
            "ready_ms": ms(self.start_ns, self.ready_ns),
            "answer_ms": ms(self.offer_ns, self.answer_ns),
            "ice_dtls_ms": ms(self.answer_ns, self.connected_ns),
            "time_to_connected_ms": ms(self.start_ns, self.connected_ns),
            "time_to_first_frame_ms": ms(self.start_ns, self.first_frame_ns),
        }
        return {k: v for k, v in pairs.items() if v is not None}


@dataclass
class FrameCounters:
    received: int = 0  # decoded frames delivered
    fresh: int = 0  # with a marker not seen before
    duplicates: int = 0
    unreadable: int = 0  # no readable marker
    lost: int = 0  # gaps in frame ids (v2v) or in the scene's seq (generated)
    timed: int = 0  # fresh frames matched to a send time
    detections: int = 0  # data channel messages


@dataclass
class Hooks:
    """Callbacks, all optional and called on the event loop; keep them cheap."""

    on_frame: Callable[[FrameInfo], None] | None = None
    on_action: Callable[[ActionResult], None] | None = None
    on_signaling: Callable[[str, dict[str, Any], int], None] | None = None  # dir, msg, size
    on_data: Callable[[DataMessage], None] | None = None
    on_problem: Callable[[ProbeError], None] | None = None  # non-fatal (bad_message, …)


@dataclass(frozen=True)
class WebRtcOptions:
    mode: Mode | None = None  # None: from the target's path (world/matrix -> generated)
    flavour: Flavour | None = None  # None: detected from the first frame received
    data_channel: bool = False
    data_channel_label: str = "detections"
    trickle: bool = False  # also send our candidates as `icecandidate` (they are in the SDP)
    connect_timeout_s: float = 10.0  # each of: ready, answer, connected
    ice_servers: tuple[RTCIceServer, ...] = ()  # non-loopback targets only
    use_server_ice: bool = True  # use an `iceservers` message (non-loopback targets only)


# --------------------------------------------------------------------------- the client


class WebRtcClient:
    """One signaling session and peer connection; see the module docstring."""

    def __init__(
        self,
        target: Target,
        *,
        ws_options: WsOptions | None = None,
        options: WebRtcOptions | None = None,
        source: MarkedSource | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        self.target = target
        self.ws_options = ws_options or WsOptions()
        self.options = options or WebRtcOptions()
        self.mode: Mode = self.options.mode or default_mode(target)
        if self.mode not in ("v2v", "generated"):
            raise TargetError(f"WebRTC mode {self.mode!r} must be v2v or generated")
        if self.mode == "v2v" and source is None:
            raise TargetError("video-to-video needs a video source")
        self.source = source if self.mode == "v2v" else None
        self.hooks = hooks or Hooks()
        self.loopback = is_loopback_target(target)
        self.timings = Timings()
        self.counters = FrameCounters()
        self.ice_servers_offered: list[RTCIceServer] = []  # from an `iceservers` message
        self.offer_sdp = ""
        self.answer_sdp = ""
        self.paused: bool | None = None  # as last acknowledged by the server
        self.ended = asyncio.Event()
        self.error: ProbeError | None = None  # why the session ended, if it failed
        self.end_reason = ""
        self.pc: RTCPeerConnection | None = None
        self.signaling: Signaling | None = None
        self.datachannel: RTCDataChannel | None = None
        self._ws: ClientConnection | None = None
        self._stack = contextlib.ExitStack()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._answer: asyncio.Future[dict[str, Any]] | None = None
        self._connected = asyncio.Event()
        self._pause_acked = asyncio.Event()
        self._probes: list[HoldProbe] = []
        self._video: MediaStreamTrack | None = None
        self._closing = False
        self._closed = False
        self._last_id = (source.first_id - 1) if source is not None else 0
        self._last_seq: int | None = None
        self._unread = 0  # unreadable frames since the last readable one
        self._last_action: int | None = None
        self._actions: deque[ActionResult] = deque()  # sent, not yet reflected
        self._actions_sent = 0
        self._stats = StatsState()

    # -- public ------------------------------------------------------------------------
    @property
    def flavour(self) -> Flavour | None:
        return self.signaling.flavour if self.signaling else self.options.flavour

    @property
    def hold_measured(self) -> bool:
        return any(p.installed for p in self._probes)

    async def connect(self) -> None:
        """Signaling, offer/answer, ICE and DTLS; raises a ProbeError (and cleans up)."""
        self.timings.start_ns = now_ns()
        try:
            await self._connect()
        except ProbeError:
            await self.close()
            raise
        except asyncio.CancelledError:
            await self.close()
            raise
        except Exception as exc:
            await self.close()
            raise ConnectError(
                f"{self.target.display}: {type(exc).__name__}: {one_line(exc)}"
            ) from None

    async def send_action(self, action: str) -> int:
        """Send an `action` (e.g. "w u"); returns its index. Resolved via `hooks.on_action`."""
        index = self._actions_sent
        self._actions_sent += 1
        pending = ActionResult(index, action, now_ns(), None)
        self._actions.append(pending)
        await self._send({"type": "action", "action": action})
        return index

    async def send_message(self, message: dict[str, Any]) -> None:
        """Send any signaling message as is (the inspector, custom app messages)."""
        await self._send(message)

    async def pause(self, paused: bool, timeout_s: float = 5.0) -> None:
        """Send `pause` and wait for the server's acknowledgement."""
        self._pause_acked.clear()
        await self._send({"type": "pause", "paused": paused})
        await self._until(self._pause_acked.wait(), "the pause acknowledgement", timeout_s)

    def expire_actions(self, older_than_ns: int) -> list[ActionResult]:
        """Pending actions sent before `older_than_ns`, removed and returned (done_ns None)."""
        out = []
        while self._actions and self._actions[0].sent_ns < older_than_ns:
            out.append(self._actions.popleft())
        return out

    @property
    def pending_actions(self) -> int:
        return len(self._actions)

    def frames_in_flight_lost(self, grace_ns: int) -> int:
        """v2v at the end: frames sent more than `grace_ns` ago that never came back."""
        src = self.source
        if src is None:
            return 0
        cutoff = now_ns() - grace_ns
        lost = 0
        for frame_id in range(self._last_id + 1, src.last_id + 1):
            t = src.sent.get(frame_id)
            if t is not None and t < cutoff:
                lost += 1
        return lost

    async def stats(self) -> dict[str, Any]:
        """getStats figures plus the frame counters; rates are since the previous call."""
        values: dict[str, Any] = {}
        now = now_ns()
        if self.pc is not None and not self._closed:
            try:
                report = await self.pc.getStats()
            except Exception:  # a closing peer connection: counters only
                report = RTCStatsReport()
            values = stats_values(report, self._stats, now)
        c, prev = self.counters, self._stats
        dt = (now - prev.t_ns) / 1e9 if prev.t_ns else 0.0
        sent = self.source.frames_sent if self.source else 0
        if dt > 0:
            values["fps_in"] = round((c.received - prev.frames_in) / dt, 2)
            if self.source is not None:
                values["fps_out"] = round((sent - prev.frames_out) / dt, 2)
        prev.t_ns, prev.frames_in, prev.frames_out = now, c.received, sent
        values.update(
            frames_decoded=c.received,
            frames_sent=sent,
            frames_lost=c.lost,
            frames_duplicate=c.duplicates,
            frames_unreadable=c.unreadable,
        )
        if self.options.data_channel:
            values["detections"] = c.detections
        return values

    def info(self) -> dict[str, Any]:
        """What the connection is, for a summary's `connection` block."""
        return {
            "transport": "webrtc",
            "signaling": {"json": "4a-json", "msgpack": "4b-msgpack"}.get(self.flavour or "", "?"),
            "mode": self.mode,
            "loopback": self.loopback,
            "hold_measured": self.hold_measured,
            "data_channel": self.options.data_channel,
            **self.timings.values(),
        }

    async def close(self) -> None:
        """Idempotent: peer connection, tracks, tasks, socket, loopback patch."""
        if self._closed:
            return
        self._closing = self._closed = True
        if not self.ended.is_set():
            self.end_reason = self.end_reason or "closed by the client"
            self.ended.set()
        if self.source is not None:
            self.source.stop()
        if self.pc is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.pc.close(), 5)
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for probe in self._probes:
            probe.uninstall()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 2)
        self._stack.close()

    # -- connecting --------------------------------------------------------------------
    async def _connect(self) -> None:
        opts = self.options
        self._ws = await open_websocket(self.target, self.ws_options)
        self.timings.socket_ns = now_ns()
        path = urlsplit(self.target.url).path
        fallback: Flavour = "msgpack" if path.rstrip("/").endswith("/realtime") else "json"
        self.signaling = Signaling(self._ws, opts.flavour, fallback)
        await self._wait_ready()
        self.timings.ready_ns = now_ns()

        if self.loopback:
            self._stack.enter_context(use_loopback_candidates())
            config = rtc_configuration()
        else:
            servers = list(opts.ice_servers)
            if opts.use_server_ice:
                servers += self.ice_servers_offered
            config = RTCConfiguration(iceServers=servers)
        self.pc = pc = RTCPeerConnection(config)
        pc.on("connectionstatechange", self._on_state)
        pc.on("track", self._on_track)
        if self.source is not None:
            pc.addTrack(self.source)
        else:
            pc.addTransceiver("video", direction="recvonly")
        for transceiver in pc.getTransceivers():
            if transceiver.kind == "video":
                self._probes.append(HoldProbe(transceiver.receiver))
        if opts.data_channel:
            self.datachannel = pc.createDataChannel(opts.data_channel_label)
            self.datachannel.on("message", self._on_data)

        await pc.setLocalDescription(await pc.createOffer())
        self.offer_sdp = pc.localDescription.sdp
        self._answer = asyncio.get_running_loop().create_future()
        self._spawn(self._read_signaling())
        self.timings.offer_ns = now_ns()
        await self._send({"type": "offer", "sdp": self.offer_sdp})
        if opts.trickle:
            await self._trickle_own_candidates()

        answer = await self._until(self._answer, "an answer", opts.connect_timeout_s)
        self.timings.answer_ns = now_ns()
        sdp = answer.get("sdp")
        if not isinstance(sdp, str) or not sdp.strip():
            raise ProtocolError("the answer has no sdp string")
        if self.loopback:
            sdp, _removed = keep_loopback_candidates(sdp)
        self.answer_sdp = sdp
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except Exception as exc:
            raise ProtocolError(
                f"the answer was refused: {type(exc).__name__}: {one_line(exc)}"
            ) from None
        await self._until(self._connected.wait(), "ICE/DTLS connection", opts.connect_timeout_s)
        self.timings.connected_ns = now_ns()

    async def _wait_ready(self) -> None:
        assert self.signaling is not None
        timeout = self.options.connect_timeout_s
        try:
            async with asyncio.timeout(timeout):
                while True:
                    message, size = await self.signaling.recv()
                    self._hook_signaling("in", message, size)
                    kind = message.get("type")
                    if kind == "ready":
                        return
                    if kind == "iceservers":
                        self.ice_servers_offered = parse_ice_servers(message.get("iceservers"))
                    elif kind in ("error", "x-fal-error", "stream_exhausted"):
                        await self._dispatch(message)
                        if self.ended.is_set():
                            raise self.error or ClosedError(
                                f"the session ended before ready: {self.end_reason}"
                            )
        except TimeoutError:
            raise ProbeTimeout(
                f"{self.target.display}: no 'ready' message within {timeout:g} s"
            ) from None
        except ClosedError as exc:
            raise ClosedError(f"signaling closed before 'ready': {exc}", exc.code) from None

    async def _trickle_own_candidates(self) -> None:
        """Send each candidate of our SDP as an `icecandidate`, then end-of-candidates."""
        assert self.pc is not None
        mid, index = None, -1
        for line in self.offer_sdp.splitlines():
            if line.startswith("m="):
                index += 1
                mid = None
            elif line.startswith("a=mid:"):
                mid = line[6:].strip()
            elif line.startswith("a=candidate:"):
                payload = {"candidate": line[2:], "sdpMid": mid, "sdpMLineIndex": max(0, index)}
                await self._send({"type": "icecandidate", "candidate": payload})
        await self._send({"type": "icecandidate", "candidate": None})

    async def _until(self, aw: Any, what: str, timeout_s: float) -> Any:
        """Await `aw`, unless the session ends first (raise why) or `timeout_s` passes."""
        task = asyncio.ensure_future(aw)
        ended = asyncio.ensure_future(self.ended.wait())
        try:
            done, _ = await asyncio.wait(
                {task, ended}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            ended.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if task in done:
            return task.result()
        if self.ended.is_set():
            raise self.error or ClosedError(f"the session ended before {what}: {self.end_reason}")
        raise ProbeTimeout(f"{self.target.display}: no {what} within {timeout_s:g} s")

    # -- signaling after ready ---------------------------------------------------------
    async def _send(self, message: dict[str, Any]) -> None:
        if self.signaling is None or self._closed:
            raise ClosedError("the WebRTC session is closed")
        size = await self.signaling.send(message)
        self._hook_signaling("out", message, size)

    def _hook_signaling(self, direction: str, message: dict[str, Any], size: int) -> None:
        if self.hooks.on_signaling is not None:
            self.hooks.on_signaling(direction, message, size)

    async def _read_signaling(self) -> None:
        assert self.signaling is not None
        while not self._closing:
            try:
                message, size = await self.signaling.recv()
            except ClosedError as exc:
                if exc.code == 1000:
                    self._end(None, "the server closed the signaling socket")
                else:
                    self._end(exc)
                return
            except ProtocolError as exc:
                self._problem(exc)
                continue
            except Exception as exc:  # a bug here must end the session, not hide
                self._end(ProtocolError(f"signaling failed: {type(exc).__name__}: {one_line(exc)}"))
                return
            self._hook_signaling("in", message, size)
            await self._dispatch(message)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "answer":
            if self._answer is not None and not self._answer.done():
                self._answer.set_result(message)
        elif kind == "icecandidate":
            await self._on_remote_candidate(message.get("candidate"))
        elif kind == "pause":
            paused = message.get("paused")
            self.paused = paused if isinstance(paused, bool) else None
            self._pause_acked.set()
        elif kind == "error":
            phase, reason = split_error(message.get("error", ""))
            error = AppError(phase, reason)
            if phase in FATAL_PHASES or phase == "error":
                self._end(error)
            else:  # bad_message and friends: the server carries on
                self._problem(error)
        elif kind == "stream_exhausted":
            self._end(None, "stream_exhausted")
        elif kind == "x-fal-error":
            code, reason = (
                str(message.get("error", "UNKNOWN_ERROR")),
                one_line(str(message.get("reason") or "")),
            )
            if code == "TIMEOUT":
                self._end(None, "TIMEOUT (the server ended the session)")
            else:
                self._end(AppError(code, reason))

    async def _on_remote_candidate(self, raw: object) -> None:
        if self.pc is None:
            return
        try:
            candidate = parse_candidate(raw)
        except ProtocolError as exc:
            self._problem(exc)
            return
        if candidate is not None and self.loopback and not is_loopback_address(candidate.ip):
            return  # never send connectivity checks off the machine
        try:
            await self.pc.addIceCandidate(candidate)
        except Exception as exc:
            self._problem(ProtocolError(f"icecandidate refused: {one_line(exc)}"))

    def _problem(self, exc: ProbeError) -> None:
        if self.hooks.on_problem is not None:
            self.hooks.on_problem(exc)

    def _end(self, error: ProbeError | None, reason: str = "") -> None:
        if self.ended.is_set():
            return
        self.error = error
        self.end_reason = reason or (str(error) if error else "ended")
        self.ended.set()

    def _on_state(self) -> None:
        pc = self.pc
        if pc is None or self._closing:
            return
        state = pc.connectionState
        if state == "connected":
            self._connected.set()
        elif state in ("failed", "closed", "disconnected"):
            if self._connected.is_set():
                # a server that ends the session closes its peer connection around the
                # time it says why (stream_exhausted, TIMEOUT): let the reason win
                self._spawn(self._end_later(ClosedError(f"peer connection {state}")))
            else:
                self._end(ConnectError(f"{self.target.display}: ICE/DTLS {state}"))

    async def _end_later(self, error: ProbeError) -> None:
        await asyncio.sleep(PEER_END_GRACE_S)
        self._end(error)

    # -- media -------------------------------------------------------------------------
    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "video" and self._video is None:
            self._video = track
            self._spawn(self._receive_frames(track))
        else:
            self._spawn(self._drain(track))

    @staticmethod
    async def _drain(track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()

    async def _receive_frames(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                self._on_frame(frame, now_ns())
        except MediaStreamError:
            if not self._closing:
                self._end(None, "the remote video track ended")
        except Exception as exc:  # a bug in our frame handling must not pass silently
            self._end(
                ProtocolError(f"frame handling failed: {type(exc).__name__}: {one_line(exc)}")
            )

    def _hold(self, pts: int | None, t: int) -> tuple[int | None, int | None]:
        for probe in self._probes:
            if probe.active:
                timed = probe.take(pts)
                if timed is not None:
                    first, release = timed
                    return release - first, t - release
        return None, None

    def _on_frame(self, frame: Any, t: int) -> None:
        c = self.counters
        c.received += 1
        if self.timings.first_frame_ns is None:
            self.timings.first_frame_ns = t
        value = read_marker(frame)
        hold, decode = self._hold(frame.pts, t)
        latency = None
        duplicate = False
        lost = 0
        action_id = None
        if value is None:
            c.unreadable += 1
            self._unread += 1  # not lost: received with its marker spoilt
        elif self.mode == "v2v":
            assert self.source is not None
            if value <= self._last_id:
                duplicate = True
            else:
                lost = value - self._last_id - 1
                self._last_id = value
                lost, self._unread = max(0, lost - self._unread), 0
                sent = self.source.sent.get(value)
                if sent is not None:
                    latency = t - sent
                    c.timed += 1
        else:
            action_id, seq = marker.unpack_world(value)
            if self._last_seq is not None:
                step = (seq - self._last_seq) & _SEQ_MASK
                if step == 0 or step > _SEQ_MASK // 2:
                    duplicate = True
                else:
                    lost, self._unread = max(0, step - 1 - self._unread), 0
            if not duplicate:
                self._last_seq = seq
            if action_id != self._last_action:
                self._last_action = action_id
                self._resolve_actions(action_id, t)
        if duplicate:
            c.duplicates += 1
        elif value is not None:
            c.fresh += 1
        c.lost += lost
        if self.hooks.on_frame is not None:
            self.hooks.on_frame(
                FrameInfo(
                    t_ns=t,
                    value=value,
                    latency_ns=latency,
                    hold_ns=hold,
                    decode_ns=decode,
                    width=frame.width,
                    height=frame.height,
                    duplicate=duplicate,
                    lost_before=lost,
                    action_id=action_id,
                )
            )

    def _resolve_actions(self, action_id: int, t: int) -> None:
        """The scene applied every action up to `action_id` (1-based, 12-bit wrap)."""
        while self._actions:
            pending = self._actions[0]
            expected = (pending.index + 1) & _ACTION_MASK
            if (action_id - expected) & _ACTION_MASK > _ACTION_MASK // 2:
                return  # not reached yet
            self._actions.popleft()
            done = ActionResult(pending.index, pending.action, pending.sent_ns, t)
            if self.hooks.on_action is not None:
                self.hooks.on_action(done)

    def _on_data(self, data: str | bytes) -> None:
        t = now_ns()
        self.counters.detections += 1
        size = len(data.encode()) if isinstance(data, str) else len(data)
        value: Any = data
        frame_id = latency = None
        if isinstance(data, str):
            with contextlib.suppress(ValueError):
                value = json.loads(data)
        if isinstance(value, dict) and isinstance(value.get("frame"), int):
            frame_id = value["frame"]
            if self.source is not None:
                sent = self.source.sent.get(frame_id)
                latency = None if sent is None else t - sent
        if self.hooks.on_data is not None:
            label = self.datachannel.label if self.datachannel else ""
            self.hooks.on_data(DataMessage(t, label, value, size, frame_id, latency))


__all__ = [
    "ActionResult",
    "DataMessage",
    "FrameCounters",
    "FrameInfo",
    "HoldProbe",
    "Hooks",
    "Signaling",
    "Timings",
    "WebRtcClient",
    "WebRtcOptions",
    "default_mode",
    "is_loopback_target",
    "parse_candidate",
    "parse_ice_servers",
]
