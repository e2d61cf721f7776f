"""How a WebRTC session reacts to the network: RTCP feedback counters and freezes, and
the peer-connection tap that also holds the impairments (`network.datagram`).

aiortc's getStats has no nackCount/pliCount, so `RtcpCounters` counts them where aiortc
sends and handles them, on this peer connection's own receiver and sender objects
(instance attributes, nothing global): NACKs and PLIs we sent (our receiver lost packets
or could not decode), NACKs and PLIs the remote sent us (each PLI makes our encoder send
a keyframe). `FreezeCounter` counts gaps between received frames longer than three
frame intervals (the definition webrtc-stats' freezeCount uses) and their total time.
"""

from __future__ import annotations

import contextlib
from typing import Any

from aiortc.rtp import RTCP_PSFB_PLI, RTCP_RTPFB_NACK, RtcpPsfbPacket, RtcpRtpfbPacket

from app.core.network.datagram import ImpairedPeer, NetworkSetting


class RtcpCounters:
    def __init__(self) -> None:
        self.nack_sent = 0  # NACK packets our receiver sent
        self.nack_sent_seqs = 0  # sequence numbers they asked for
        self.pli_sent = 0
        self.nack_received = 0
        self.pli_received = 0  # = keyframes the remote asked our encoder for
        self._patched: set[int] = set()
        self._restore: list[Any] = []

    def attach(self, pc: Any) -> None:
        for t in pc.getTransceivers():
            for obj in (t.receiver, t.sender):
                if id(obj) not in self._patched:
                    self._patched.add(id(obj))
                    self._wrap(obj)

    def _wrap(self, obj: Any) -> None:
        if hasattr(obj, "_send_rtcp_nack"):
            nack, pli = obj._send_rtcp_nack, obj._send_rtcp_pli

            async def send_nack(media_ssrc: int, lost: list[int]) -> None:
                self.nack_sent += 1
                self.nack_sent_seqs += len(lost)
                await nack(media_ssrc, lost)

            async def send_pli(media_ssrc: int) -> None:
                self.pli_sent += 1
                await pli(media_ssrc)

            obj._send_rtcp_nack, obj._send_rtcp_pli = send_nack, send_pli
            self._restore.append((obj, ("_send_rtcp_nack", "_send_rtcp_pli")))
        else:
            handle = obj._handle_rtcp_packet

            async def handle_rtcp(packet: Any) -> None:
                if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
                    self.nack_received += 1
                elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_PLI:
                    self.pli_received += 1
                await handle(packet)

            obj._handle_rtcp_packet = handle_rtcp
            self._restore.append((obj, ("_handle_rtcp_packet",)))

    def detach(self) -> None:
        for obj, names in self._restore:
            for name in names:
                with contextlib.suppress(AttributeError):
                    delattr(obj, name)
        self._restore.clear()

    def values(self) -> dict[str, int]:
        return {
            "nack_sent": self.nack_sent,
            "nack_sent_seqs": self.nack_sent_seqs,
            "pli_sent": self.pli_sent,
            "nack_received": self.nack_received,
            "pli_received": self.pli_received,
        }


class FreezeCounter:
    """Gaps over `3 x interval` between received frames (a freeze), counted and summed."""

    def __init__(self, fps: float) -> None:
        self.interval_ns = int(1e9 / fps) if fps > 0 else int(1e9 / 30)
        self.freezes = 0
        self.freeze_ns = 0
        self.longest_ns = 0
        self._last_ns: int | None = None

    def frame(self, t_ns: int) -> None:
        if self._last_ns is not None:
            gap = t_ns - self._last_ns
            if gap > 3 * self.interval_ns:
                self.freezes += 1
                self.freeze_ns += gap
                self.longest_ns = max(self.longest_ns, gap)
        self._last_ns = t_ns

    def reset_gap(self) -> None:
        """A reconnect: the gap across it is not a freeze of this stream."""
        self._last_ns = None

    def values(self) -> dict[str, Any]:
        return {
            "freezes": self.freezes,
            "freeze_ms": round(self.freeze_ns / 1e6, 1),
            "longest_freeze_ms": round(self.longest_ns / 1e6, 1),
        }


class PeerTap:
    """What `WebRtcClient` adds to its peer connection: impairments (only when a network
    setting is given) and the RTCP counters (always)."""

    def __init__(self, setting: NetworkSetting | None, *, role: str = "client") -> None:
        self.setting = setting
        self.impaired = ImpairedPeer(setting, role=role) if setting is not None else None
        self.rtcp = RtcpCounters()

    def attach(self, pc: Any) -> None:
        self.rtcp.attach(pc)
        if self.impaired is not None:
            self.impaired.attach(pc)

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = dict(self.rtcp.values())
        if self.impaired is not None:
            values.update(self.impaired.values())
        return values

    def close(self) -> None:
        self.rtcp.detach()
        if self.impaired is not None:
            self.impaired.detach()
