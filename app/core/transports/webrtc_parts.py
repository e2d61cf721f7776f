"""Pieces of the WebRTC client that need no peer connection state.

- `HoldProbe`: times aiortc's receive jitter buffer per frame (a scoped, documented
  wrap of two private receiver objects);
- `Signaling`: signaling messages over one WebSocket, JSON text (4a) or msgpack (4b),
  with the flavour detected from the first frame;
- parsers for `iceservers`, `icecandidate` and `error` messages;
- `stats_values`: aiortc getStats reports flattened into StatsSnapshot values.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any, Literal

import msgpack
import websockets
from aiortc import RTCIceServer, RTCRtpReceiver
from aiortc.sdp import candidate_from_sdp
from websockets.asyncio.client import ClientConnection

from app.core.errors import ProtocolError
from app.core.events import now_ns
from app.core.transports.wsbase import closed_error

Flavour = Literal["json", "msgpack"]  # PROTOCOLS.md 4a, 4b
MAX_TRACKED_TIMESTAMPS = 256
RTP_VIDEO_CLOCK_HZ = 90_000


def one_line(exc: BaseException | str) -> str:
    """A message on one line (aiortc and av messages may span several)."""
    if isinstance(exc, str):
        return " ".join(exc.split())
    return " ".join(str(exc).split()) or type(exc).__name__


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
        add, mapper = self._jb.add, self._mapper.map  # type: ignore[union-attr]
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

        self._jb.add = timed_add  # type: ignore[union-attr]
        self._mapper.map = timed_map  # type: ignore[union-attr]

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


# --------------------------------------------------------------------------- signaling


class Signaling:
    """Signaling messages over one WebSocket, JSON text (4a) or msgpack binary (4b)."""

    def __init__(self, ws: ClientConnection, flavour: Flavour | None, fallback: Flavour) -> None:
        self.ws = ws
        self.flavour = flavour
        self.detected = flavour is not None
        self._fallback = fallback

    async def recv(self) -> tuple[dict[str, Any], int]:
        """The next message as a dict and its size; raises ClosedError/ProtocolError."""
        try:
            frame = await self.ws.recv()
        except websockets.ConnectionClosed as exc:
            raise closed_error(exc) from None
        if isinstance(frame, str):
            try:
                value = json.loads(frame)
            except json.JSONDecodeError:
                raise ProtocolError(f"signaling text frame is not JSON: {frame[:80]!r}") from None
            size = len(frame.encode())
            kind = "json"
        else:
            try:
                value = msgpack.unpackb(frame, raw=False)
            except Exception as exc:
                raise ProtocolError(
                    f"signaling binary frame is not msgpack: {one_line(exc)}"
                ) from None
            size = len(frame)
            kind = "msgpack"
        if not isinstance(value, dict):
            raise ProtocolError(f"signaling message is a {type(value).__name__}, not an object")
        # 4b's x-fal-* frames are JSON text: they do not tell the flavour apart
        if self.flavour is None and not str(value.get("type", "")).startswith("x-fal-"):
            self.flavour = kind  # type: ignore[assignment]
        return value, size

    async def send(self, message: dict[str, Any]) -> int:
        flavour = self.flavour or self._fallback
        frame: str | bytes
        if flavour == "json":
            frame = json.dumps(message)
            size = len(frame.encode())
        else:
            frame = msgpack.packb(message, use_bin_type=True)
            size = len(frame)
        try:
            await self.ws.send(frame)
        except websockets.ConnectionClosed as exc:
            raise closed_error(exc) from None
        return size


def parse_ice_servers(raw: object) -> list[RTCIceServer]:
    """`iceservers` entries as RTCIceServer; malformed entries are skipped."""
    servers: list[RTCIceServer] = []
    if not isinstance(raw, list):
        return servers
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        urls = entry.get("urls")
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls) or not urls:
            continue
        username, credential = entry.get("username"), entry.get("credential")
        servers.append(
            RTCIceServer(
                urls=urls,
                username=username if isinstance(username, str) else None,
                credential=credential if isinstance(credential, str) else None,
            )
        )
    return servers


def parse_candidate(raw: object) -> Any:
    """An `icecandidate` payload as aiortc's RTCIceCandidate; None = end of candidates."""
    mid: object = None
    index: object = None
    text: object = raw
    if isinstance(raw, dict):
        text, mid, index = raw.get("candidate"), raw.get("sdpMid"), raw.get("sdpMLineIndex")
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise ProtocolError(f"icecandidate: candidate must be a string, got {type(text).__name__}")
    body = text.strip().removeprefix("a=").removeprefix("candidate:")
    if len(body.split()) < 8:
        raise ProtocolError(f"icecandidate: malformed candidate {text[:80]!r}")
    try:
        candidate = candidate_from_sdp(body)
    except (ValueError, IndexError) as exc:
        raise ProtocolError(f"icecandidate: {one_line(exc)}") from None
    candidate.sdpMid = mid if isinstance(mid, str) else None
    candidate.sdpMLineIndex = index if isinstance(index, int) else None
    return candidate


def split_error(text: object) -> tuple[str, str]:
    """`"<phase>:<ExceptionClass>:<message>"` -> (phase, "ExceptionClass: message")."""
    parts = str(text).split(":", 2)
    if len(parts) == 3:
        return parts[0], f"{parts[1]}: {one_line(parts[2])}"
    return "error", one_line(str(text))


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
