"""Live video thumbnails for a WebRTC session (the GUI's Video tab), kept off the
measuring path.

Only with `config.webrtc.video_preview`, and only for session 0: an RGB thumbnail (at
most `PREVIEW_MAX_WIDTH` wide) of a sent and of a received frame, each at most
`PREVIEW_HZ` times a second. Converting one costs ~0.05 ms at 320x240 and ~0.2-0.35 ms
at 640x480-1280x720 (av's swscale), i.e. ~1 % of a core at 15 Hz in both directions; it
runs as a separate loop callback, after the frame's own timing and, for sent frames,
while aiortc encodes it, so measured latencies do not include it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

from app.core.events import ErrorEvent, Event, VideoFrame, now_ns
from app.core.media.sources import MarkedSource
from app.core.transports.webrtc import WebRtcClient

PREVIEW_HZ = 15.0  # VideoFrame thumbnails per second and direction, at most
PREVIEW_MAX_WIDTH = 320
PIXELS_MAX_WIDTH = 160  # `--record-pixels`: received frames kept at most this wide ...
PIXELS_MAX_FRAMES = 900  # ... the first this many of each session (30 s at 30 fps)

Direction = Literal["out", "in"]


def thumbnail(frame: Any, max_width: int = PREVIEW_MAX_WIDTH) -> tuple[int, int, bytes]:
    """(width, height, RGB888 bytes) of an av frame scaled to at most `max_width` wide."""
    w, h = frame.width, frame.height
    tw = min(max_width, w)
    th = max(2, round(h * tw / w))
    rgb = frame.reformat(width=tw, height=th, format="rgb24").to_ndarray()
    return tw, th, rgb.tobytes()


class PreviewTap:
    """Taps one session's frames for thumbnails; off for good after the first failure."""

    def __init__(self, session: int, emit: Callable[[Event], None], enabled: bool) -> None:
        self.session = session
        self.emit = emit
        self.enabled = enabled
        self._next: dict[Direction, int] = {"out": 0, "in": 0}  # ns: no thumbnail before

    def install(
        self,
        client: WebRtcClient,
        source: MarkedSource | None,
        last_in_value: Callable[[], int | None],
    ) -> None:
        """Tap the frames without touching the measuring path: the source's `recv` (sent
        frames, after their send time is taken) and the client's per-frame handler
        (received frames, after they are timed). Hooks carry no pixels, hence the taps."""
        if not self.enabled:
            return
        loop = asyncio.get_running_loop()
        if source is not None:
            recv = source.recv

            async def recv_with_preview() -> Any:
                frame = await recv()
                if self._due("out"):
                    loop.call_soon(self._emit, "out", frame, source.last_id)
                return frame

            # a tap on the frame path (see the docstring): the source has no pixel hook
            source.recv = recv_with_preview  # type: ignore[method-assign]
        on_frame = getattr(client, "_on_frame", None)
        if on_frame is not None:

            def on_frame_with_preview(frame: Any, t: int) -> None:
                on_frame(frame, t)
                if self._due("in"):
                    loop.call_soon(self._emit, "in", frame, last_in_value())

            # the same tap on the client's per-frame handler, after the frame is timed
            client._on_frame = on_frame_with_preview  # type: ignore[method-assign]

    def _due(self, direction: Direction) -> bool:
        t = now_ns()
        if not self.enabled or t < self._next[direction]:
            return False
        self._next[direction] = t + int(1e9 / PREVIEW_HZ)
        return True

    def _emit(self, direction: Direction, frame: Any, frame_id: int | None) -> None:
        if not self.enabled:
            return
        try:
            w, h, rgb = thumbnail(frame)
        except Exception as exc:  # a preview must never end the measurement
            self.enabled = False
            self.emit(
                ErrorEvent(self.session, now_ns(), "PreviewError", f"video preview off: {exc}")
            )
            return
        self.emit(
            VideoFrame(
                self.session, direction, now_ns(), w, h, rgb, frame_id, frame.width, frame.height
            )
        )


class PixelTap:
    """`--record-pixels`: a thumbnail (at most `PIXELS_MAX_WIDTH` wide) of each of the
    first `PIXELS_MAX_FRAMES` received frames of a session, as `VideoFrame` events for
    the recorder, taken as the preview's are (after the frame is timed, in a callback of
    its own); off for good after the first failure."""

    def __init__(self, session: int, emit: Callable[[Event], None], enabled: bool) -> None:
        self.session = session
        self.emit = emit
        self.enabled = enabled
        self.taken = 0

    def install(self, client: WebRtcClient, last_in_value: Callable[[], int | None]) -> None:
        on_frame = getattr(client, "_on_frame", None)
        if not self.enabled or on_frame is None:
            return
        loop = asyncio.get_running_loop()

        def on_frame_with_pixels(frame: Any, t: int) -> None:
            on_frame(frame, t)
            if self.enabled and self.taken < PIXELS_MAX_FRAMES:
                self.taken += 1
                loop.call_soon(self._emit, frame, last_in_value())

        # the preview's tap on the client's per-frame handler, after the frame is timed
        client._on_frame = on_frame_with_pixels  # type: ignore[method-assign]

    def _emit(self, frame: Any, frame_id: int | None) -> None:
        try:
            w, h, rgb = thumbnail(frame, PIXELS_MAX_WIDTH)
        except Exception as exc:  # recording pixels must never end the measurement
            self.enabled = False
            self.emit(
                ErrorEvent(self.session, now_ns(), "PixelsError", f"--record-pixels off: {exc}")
            )
            return
        self.emit(
            VideoFrame(self.session, "in", now_ns(), w, h, rgb, frame_id, frame.width, frame.height)
        )
