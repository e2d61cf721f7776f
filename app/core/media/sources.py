"""Video sources for WebRTC runs: aiortc tracks that stamp a frame id into every frame.

Each outgoing frame gets the next frame id drawn with `marker.stamp` into its Y plane
(chroma under the marker is set to neutral grey so the blocks stay pure black/white),
and the id's send time (`time.perf_counter_ns()`, the engine's clock) is kept in a
`SendLog`, so a frame that comes back can be timed by its marker alone.

"Send time" is when aiortc's sender takes the frame from `recv()`: encoding, the
network, the server and decoding are all inside the measured latency.

Sources pace themselves on their own clock (aiortc's `VideoStreamTrack.next_timestamp`
is fixed at 30 fps) and never burst to catch up: a source that falls more than a frame
behind restarts its schedule. Frames are yuv420p written straight into the new frame's
planes (one copy per plane), so 640x480 costs ~0.2 ms a frame.
"""

from __future__ import annotations

import asyncio
import fractions
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from app.core.codecs import webrtc_marker as marker
from app.core.errors import TargetError
from app.core.media.frames import plane_view
from app.core.text import one_line

VIDEO_CLOCK_HZ = 90_000
TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_HZ)
MAX_FPS = 240.0
SEND_LOG_SIZE = 4096  # ~68 s at 60 fps: far longer than any frame stays in flight

OnFrame = Callable[[int, int], None]  # (frame_id, send time ns)


class SendLog:
    """frame id -> send time for the last `size` ids: a fixed ring, no growth, O(1)."""

    def __init__(self, size: int = SEND_LOG_SIZE) -> None:
        self._size = size
        self._ids: list[int] = [-1] * size
        self._times: list[int] = [0] * size

    def record(self, frame_id: int, t_ns: int) -> None:
        slot = frame_id % self._size
        self._ids[slot] = frame_id
        self._times[slot] = t_ns

    def get(self, frame_id: int) -> int | None:
        """The send time of `frame_id`, or None if never sent or already overwritten."""
        slot = frame_id % self._size
        return self._times[slot] if self._ids[slot] == frame_id else None


class MarkedSource(MediaStreamTrack):
    """Base class: pacing, frame ids, the marker, send times. Subclasses make the pixels."""

    kind = "video"
    paced = True  # False when the device itself sets the pace (a camera)

    def __init__(self, width: int, height: int, fps: float) -> None:
        super().__init__()
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise TargetError(f"video size {width}x{height} must be positive and even")
        _, _, mw, mh = marker.marker_region(width, height)
        if mw > width or mh > height:
            raise TargetError(f"video size {width}x{height} is too small for the frame marker")
        if not 0 < fps <= MAX_FPS:
            raise TargetError(f"fps {fps:g} must be between 0 and {MAX_FPS:g}")
        self.width, self.height, self.fps = width, height, float(fps)
        self.sent = SendLog()
        self.frames_sent = 0
        self.first_id = 1
        self.last_id = 0  # the last id handed out; 0 = none yet
        self.on_frame: OnFrame | None = None
        self._interval_ns = round(1e9 / fps)
        self._start_ns: int | None = None
        self._due_ns = 0
        self._last_pts = -1
        self._marker_chroma = (mw // 2, mh // 2)

    # -- subclass hook ---------------------------------------------------------------
    async def _next_frame(self) -> av.VideoFrame:
        """A new, writable yuv420p frame of width x height (not yet stamped)."""
        raise NotImplementedError

    # -- the track -------------------------------------------------------------------
    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self.paced:
            await self._pace()
        frame = await self._next_frame()
        frame_id = self.last_id + 1 if self.last_id < marker.MAX_VALUE else 1
        self.last_id = frame_id
        marker.stamp(plane_view(frame, 0), frame_id)
        cw, ch = self._marker_chroma
        plane_view(frame, 1)[:ch, :cw] = 128
        plane_view(frame, 2)[:ch, :cw] = 128
        t = time.perf_counter_ns()
        if self._start_ns is None:
            self._start_ns = t
        pts = max(self._last_pts + 1, (t - self._start_ns) * VIDEO_CLOCK_HZ // 1_000_000_000)
        self._last_pts = pts
        frame.pts, frame.time_base = pts, TIME_BASE
        self.sent.record(frame_id, t)
        self.frames_sent += 1
        if self.on_frame is not None:
            self.on_frame(frame_id, t)
        return frame

    async def _pace(self) -> None:
        now = time.perf_counter_ns()
        if self._start_ns is None:
            self._due_ns = now
            return
        self._due_ns += self._interval_ns
        if self._due_ns < now - self._interval_ns:
            self._due_ns = now  # fell behind: restart the schedule instead of bursting
        wait = self._due_ns - now
        if wait > 0:
            await asyncio.sleep(wait / 1e9)

    def _blank(self) -> av.VideoFrame:
        return av.VideoFrame(self.width, self.height, "yuv420p")


class SyntheticSource(MarkedSource):
    """A moving test pattern (gradient, a sliding bright square, a dark bar)."""

    def __init__(self, width: int = 640, height: int = 480, fps: float = 30.0) -> None:
        super().__init__(width, height, fps)
        w, h = width, height
        yy, xx = np.mgrid[0:h, 0:w]
        y = 60 + (xx * 90 // max(1, w - 1)) + (yy * 40 // max(1, h - 1))
        y[(xx % 64 < 2) | (yy % 64 < 2)] = 110
        self._y = y.astype(np.uint8)
        cy, cx = np.mgrid[0 : h // 2, 0 : w // 2]
        self._u = (128 + (cx * 40 // max(1, w // 2 - 1)) - 20).astype(np.uint8)
        self._v = (128 + (cy * 40 // max(1, h // 2 - 1)) - 20).astype(np.uint8)
        self._box = max(16, min(w, h) // 5) // 2 * 2
        self._n = 0

    async def _next_frame(self) -> av.VideoFrame:
        frame = self._blank()
        y, u, v = (plane_view(frame, i) for i in range(3))
        np.copyto(y, self._y)
        np.copyto(u, self._u)
        np.copyto(v, self._v)
        w, h, b, n = self.width, self.height, self._box, self._n
        self._n += 1
        span_x, span_y = max(1, w - b), max(1, h - b)
        x = (n * 6) % (2 * span_x)
        x = (x if x < span_x else 2 * span_x - x) // 2 * 2
        top = (h // 2 + (n * 3) % span_y) % span_y // 2 * 2
        y[top : top + b, x : x + b] = 230
        u[top // 2 : (top + b) // 2, x // 2 : (x + b) // 2] = 90
        v[top // 2 : (top + b) // 2, x // 2 : (x + b) // 2] = 200
        bar = (w - 1 - (n * 4) % w) // 2 * 2
        y[:, bar : bar + 8] = 20
        return frame


class _DecodingSource(MarkedSource):
    """Shared by file and camera sources: decode in a worker thread, resize to the size."""

    def __init__(self, container: av.container.InputContainer, width: int, height: int, fps: float):
        super().__init__(width, height, fps)
        self._container = container
        self._stream = container.streams.video[0]
        self._frames = container.decode(self._stream)
        self._lock = threading.Lock()  # decoding (worker thread) vs close (loop thread)
        self._closed = False

    def _decode(self) -> av.VideoFrame | None:
        """The next decoded frame, or None at the end of the input."""
        return next(self._frames, None)

    def _next_sized(self) -> av.VideoFrame:
        with self._lock:
            if self._closed:
                raise MediaStreamError
            try:
                frame = self._decode()
            except av.FFmpegError as exc:
                raise MediaStreamError(one_line(exc)) from None
            if frame is None:
                raise MediaStreamError
            out = frame.reformat(self.width, self.height, format="yuv420p")
            if out is frame:  # never draw into a decoder-owned buffer
                copy = self._blank()
                for i in range(3):
                    np.copyto(plane_view(copy, i), plane_view(out, i))
                out = copy
            return out

    async def _next_frame(self) -> av.VideoFrame:
        try:
            return await asyncio.to_thread(self._next_sized)
        except MediaStreamError:
            self.stop()
            raise

    def stop(self) -> None:
        super().stop()
        with self._lock:
            if not self._closed:
                self._closed = True
                self._container.close()


def _even(n: int) -> int:
    return max(2, n - n % 2)


class FileSource(_DecodingSource):
    """A video file, decoded with av, resized to `width`x`height`, looped at the end.

    Defaults: the file's own size (rounded down to even) and frame rate (30 if unknown).
    A missing or unreadable file, or one without video, raises TargetError here.
    """

    def __init__(
        self,
        path: str | Path,
        fps: float | None = None,
        loop: bool = True,
        *,
        width: int | None = None,
        height: int | None = None,
    ) -> None:
        p = Path(path)
        if not p.is_file():
            raise TargetError(f"video file {p} does not exist")
        try:
            container = av.open(str(p))
        except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
            raise TargetError(f"cannot read video file {p}: {one_line(exc)}") from None
        if not container.streams.video:
            container.close()
            raise TargetError(f"video file {p} has no video stream")
        stream = container.streams.video[0]
        rate = fps or (float(stream.average_rate) if stream.average_rate else 30.0)
        w = _even(width or stream.codec_context.width or 0)
        h = _even(height or stream.codec_context.height or 0)
        try:
            super().__init__(container, w, h, min(rate, MAX_FPS))
        except TargetError:
            container.close()
            raise
        self.path = p
        self.loop = loop
        self.loops = 0
        first = self._probe()
        if first is None:
            self.stop()
            raise TargetError(f"video file {p} has no decodable frames")
        self._pending: av.VideoFrame | None = first

    def _probe(self) -> av.VideoFrame | None:
        try:
            return next(self._frames, None)
        except av.FFmpegError as exc:
            self.stop()
            raise TargetError(f"cannot decode video file {self.path}: {one_line(exc)}") from None

    def _decode(self) -> av.VideoFrame | None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            return pending
        frame = next(self._frames, None)
        if frame is None and self.loop:
            self._container.seek(0)
            self._frames = self._container.decode(self._stream)
            self.loops += 1
            frame = next(self._frames, None)
        return frame


def default_camera_format() -> tuple[str, str]:
    """(av input format, default device) for this platform's cameras."""
    if sys.platform == "darwin":
        return "avfoundation", "0"
    if sys.platform == "win32":
        return "dshow", "video=Integrated Camera"
    return "v4l2", "/dev/video0"


class WebcamSource(_DecodingSource):
    """A camera through av (v4l2 on Linux); the camera sets the pace."""

    paced = False

    def __init__(
        self,
        device: str | None = None,
        *,
        width: int = 640,
        height: int = 480,
        fps: float = 30.0,
    ) -> None:
        fmt, default = default_camera_format()
        device = device or default
        if fmt == "v4l2" and not Path(device).exists():
            raise TargetError(f"no camera at {device}")
        options = {"video_size": f"{width}x{height}", "framerate": f"{fps:g}"}
        try:
            container = av.open(device, format=fmt, options=options)
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise TargetError(f"cannot open camera {device} ({fmt}): {one_line(exc)}") from None
        if not container.streams.video:
            container.close()
            raise TargetError(f"camera {device} has no video stream")
        try:
            super().__init__(container, _even(width), _even(height), fps)
        except TargetError:
            container.close()
            raise
        self.device = device


def source_factory(
    spec: str, width: int = 640, height: int = 480, fps: float = 30.0
) -> Callable[[], MarkedSource]:
    """A factory for the source a user named (CLI/GUI): one new source per session.

    `synthetic`, `file:PATH` (resized to width x height, looped), `sample` (the bundled
    sample video), `camera` or `camera:DEVICE`. The spec is checked here; the file or
    camera is opened per call. A relative `file:` path that does not exist is also looked
    for among rtprobe's assets, so `file:assets/sample.mp4` works inside the bundle too.
    """
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "sample" and not arg:
        from app.assets import asset_path

        kind, arg = "file", str(asset_path("sample.mp4"))
    if kind == "file" and arg and not Path(arg).is_file() and not Path(arg).is_absolute():
        from app.assets import asset_path

        bundled = asset_path(Path(arg).name)
        if bundled.is_file():
            arg = str(bundled)
    if kind == "synthetic" and not arg:
        SyntheticSource(width, height, fps).stop()  # validate size and rate now
        return lambda: SyntheticSource(width, height, fps)
    if kind == "file" and arg:
        if not Path(arg).is_file():
            raise TargetError(f"video file {arg} does not exist")
        return lambda: FileSource(arg, fps, True, width=width, height=height)
    if kind == "camera":
        return lambda: WebcamSource(arg or None, width=width, height=height, fps=fps)
    raise TargetError(
        f"video source {spec!r}: use synthetic, sample, file:PATH, camera or camera:DEVICE"
    )


__all__ = [
    "TIME_BASE",
    "FileSource",
    "MarkedSource",
    "SendLog",
    "SyntheticSource",
    "WebcamSource",
    "default_camera_format",
    "source_factory",
]
