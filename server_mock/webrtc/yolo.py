"""The yolo mock app: video-to-video, each incoming frame comes back with boxes drawn
around moving and bright regions, and the boxes go out on the client's data channel.

`Detector` and `annotate` are pure (numpy and av only); `YoloTrack` and `YoloSession`
wire them to a peer connection. Boxes never cover the frame marker
(`app.core.codecs.webrtc_marker`), so the client can still time every frame.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, cast

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCDataChannel, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError

from app.core.codecs import webrtc_marker as marker
from app.core.transports.jitter_release import DEFAULT_RELEASE, Release
from server_mock.drop_stale import DEFAULT as DROP_STALE
from server_mock.faults import Faults
from server_mock.webrtc.signaling import SignalingChannel, SignalingSession
from server_mock.webrtc.stale import FrameQueue

MAX_DATACHANNEL_BUFFER = 1 << 20  # stop sending detections when the client stops reading


@dataclass(frozen=True)
class Box:
    """A detection in pixels; `kind` is "motion" or "bright", `score` in 0..1."""

    x: int
    y: int
    w: int
    h: int
    kind: str
    score: float

    def as_list(self) -> list[Any]:
        return [self.x, self.y, self.w, self.h, self.kind, self.score]


def cell_components(mask: np.ndarray) -> list[list[tuple[int, int]]]:
    """4-connected groups of True cells, by flood fill (the grid is small: ~1,200 cells)."""
    todo = set(zip(*np.nonzero(mask), strict=True))
    groups: list[list[tuple[int, int]]] = []
    while todo:
        start = todo.pop()
        group = [start]
        stack = [start]
        while stack:
            r, c = stack.pop()
            for n in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                if n in todo:
                    todo.remove(n)
                    group.append(n)
                    stack.append(n)
        groups.append([(int(r), int(c)) for r, c in group])
    return groups


class Detector:
    """Moving and bright regions on a coarse cell grid of a luma plane.

    Works on every `step`-th pixel and `cell`-pixel cells, so 640x480 costs about a
    millisecond. Cells that touch the marker area are ignored, so boxes never cover it.
    """

    def __init__(
        self,
        cell: int = 16,
        step: int = 4,
        motion_threshold: float = 10.0,
        bright_threshold: float = 215.0,
        max_boxes: int = 16,
    ) -> None:
        self.cell, self.step = cell, step
        self.motion_threshold = motion_threshold
        self.bright_threshold = bright_threshold
        self.max_boxes = max_boxes
        self._previous: np.ndarray | None = None

    def detect(self, luma: np.ndarray) -> list[Box]:
        h, w = luma.shape
        cell, k = self.cell, self.cell // self.step
        rows, cols = h // cell, w // cell
        if rows == 0 or cols == 0:
            return []
        small = luma[: rows * cell : self.step, : cols * cell : self.step].astype(np.int16)
        level = small.reshape(rows, k, cols, k).mean(axis=(1, 3))
        previous, self._previous = self._previous, small
        if previous is None or previous.shape != small.shape:
            motion = np.zeros_like(level)
        else:
            motion = np.abs(small - previous).reshape(rows, k, cols, k).mean(axis=(1, 3))
        allowed = self._allowed_cells(w, h, rows, cols)
        boxes = self._boxes(motion > self.motion_threshold, allowed, motion / 64.0, "motion")
        boxes += self._boxes(level > self.bright_threshold, allowed, level / 255.0, "bright")
        boxes.sort(key=lambda b: b.w * b.h, reverse=True)
        return boxes[: self.max_boxes]

    def _allowed_cells(self, w: int, h: int, rows: int, cols: int) -> np.ndarray:
        _, _, mw, mh = marker.marker_region(w, h)
        allowed = np.ones((rows, cols), dtype=bool)
        allowed[: -(-mh // self.cell), : -(-mw // self.cell)] = False
        return allowed

    def _boxes(
        self, mask: np.ndarray, allowed: np.ndarray, score: np.ndarray, kind: str
    ) -> list[Box]:
        """One box per connected group of cells, scored by the group's mean."""
        boxes = []
        for group in cell_components(mask & allowed):
            rs = [r for r, _ in group]
            cs = [c for _, c in group]
            s = float(np.mean([score[r, c] for r, c in group]))
            r0, c0 = min(rs), min(cs)
            boxes.append(
                Box(
                    x=c0 * self.cell,
                    y=r0 * self.cell,
                    w=(max(cs) - c0 + 1) * self.cell,
                    h=(max(rs) - r0 + 1) * self.cell,
                    kind=kind,
                    score=round(min(1.0, s), 3),
                )
            )
        return boxes


# (Y, U, V) and (R, G, B) outline colours per box kind: bright green and magenta.
_YUV = {"motion": (145, 54, 34), "bright": (105, 202, 222)}
_RGB = {"motion": (0, 255, 0), "bright": (255, 0, 255)}


def draw_outline(plane: np.ndarray, box: Box, value: int, scale: int, thickness: int) -> None:
    """A rectangle outline on one plane; `scale` 2 for subsampled chroma planes."""
    x0, y0 = box.x // scale, box.y // scale
    x1 = min(plane.shape[1], (box.x + box.w) // scale)
    y1 = min(plane.shape[0], (box.y + box.h) // scale)
    t = max(1, thickness // scale)
    plane[y0 : y0 + t, x0:x1] = value
    plane[max(y0, y1 - t) : y1, x0:x1] = value
    plane[y0:y1, x0 : x0 + t] = value
    plane[y0:y1, max(x0, x1 - t) : x1] = value


def annotate(
    frame: av.VideoFrame, detector: Detector
) -> tuple[av.VideoFrame, list[Box], int | None]:
    """(frame with boxes drawn, the boxes, the marker value) for one incoming frame.

    Works on yuv420p planes directly when the size is even (no colour conversion), else
    on RGB. The result keeps the input's size, pts and time_base.
    """
    w, h = frame.width, frame.height
    if frame.format.name == "yuv420p" and w % 2 == 0 and h % 2 == 0:
        data = frame.to_ndarray()
        luma = data[:h]
        u = data[h : h + h // 4].reshape(h // 2, w // 2)
        v = data[h + h // 4 :].reshape(h // 2, w // 2)
        boxes = detector.detect(luma)
        for box in boxes:
            for plane, value, scale in zip((luma, u, v), _YUV[box.kind], (1, 2, 2), strict=True):
                draw_outline(plane, box, value, scale, 2)
        out = av.VideoFrame.from_ndarray(data, format="yuv420p")
    else:
        data = frame.to_ndarray(format="rgb24")
        luma = data.mean(axis=2, dtype=np.float32)
        boxes = detector.detect(luma)
        for box in boxes:
            for i, value in enumerate(_RGB[box.kind]):
                draw_outline(data[:, :, i], box, value, 1, 2)
        out = av.VideoFrame.from_ndarray(data, format="rgb24")
    out.pts = frame.pts
    if frame.time_base is not None:
        out.time_base = frame.time_base
    return out, boxes, marker.read(luma)


class YoloTrack(MediaStreamTrack):
    """The client's video, annotated; a processing failure ends the session."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack, session: YoloSession) -> None:
        super().__init__()
        self.source = source
        self.session = session
        self.detector = Detector()
        self.frames = FrameQueue(source, session.drop_stale)

    async def recv(self) -> av.VideoFrame:
        while True:
            frame = cast(av.VideoFrame, await self.frames.next())
            if not self.session.faults.drop_frame():
                break
        if work_ms := self.session.faults.config.frame_work_ms:  # a slow model
            await asyncio.sleep(work_ms / 1000.0)
        try:
            out, boxes, value = annotate(frame, self.detector)
        except Exception as exc:
            self.session.fail("frame_failed", exc)
            raise MediaStreamError(str(exc)) from exc
        self.session.publish(value, frame.pts, boxes)
        return out


class YoloSession(SignalingSession):
    name = "yolo"

    def __init__(
        self,
        channel: SignalingChannel,
        faults: Faults,
        jitter_release: Release = DEFAULT_RELEASE,
        drop_stale: bool = DROP_STALE,
    ) -> None:
        super().__init__(channel, faults, jitter_release)
        self.drop_stale = drop_stale
        self.output: YoloTrack | None = None
        self.datachannel: RTCDataChannel | None = None

    def prepare(self, pc: RTCPeerConnection) -> None:
        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video" and self.output is None:
                self.output = YoloTrack(track, self)
                self._tracks.append(self.output)
                pc.addTrack(self.output)
            else:
                self.drain(track)

        @pc.on("datachannel")
        def on_datachannel(channel: RTCDataChannel) -> None:
            self.datachannel = channel

    def attach(self, pc: RTCPeerConnection) -> None:
        if self.output is None:
            raise ValueError("the offer sends no video track to process")

    def publish(self, value: int | None, pts: int | None, boxes: list[Box]) -> None:
        """Send one frame's detections on the client's data channel, if it made one."""
        ch = self.datachannel
        if ch is None or ch.readyState != "open" or ch.bufferedAmount > MAX_DATACHANNEL_BUFFER:
            return
        message = {"frame": value, "pts": pts, "boxes": [b.as_list() for b in boxes]}
        ch.send(json.dumps(message))


async def serve_yolo(
    channel: SignalingChannel,
    faults: Faults,
    jitter_release: Release = DEFAULT_RELEASE,
    drop_stale: bool = DROP_STALE,
) -> None:
    """Video-to-video: each incoming frame comes back with boxes drawn (never raises);
    `jitter_release` says when an incoming frame leaves the jitter buffer, `drop_stale`
    whether frames it could not keep up with are dropped (server_mock/drop_stale.py)."""
    await YoloSession(channel, faults, jitter_release, drop_stale).run()
