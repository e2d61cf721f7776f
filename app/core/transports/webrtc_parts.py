"""Pieces of the WebRTC client that need no peer connection state.

- `HoldProbe`: times the receive jitter buffer per frame (a scoped, documented wrap of
  two private receiver objects), and `take_hold` says how long: from a frame's first
  packet to its release, the packets' spread with marker release (`webrtc_jitter`),
  about one frame interval more with aiortc's own next-frame release;
- `drain` and `until`: the two small task helpers the session needs;
- `Signaling`: signaling messages over one WebSocket, JSON text (4a) or msgpack (4b),
  with the flavour detected from the first frame (the messages themselves are
  `app.core.codecs.webrtc`, shared with the mock), and `server_verdict`: what a
  server's `error`, `stream_exhausted` or `x-fal-error` means for the session;
- `stats_values` and `frame_values`: aiortc getStats reports and the frame counters
  flattened into StatsSnapshot values.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import websockets
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCRtpReceiver
from aiortc.mediastreams import MediaStreamError
from aiortc.stats import RTCStatsReport
from websockets.asyncio.client import ClientConnection

from app.core.codecs import fal_frames
from app.core.codecs import webrtc as signaling
from app.core.codecs.webrtc import Flavour, SignalingError
from app.core.errors import AppError, ProbeError, ProtocolError
from app.core.events import now_ns
from app.core.text import one_line
from app.core.transports.webrtc_frames import FrameCounters
from app.core.transports.wsbase import closed_error

MAX_TRACKED_TIMESTAMPS = 256
RTP_VIDEO_CLOCK_HZ = 90_000


# --------------------------------------------------------------------------- hold probe


class HoldProbe:
    """How long aiortc's jitter buffer holds each frame, for one `RTCRtpReceiver`.

    aiortc 1.16 has no hook for this, so the probe wraps two private objects of this
    receiver only (instance attributes that shadow the methods; `uninstall()` removes
    them): the jitter buffer's `add(packet)` records when the first packet of each RTP
    timestamp arrives, and the timestamp mapper's `map(ts)`, which the receiver calls
    exactly when a complete frame leaves the jitter buffer for the decoder, records the
    release and the decoder-side pts (the mapped timestamp, which the decoded frame keeps).
    If aiortc renames those attributes the probe stays inactive and holds read as None.
    """

    def __init__(self, receiver: RTCRtpReceiver) -> None:
        self.receiver = receiver
        self._jb = getattr(receiver, "_RTCRtpReceiver__jitter_buffer", None)
        self._mapper = getattr(receiver, "_RTCRtpReceiver__timestamp_mapper", None)
        self._first: dict[int, int] = {}  # rtp timestamp -> first packet ns
        self._released: dict[int, tuple[int, int]] = {}  # pts -> (first packet, release)
        self.active = callable(getattr(self._jb, "add", None)) and callable(
            getattr(self._mapper, "map", None)
        )
        self.installed = self.active  # stays True after uninstall(), for reports
        if not self.active:
            return
        jb, timestamps = self._jb, self._mapper
        assert jb is not None and timestamps is not None  # `active` checked both
        add, mapper = jb.add, timestamps.map
        first, released = self._first, self._released

        def timed_add(packet: Any) -> Any:
            ts = packet.timestamp
            if ts not in first:
                first[ts] = now_ns()
                if len(first) > MAX_TRACKED_TIMESTAMPS:
                    for stale in list(first)[: MAX_TRACKED_TIMESTAMPS // 2]:
                        del first[stale]
            return add(packet)

        def timed_map(timestamp: int) -> int:
            pts = mapper(timestamp)
            arrived = first.pop(timestamp, None)
            if arrived is not None:
                released[pts] = (arrived, now_ns())
                if len(released) > MAX_TRACKED_TIMESTAMPS:
                    for stale in list(released)[: MAX_TRACKED_TIMESTAMPS // 2]:
                        del released[stale]
            return pts

        jb.add = timed_add  # aiortc's private objects, found above with getattr (Any)
        timestamps.map = timed_map

    def take(self, pts: int | None) -> tuple[int, int] | None:
        """(first packet ns, release ns) of the frame with this pts, once."""
        if pts is None:
            return None
        return self._released.pop(pts, None)

    def uninstall(self) -> None:
        if self.active:
            for obj, name in ((self._jb, "add"), (self._mapper, "map")):
                with contextlib.suppress(AttributeError):
                    delattr(obj, name)
            self.active = False


def take_hold(probes: list[HoldProbe], pts: int | None, t: int) -> tuple[int | None, int | None]:
    """(hold, decode) ns of the frame with this pts delivered at `t`; (None, None) unknown."""
    for probe in probes:
        if probe.active:
            timed = probe.take(pts)
            if timed is not None:
                first, release = timed
                return release - first, t - release
    return None, None


# --------------------------------------------------------------------------- tasks


async def drain(track: MediaStreamTrack) -> None:
    """Consume a track nobody reads (aiortc queues its frames without bound)."""
    with contextlib.suppress(MediaStreamError):
        while True:
            await track.recv()


async def until(aw: Awaitable[Any], ended: asyncio.Event, timeout_s: float) -> tuple[bool, Any]:
    """Await `aw` unless `ended` is set first or `timeout_s` passes: (True, its result),
    else (False, None) with `aw` cancelled and awaited."""
    task = asyncio.ensure_future(aw)
    waiter = asyncio.ensure_future(ended.wait())
    try:
        done, _ = await asyncio.wait(
            {task, waiter}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        waiter.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if task in done:
        return True, task.result()
    return False, None


# --------------------------------------------------------------------------- signaling


class Signaling:
    """Signaling messages over one WebSocket, JSON text (4a) or msgpack binary (4b).

    The flavour is the given one, else the first frame's that tells it (fal's own
    frames do not), and `fallback` for what we send before that.
    """

    def __init__(self, ws: ClientConnection, flavour: Flavour | None, fallback: Flavour) -> None:
        self.ws = ws
        self.flavour = flavour
        self.detected = flavour is not None
        self._fallback = fallback

    async def recv(self) -> tuple[dict[str, Any], int, str | bytes]:
        """The next message as a dict, its size and the frame as it came (text or
        bytes, for the inspector's Hex view); raises ClosedError/ProtocolError."""
        try:
            frame = await self.ws.recv()
        except websockets.ConnectionClosed as exc:
            raise closed_error(exc) from None
        try:
            decoded = signaling.decode(frame)
        except SignalingError as exc:
            raise ProtocolError(str(exc)) from None
        if self.flavour is None and decoded.tells_flavour:
            self.flavour = decoded.flavour
        return decoded.message, decoded.size, frame

    async def send(self, message: dict[str, Any]) -> tuple[int, str | bytes]:
        """Send `message`; its size and the frame that went."""
        try:
            frame = signaling.encode(message, self.flavour or self._fallback)
        except SignalingError as exc:
            raise ProtocolError(str(exc)) from None
        try:
            await self.ws.send(frame)
        except websockets.ConnectionClosed as exc:
            raise closed_error(exc) from None
        return signaling.frame_size(frame), frame


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a server's message means for the session: it ends (with `error`, or
    normally with `reason`), or it is a non-fatal problem (`error`)."""

    ends: bool
    error: ProbeError | None
    reason: str = ""


def server_verdict(message: dict[str, Any]) -> Verdict | None:
    """`error`, `stream_exhausted` and `x-fal-error` judged; None for any other message."""
    kind = message.get("type")
    if kind == "error":
        phase, reason = signaling.split_error(message.get("error", ""))
        return Verdict(signaling.is_fatal(phase), AppError(phase, reason))
    if kind == "stream_exhausted":
        return Verdict(True, None, "stream_exhausted")
    fal = fal_frames.parse(message)
    if isinstance(fal, fal_frames.FalError):
        if fal.is_timeout:
            return Verdict(True, None, "TIMEOUT (the server ended the session)")
        return Verdict(True, AppError(fal.error, one_line(fal.reason)))
    return None


# --------------------------------------------------------------------------- stats


@dataclass
class StatsState:
    t_ns: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    frames_in: int = 0
    frames_out: int = 0


def _num(value: object, scale: float = 1.0) -> float | None:
    """A stats figure scaled and rounded; None when aiortc has none yet."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(value * scale, 3)
    return None


def stats_values(report: Any, prev: StatsState, now: int) -> dict[str, Any]:
    """getStats entries (video only) as flat values; bitrates from the transport bytes."""
    values: dict[str, Any] = {}
    bytes_in = bytes_out = 0
    for s in report.values():
        kind = getattr(s, "type", "")
        if kind == "transport":
            bytes_in += s.bytesReceived or 0
            bytes_out += s.bytesSent or 0
        elif getattr(s, "kind", "video") != "video":
            continue
        elif kind == "inbound-rtp":
            values["packets_received"] = s.packetsReceived
            values["packets_lost"] = s.packetsLost
            values["jitter_ms"] = _num(s.jitter, 1000 / RTP_VIDEO_CLOCK_HZ)
        elif kind == "outbound-rtp":
            values["packets_sent"] = s.packetsSent
        elif kind == "remote-inbound-rtp":
            values["rtt_ms"] = _num(s.roundTripTime, 1000)
            values["remote_packets_lost"] = s.packetsLost
            values["remote_fraction_lost"] = _num(s.fractionLost)
    values = {k: v for k, v in values.items() if v is not None}
    values["bytes_in"], values["bytes_out"] = bytes_in, bytes_out
    dt = (now - prev.t_ns) / 1e9 if prev.t_ns else 0.0
    if dt > 0:
        values["bitrate_in_kbps"] = round((bytes_in - prev.bytes_in) * 8 / dt / 1000, 1)
        values["bitrate_out_kbps"] = round((bytes_out - prev.bytes_out) * 8 / dt / 1000, 1)
    prev.bytes_in, prev.bytes_out = bytes_in, bytes_out
    return values


async def peer_stats(pc: RTCPeerConnection, prev: StatsState, now: int) -> dict[str, Any]:
    """`stats_values` of the peer connection's getStats report; empty while it closes."""
    try:
        report = await pc.getStats()
    except Exception:  # a closing peer connection: the frame counters only
        report = RTCStatsReport()
    return stats_values(report, prev, now)


def frame_values(
    counters: FrameCounters, prev: StatsState, now: int, sent: int | None
) -> dict[str, Any]:
    """The frame counters, and frame rates since the previous call (`sent`: None
    when we send no video)."""
    values: dict[str, Any] = {}
    dt = (now - prev.t_ns) / 1e9 if prev.t_ns else 0.0
    if dt > 0:
        values["fps_in"] = round((counters.received - prev.frames_in) / dt, 2)
        if sent is not None:
            values["fps_out"] = round((sent - prev.frames_out) / dt, 2)
    prev.t_ns, prev.frames_in, prev.frames_out = now, counters.received, sent or 0
    values.update(
        frames_decoded=counters.received,
        frames_sent=sent or 0,
        frames_lost=counters.lost,
        frames_duplicate=counters.duplicates,
        frames_unreadable=counters.unreadable,
    )
    return values
