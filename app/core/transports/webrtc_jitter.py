"""When a received video frame leaves the jitter buffer: on its RTP marker bit, as browsers do.

aiortc 1.16's `JitterBuffer` hands a frame to the decoder only when the first packet of
the *next* frame arrives (a change of RTP timestamp), so every frame waits about one
frame interval (33 ms at 30 fps) on the receiving side. The sender sets the marker bit
on the last packet of each frame; a browser releases a frame as soon as its packets from
the first to the marked one are all there. `MarkerJitterBuffer` does the same:

- a frame is released when the packets from the buffer's origin up to a packet with the
  marker bit are contiguous (no sequence gap) and share one timestamp, and the origin is
  known to be the first packet of a frame (the packet right after the last released
  frame); a hole (lost or late packet) keeps the frame until it is filled or the buffer
  drops it, so a half frame is never decoded;
- otherwise (no marker bit, the first frame of a stream, after a reset) it falls back to
  aiortc's rule: a complete run of one timestamp followed by a packet of another, so a
  sender that never sets the marker costs one frame interval, never a stall;
- everything else (capacity, reordering window, resets, PLI) is aiortc's own code.

`install_release(receiver, release)` gives one `RTCRtpReceiver` this buffer (a per-receiver
swap of one private attribute, before any packet arrived; nothing global is patched);
`"next-frame"` leaves aiortc's buffer in place, the old behaviour. The client and the
mock's peers both use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket

from app.core.transports.jitter_release import Release

VIDEO_CAPACITY = 512  # aiortc's own for video

_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"  # aiortc 1.16's private names
_KIND = "_RTCRtpReceiver__kind"


class MarkerJitterBuffer(JitterBuffer):
    """aiortc's video jitter buffer, releasing a frame on its marker bit; see the module
    docstring. `released_on_marker` / `released_on_next` count each kind of release."""

    def __init__(self, capacity: int = VIDEO_CAPACITY, *, is_video: bool = True) -> None:
        super().__init__(capacity, prefetch=0, is_video=is_video)
        self._next_start: int | None = None  # seq of the first packet after the last release
        self.released_on_marker = 0
        self.released_on_next = 0

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        origin = self._origin
        if origin is None:
            return None
        aligned = origin == self._next_start
        packets: list[RtpPacket] = []
        timestamp: int | None = None
        for count in range(self.capacity):
            packet = self._packets[(origin + count) % self.capacity]
            if packet is None:
                return None  # a hole: wait for it (NACK) or for the buffer to drop it
            if timestamp is None:
                timestamp = packet.timestamp
            elif packet.timestamp != timestamp:  # fallback: the next frame has begun
                self.released_on_next += 1
                return self._release(packets, timestamp, count)
            packets.append(packet)
            if packet.marker and aligned:
                self.released_on_marker += 1
                return self._release(packets, timestamp, count + 1)
        return None

    def _release(self, packets: list[RtpPacket], timestamp: int, count: int) -> JitterFrame:
        data: list[bytes] = [p._data for p in packets]  # type: ignore[attr-defined]  # depayloaded by the receiver
        frame = JitterFrame(data=b"".join(data), timestamp=timestamp)
        self.remove(count)
        self._next_start = self._origin
        return frame

    def smart_remove(self, count: int) -> bool:
        """aiortc's overflow drop; afterwards the origin's frame start is unknown."""
        self._next_start = None
        return super().smart_remove(count)


def install_release(receiver: Any, release: Release) -> bool:
    """Give one video `RTCRtpReceiver` the marker-release buffer; True when installed.

    `"next-frame"`, an audio receiver, a receiver that already got packets, or an aiortc
    whose private names changed: aiortc's own buffer stays (next-frame release) and this
    returns False, so a report can say which rule measured the hold.
    """
    if release != "marker":
        return False
    current = getattr(receiver, _JITTER_BUFFER, None)
    if isinstance(current, MarkerJitterBuffer):
        return True
    if getattr(receiver, _KIND, None) != "video" or type(current) is not JitterBuffer:
        return False
    if getattr(current, "_origin", 0) is not None:  # packets already arrived: too late
        return False
    setattr(receiver, _JITTER_BUFFER, MarkerJitterBuffer(current.capacity, is_video=True))
    return True


def installed_release(receiver: Any) -> Release | None:
    """Which rule this receiver's buffer releases by (None: not a video receiver we know)."""
    current = getattr(receiver, _JITTER_BUFFER, None)
    if isinstance(current, MarkerJitterBuffer):
        return "marker"
    return "next-frame" if isinstance(current, JitterBuffer) else None


def release_rule(receivers: Iterable[Any]) -> Release | None:
    """The rule of the first video receiver we know among `receivers` (None: none)."""
    return next((r for r in map(installed_release, receivers) if r is not None), None)


def release_counts(receiver: Any) -> tuple[int, int] | None:
    """(released on marker, released on the next frame) of a marker-release buffer."""
    current = getattr(receiver, _JITTER_BUFFER, None)
    if isinstance(current, MarkerJitterBuffer):
        return current.released_on_marker, current.released_on_next
    return None
