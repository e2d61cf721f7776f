"""The WebRTC client: signaling over a WebSocket, media over aiortc. One `WebRtcClient`
is one session:

1. open the signaling socket (`open_websocket`: auth, tokens, error translation) and wait
   for `ready` (an `iceservers` message may come first); the flavour, JSON text (4a) or
   msgpack (4b), comes from the `flavour` option or from the first frame received;
2. create the peer connection: on a loopback target no ICE servers and 127.0.0.1 host
   candidates only (`loopback`); elsewhere only the servers the app sent or the caller
   gave, never a public STUN by default;
3. offer (always: the source track send-recv for video-to-video, a receive-only
   transceiver for generated video), apply the answer, exchange trickled
   `icecandidate` messages, wait for the connection;
4. time every received frame by its marker (`webrtc_marker`), counting duplicates, lost
   frames and the actions a generated scene reflects (`webrtc_frames`), and the jitter
   buffer's hold (`webrtc_parts.HoldProbe`); frames leave it on their RTP marker bit
   unless told otherwise (`webrtc_jitter`).

Signaling messages are `app.core.codecs.webrtc` (shared with the mock); foreign errors
become one-line `app.core.errors`; `close()` releases everything it made.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

from aiortc import (
    MediaStreamTrack,
    RTCDataChannel,
    RTCIceServer,
    RTCPeerConnection,
)
from aiortc.mediastreams import MediaStreamError
from websockets.asyncio.client import ClientConnection

from app.core.codecs import webrtc as signaling_codec
from app.core.codecs.webrtc import (
    Flavour,
    SignalingError,
    parse_candidate,
    parse_ice_servers,
    sdp_candidates,
)
from app.core.errors import (
    ClosedError,
    ConnectError,
    ProbeError,
    ProbeTimeout,
    ProtocolError,
    TargetError,
)
from app.core.media.frames import read_marker
from app.core.media.sources import MarkedSource
from app.core.network.mock_session import session_id
from app.core.targets import Target
from app.core.text import one_line
from app.core.transports.loopback import (
    is_loopback_address,
)
from app.core.transports.webrtc_frames import (
    ActionResult,
    DataMessage,
    FrameCounters,
    FrameInfo,
    FrameTracker,
    Mode,
    Timings,
)
from app.core.transports.webrtc_jitter import release_rule
from app.core.transports.webrtc_network import PeerTap
from app.core.transports.webrtc_options import (
    Hooks,
    WebRtcOptions,
    default_mode,
    is_loopback_target,
)
from app.core.transports.webrtc_parts import (
    HoldProbe,
    Signaling,
    StatsState,
    drain,
    frame_values,
    now_ns,
    peer_stats,
    server_verdict,
    take_hold,
    until,
)
from app.core.transports.webrtc_peer import apply_answer, new_peer
from app.core.transports.wsbase import WsOptions, open_websocket

PEER_END_GRACE_S = 0.5  # wait this long for the signaling to explain a closed connection


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
        self.tracker = FrameTracker(self.mode, self.source)
        self.counters: FrameCounters = self.tracker.counters
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
        self._stats = StatsState()
        self.tap = PeerTap(self.options.network)  # impairments + RTCP feedback counters
        self.mock_session: str | None = None  # the rtprobe mock's id of this session

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
        index = self.tracker.action_sent(action, now_ns())
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
        return self.tracker.expire_actions(older_than_ns)

    @property
    def pending_actions(self) -> int:
        return self.tracker.pending_actions

    def frames_in_flight_lost(self, grace_ns: int) -> int:
        """v2v at the end: frames sent more than `grace_ns` ago that never came back."""
        return self.tracker.frames_in_flight_lost(now_ns() - grace_ns)

    async def stats(self) -> dict[str, Any]:
        """getStats figures plus the frame counters; rates are since the previous call."""
        now = now_ns()
        pc = None if self._closed else self.pc
        values = await peer_stats(pc, self._stats, now) if pc is not None else {}
        sent = self.source.frames_sent if self.source is not None else None
        values.update(frame_values(self.counters, self._stats, now, sent), **self.tap.values())
        if self.options.data_channel:
            values["detections"] = self.counters.detections
        return values

    def info(self) -> dict[str, Any]:
        """What the connection is, for a summary's `connection` block."""
        return {
            "transport": "webrtc",
            "signaling": signaling_codec.flavour_name(self.flavour),
            "mode": self.mode,
            "loopback": self.loopback,
            "hold_measured": self.hold_measured,
            "jitter_release": release_rule(p.receiver for p in self._probes),
            "data_channel": self.options.data_channel,
            **({"mock_session": self.mock_session} if self.mock_session else {}),
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
        self.tap.close()
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
        response = getattr(self._ws, "response", None)
        self.mock_session = session_id(getattr(response, "headers", None))
        fallback = signaling_codec.default_flavour(urlsplit(self.target.url).path)
        self.signaling = Signaling(self._ws, opts.flavour, fallback)
        await self._wait_ready()
        self.timings.ready_ns = now_ns()

        pc = new_peer(self, self.ice_servers_offered)
        if opts.data_channel:
            self.datachannel = pc.createDataChannel(opts.data_channel_label)
            self.datachannel.on("message", self._on_data)

        await pc.setLocalDescription(await pc.createOffer())
        self.tap.attach(pc)
        self.offer_sdp = pc.localDescription.sdp
        self._answer = asyncio.get_running_loop().create_future()
        self._spawn(self._read_signaling())
        self.timings.offer_ns = now_ns()
        await self._send({"type": "offer", "sdp": self.offer_sdp})
        if opts.trickle:  # the candidates are in the offer too; send each, then the end
            for payload in sdp_candidates(self.offer_sdp):
                await self._send({"type": "icecandidate", "candidate": payload})
            await self._send({"type": "icecandidate", "candidate": None})

        answer = await self._until(self._answer, "an answer", opts.connect_timeout_s)
        self.timings.answer_ns = now_ns()
        sdp = answer.get("sdp")
        if not isinstance(sdp, str) or not sdp.strip():
            raise ProtocolError("the answer has no sdp string")
        await apply_answer(self, pc, sdp)
        await self._until(self._connected.wait(), "the ICE/DTLS connection", opts.connect_timeout_s)
        self.timings.connected_ns = now_ns()

    async def _wait_ready(self) -> None:
        assert self.signaling is not None
        timeout = self.options.connect_timeout_s
        try:
            async with asyncio.timeout(timeout):
                while True:
                    message, size, frame = await self.signaling.recv()
                    self._hook_signaling("in", message, size, frame)
                    kind = message.get("type")
                    if kind == "ready":
                        return
                    if kind == "iceservers":
                        self.ice_servers_offered = parse_ice_servers(message.get("iceservers"))
                    elif server_verdict(message) is not None:
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

    async def _until(self, aw: Any, what: str, timeout_s: float) -> Any:
        """Await `aw`, unless the session ends first (raise why) or `timeout_s` passes."""
        done, result = await until(aw, self.ended, timeout_s)
        if done:
            return result
        if self.ended.is_set():
            raise self.error or ClosedError(f"the session ended before {what}: {self.end_reason}")
        raise ProbeTimeout(
            f"{self.target.display}: gave up waiting for {what} after {timeout_s:g} s"
        )

    # -- signaling after ready ---------------------------------------------------------
    async def _send(self, message: dict[str, Any]) -> None:
        if self.signaling is None or self._closed:
            raise ClosedError("the WebRTC session is closed")
        size, frame = await self.signaling.send(message)
        self._hook_signaling("out", message, size, frame)

    def _hook_signaling(
        self, direction: str, message: dict[str, Any], size: int, raw: str | bytes
    ) -> None:
        if self.hooks.on_signaling is not None:
            self.hooks.on_signaling(direction, message, size, raw)

    async def _read_signaling(self) -> None:
        assert self.signaling is not None
        while not self._closing:
            try:
                message, size, frame = await self.signaling.recv()
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
            self._hook_signaling("in", message, size, frame)
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
        elif (verdict := server_verdict(message)) is not None:
            if verdict.ends:
                self._end(verdict.error, verdict.reason)
            elif verdict.error is not None:  # bad_message and friends: the server goes on
                self._problem(verdict.error)

    async def _on_remote_candidate(self, raw: object) -> None:
        if self.pc is None:
            return
        try:
            candidate = parse_candidate(raw)
        except SignalingError as exc:
            self._problem(ProtocolError(str(exc)))
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
            self._spawn(drain(track))

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

    def _on_frame(self, frame: Any, t: int) -> None:
        if self.timings.first_frame_ns is None:
            self.timings.first_frame_ns = t
        hold, decode = take_hold(self._probes, frame.pts, t)
        info, resolved = self.tracker.track(
            read_marker(frame),
            t,
            width=frame.width,
            height=frame.height,
            hold_ns=hold,
            decode_ns=decode,
        )
        if self.hooks.on_action is not None:
            for done in resolved:
                self.hooks.on_action(done)
        if self.hooks.on_frame is not None:
            self.hooks.on_frame(info)

    def _on_data(self, data: str | bytes) -> None:
        label = self.datachannel.label if self.datachannel else ""
        message = self.tracker.data(data, now_ns(), label)
        if self.hooks.on_data is not None:
            self.hooks.on_data(message)


# fmt: off
__all__ = [
    "ActionResult", "DataMessage", "FrameCounters", "FrameInfo", "HoldProbe", "Hooks", "Mode",
    "Signaling", "Timings", "WebRtcClient", "WebRtcOptions", "default_mode", "is_loopback_target",
]
# fmt: on
