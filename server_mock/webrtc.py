"""The WebRTC side of the mock apps (PROTOCOLS.md section 4), independent of the socket.

`serve_yolo` (video-to-video: boxes drawn around moving and bright regions) and
`serve_world` (a generated 640x352 scene steered by `action` messages) each run one
signaling session over a `SignalingChannel`; `server_mock.app` wraps a WebSocket (JSON
text, 4a) or a realtime session (msgpack, 4b) in one. Media stays on 127.0.0.1
(`server_mock.loopback`).

Messages sent: `ready` (world: `iceservers` first), `answer`, `pause` (world),
`error` with `"<phase>:<ExceptionClass>:<message>"`. Fatal phases end the session:
`offer_failed`, `ice_failed`, `frame_failed`. The non-fatal `bad_message` phase reports a
message the session could not use (unknown type, missing field, unknown action token)
and carries on.

Frames keep the marker area (`app.core.codecs.marker`) untouched: yolo never draws there,
and the world scene stamps `pack_world(action_id, seq)` into every frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from dataclasses import dataclass
from typing import Any, Protocol, cast

import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCDataChannel,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import candidate_from_sdp

from app.core.codecs import marker
from app.core.transports.loopback import (
    is_loopback_address,
    keep_loopback_candidates,
    rtc_configuration,
    use_loopback_candidates,
)
from server_mock.faults import Faults

log = logging.getLogger("server_mock")

WORLD_WIDTH = 640
WORLD_HEIGHT = 352
MAX_PENDING_CANDIDATES = 64
MAX_DATACHANNEL_BUFFER = 1 << 20  # stop sending detections when the client stops reading
_ENDED_STATES = ("failed", "closed", "disconnected")


class SignalingChannel(Protocol):
    """One client's signaling messages, whatever carries them."""

    async def recv(self) -> dict[str, Any] | None:
        """The next client message as a dict; None when the socket closed."""
        ...

    async def send(self, message: dict[str, Any]) -> None: ...


# --------------------------------------------------------------------------- channels


class MemoryChannel:
    """One end of an in-process signaling pair (tests, and peers in one process).

    Messages go through a JSON round trip, so a message that would not survive the wire
    fails here too.
    """

    def __init__(self, inbox: asyncio.Queue[str | None], outbox: asyncio.Queue[str | None]):
        self._inbox = inbox
        self._outbox = outbox
        self._closed = False

    async def recv(self) -> dict[str, Any] | None:
        raw = await self._inbox.get()
        if raw is None:
            self._inbox.put_nowait(None)  # stay closed for later calls
            return None
        value: dict[str, Any] = json.loads(raw)
        return value

    async def send(self, message: dict[str, Any]) -> None:
        if not self._closed:
            self._outbox.put_nowait(json.dumps(message))

    def close(self) -> None:
        """The other end's `recv()` returns None from now on."""
        if not self._closed:
            self._closed = True
            self._outbox.put_nowait(None)


def memory_channel_pair() -> tuple[MemoryChannel, MemoryChannel]:
    """(server end, client end) of an in-memory signaling channel."""
    a: asyncio.Queue[str | None] = asyncio.Queue()
    b: asyncio.Queue[str | None] = asyncio.Queue()
    return MemoryChannel(a, b), MemoryChannel(b, a)


# --------------------------------------------------------------------------- yolo: pure


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


# --------------------------------------------------------------------------- world: pure

MOVES = {"w": (0, 1), "s": (0, -1), "a": (-1, 0), "d": (1, 0), "q": (0, 0)}
LOOKS = {"i": (0, 1), "k": (0, -1), "j": (-1, 0), "l": (1, 0), "u": (0, 0)}
ALIASES = {"up": "w", "down": "s", "left": "a", "right": "d"}


@dataclass(frozen=True)
class Action:
    """Velocities from one `action` message: strafe/forward and yaw/pitch, each -1..1."""

    strafe: int = 0
    forward: int = 0
    yaw: int = 0
    pitch: int = 0


def parse_action(text: object) -> Action:
    """Parse `"w u"`-style tokens; raises ValueError naming the first unknown token."""
    if not isinstance(text, str) or not text.split():
        raise ValueError(f"action must be a non-empty string of tokens, got {text!r}")
    strafe = forward = yaw = pitch = 0
    for token in text.lower().split():
        token = ALIASES.get(token, token)
        if token in MOVES:
            dx, dz = MOVES[token]
            strafe, forward = strafe + dx, forward + dz
        elif token in LOOKS:
            dyaw, dpitch = LOOKS[token]
            yaw, pitch = yaw + dyaw, pitch + dpitch
        else:
            raise ValueError(f"unknown action token {token!r} (use w a s d q, i j k l u)")

    def clamp(n: int) -> int:
        return max(-1, min(1, n))

    return Action(clamp(strafe), clamp(forward), clamp(yaw), clamp(pitch))


def _ground_texture(size: int = 512, seed: int = 7) -> np.ndarray:
    """A tileable ground: two-tone checker, grid lines, a few coloured pads."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    checker = ((xx // 64 + yy // 64) % 2).astype(np.uint8)
    tex = np.empty((size, size, 3), np.uint8)
    tex[...] = np.where(checker[..., None], [70, 130, 60], [90, 150, 75]).astype(np.uint8)
    tex[(xx % 64 < 2) | (yy % 64 < 2)] = (200, 200, 190)
    for _ in range(6):
        x, y = rng.integers(0, size - 48, 2)
        tex[y : y + 40, x : x + 40] = rng.integers(40, 255, 3)
    return tex


def _sky_texture(width: int, height: int) -> np.ndarray:
    """A horizontally tileable sky with a mountain silhouette, `width` wide."""
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    sky = np.empty((height, width, 3), np.uint8)
    for i, (top, bottom) in enumerate(((40, 170), (90, 200), (180, 250))):
        sky[..., i] = (top + (bottom - top) * t).astype(np.uint8)
    x = np.arange(width) * 2 * math.pi / width
    ridge = height - (height * 0.25 * (1.2 + np.sin(3 * x) + 0.5 * np.sin(7 * x + 1))).astype(int)
    rows = np.arange(height)[:, None]
    sky[rows >= ridge[None, :]] = (60, 70, 90)
    return sky


class WorldScene:
    """A camera over a textured plane; `render()` is one frame, with the marker stamped.

    Per frame it only offsets precomputed index grids into the textures (about 2 ms at
    640x352), so the scene costs little beside the VP8 encoder.
    """

    SPEED = 6.0  # world texels per frame
    YAW_SPEED = 8.0  # screen pixels of pan per frame
    PITCH_SPEED = 3  # horizon rows per frame

    def __init__(self, width: int = WORLD_WIDTH, height: int = WORLD_HEIGHT) -> None:
        self.width, self.height = width, height
        self.ground = _ground_texture()
        self.sky = _sky_texture(width * 4, height)
        self.x = self.z = self.yaw = 0.0
        self.horizon = height // 3
        self.action = Action()
        self.action_id = 0  # last applied action message, 1-based
        self.seq = 0  # frames rendered
        # Row d below the horizon sees the ground at depth FOCAL*HEIGHT_CAM/d.
        rows = np.arange(1, height + 1, dtype=np.float32)
        self._depth = 64.0 * 40.0 / rows
        self._lateral = (np.arange(width, dtype=np.float32) - width / 2)[None, :] / 64.0
        self._sprite = 0

    def apply(self, action: Action) -> int:
        """Make `action` sticky from the next frame on; returns its id."""
        self.action = action
        self.action_id += 1
        return self.action_id

    def step(self) -> None:
        """Advance the camera by one frame of the current action."""
        a = self.action
        self.z += a.forward * self.SPEED
        self.x += a.strafe * self.SPEED
        self.yaw += a.yaw * self.YAW_SPEED
        low, high = 24, self.height - 24
        self.horizon = max(low, min(high, self.horizon + a.pitch * self.PITCH_SPEED))
        self._sprite += 1
        self.seq += 1

    def render(self) -> np.ndarray:
        """The current view as (H, W, 3) RGB with `pack_world(action_id, seq)` stamped."""
        h, w, hz = self.height, self.width, self.horizon
        img = np.empty((h, w, 3), np.uint8)
        sky_w = self.sky.shape[1]
        cols = (np.arange(w) + int(self.yaw)) % sky_w
        img[:hz] = self.sky[h - hz :, cols]
        depth = self._depth[: h - hz, None]
        size = self.ground.shape[0]
        tz = (depth - self.z).astype(np.int32) % size
        tx = ((self._lateral + self.yaw / 320.0) * depth + self.x).astype(np.int32) % size
        img[hz:] = self.ground[tz, tx]
        self._draw_sprite(img)
        marker.stamp(img, marker.pack_world(self.action_id, self.seq))
        return img

    def _draw_sprite(self, img: np.ndarray) -> None:
        """A bouncing square, so an idle scene still moves."""
        period = 2 * (self.width - 40)
        p = (self._sprite * 5) % period
        x = p if p < self.width - 40 else period - p
        y = self.height - 60 - int(20 * abs(math.sin(self._sprite / 8)))
        img[y : y + 24, x : x + 24] = (230, 60, 40)


class WorldTrack(VideoStreamTrack):
    """The scene at 30 fps, paced by aiortc; while paused it repeats the last frame."""

    def __init__(self, scene: WorldScene, faults: Faults) -> None:
        super().__init__()
        self.scene = scene
        self.faults = faults
        self.paused = False
        self._last: np.ndarray | None = None

    async def recv(self) -> av.VideoFrame:
        while True:
            pts, time_base = await self.next_timestamp()
            if self._last is None or not self.paused:
                self.scene.step()
                self._last = self.scene.render()
            if not self.faults.drop_frame():
                break
        frame = av.VideoFrame.from_ndarray(self._last, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


# --------------------------------------------------------------------------- sessions


def _one_line(text: str) -> str:
    return " ".join(text.split())


def error_text(phase: str, exc: BaseException) -> str:
    """`"<phase>:<ExceptionClass>:<message>"` on one line."""
    return f"{phase}:{type(exc).__name__}:{_one_line(str(exc)) or repr(exc)}"


def parse_candidate(raw: object) -> RTCIceCandidate | None:
    """An `icecandidate` message's `candidate` as aiortc's type; None = end of candidates.

    Accepts `{candidate, sdpMid, sdpMLineIndex}` (browser form) or a bare string; the
    string may start with `candidate:` or `a=candidate:`. Raises ValueError/TypeError.
    """
    mid: object = None
    index: object = None
    if isinstance(raw, dict):
        text, mid, index = raw.get("candidate"), raw.get("sdpMid"), raw.get("sdpMLineIndex")
    else:
        text = raw
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise TypeError(f"candidate must be a string, got {type(text).__name__}")
    body = text.strip().removeprefix("a=").removeprefix("candidate:")
    if len(body.split()) < 8:
        raise ValueError(f"malformed candidate {text!r}")
    candidate = candidate_from_sdp(body)
    if mid is not None and not isinstance(mid, str):
        raise TypeError(f"sdpMid must be a string, got {type(mid).__name__}")
    if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
        raise TypeError(f"sdpMLineIndex must be an integer, got {type(index).__name__}")
    candidate.sdpMid = mid
    candidate.sdpMLineIndex = index
    return candidate


class _Session:
    """One signaling session: greetings, offer/answer, trickled candidates, clean end."""

    name = "webrtc"

    def __init__(self, channel: SignalingChannel, faults: Faults) -> None:
        self.channel = channel
        self.faults = faults
        self.pc: RTCPeerConnection | None = None
        self._ended = asyncio.Event()
        self._error: str | None = None
        self._pending: list[RTCIceCandidate | None] = []
        self._drains: list[asyncio.Task[None]] = []
        self._tracks: list[MediaStreamTrack] = []

    # hooks for the apps
    def greetings(self) -> list[dict[str, Any]]:
        return [{"type": "ready"}]

    def prepare(self, pc: RTCPeerConnection) -> None:
        """Register event handlers before the remote description is applied."""

    def attach(self, pc: RTCPeerConnection) -> None:
        """Add outgoing tracks after the remote description; raise if the offer won't do."""

    async def handle(self, kind: object, message: dict[str, Any]) -> bool:
        """Handle an app-specific message; False when the type is unknown."""
        return False

    # the session
    async def run(self) -> None:
        with use_loopback_candidates():
            try:
                for greeting in self.greetings():
                    await self.channel.send(greeting)
                await self._loop()
                if self._error is not None:
                    await self.channel.send({"type": "error", "error": self._error})
            except Exception as exc:  # the channel itself failed: end quietly
                log.warning("%s: session ended by %s", self.name, error_text("signaling", exc))
            finally:
                await self._close()

    async def _loop(self) -> None:
        ended = asyncio.ensure_future(self._ended.wait())
        try:
            while not self._ended.is_set():
                receiving = asyncio.ensure_future(self.channel.recv())
                await asyncio.wait({receiving, ended}, return_when=asyncio.FIRST_COMPLETED)
                if not receiving.done():
                    receiving.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await receiving
                    return
                message = receiving.result()
                if message is None:
                    return
                await self._dispatch(message)
        finally:
            ended.cancel()

    def fail(self, phase: str, exc: BaseException) -> None:
        """End the session with an `error` message (the first failure wins)."""
        if self._error is None:
            self._error = error_text(phase, exc)
            log.warning("%s: %s", self.name, self._error)
        self._ended.set()

    async def report(self, problem: str, exc_type: str = "ValueError") -> None:
        """A non-fatal `bad_message` error; the session carries on."""
        text = f"bad_message:{exc_type}:{_one_line(problem)}"
        log.info("%s: %s", self.name, text)
        await self.channel.send({"type": "error", "error": text})

    async def _dispatch(self, message: object) -> None:
        if not isinstance(message, dict):
            await self.report(f"expected a message object, got {type(message).__name__}")
            return
        kind = message.get("type")
        if kind == "offer":
            await self._on_offer(message)
        elif kind == "icecandidate":
            await self._on_candidate(message)
        elif not await self.handle(kind, message):
            await self.report(f"unknown message type {kind!r}")

    async def _on_offer(self, message: dict[str, Any]) -> None:
        if self.pc is not None:
            await self.report("a second offer: renegotiation is not supported", "InvalidStateError")
            return
        try:
            sdp = message.get("sdp")
            if not isinstance(sdp, str) or not sdp.strip():
                raise ValueError("offer without an sdp string")
            sdp, removed = keep_loopback_candidates(sdp)
            if removed:
                log.info("%s: ignored non-loopback candidates %s", self.name, removed)
            self.pc = pc = RTCPeerConnection(rtc_configuration())
            pc.on("connectionstatechange", self._on_state)
            self.prepare(pc)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            self.attach(pc)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            self.fail("offer_failed", exc)
            return
        pending, self._pending = self._pending, []
        for candidate in pending:
            if not await self._add_candidate(candidate):
                return
        await self.faults.delay()
        await self.channel.send({"type": "answer", "sdp": pc.localDescription.sdp})

    def _on_state(self) -> None:
        if self.pc is not None and self.pc.connectionState in _ENDED_STATES:
            log.info("%s: peer connection %s", self.name, self.pc.connectionState)
            self._ended.set()

    async def _on_candidate(self, message: dict[str, Any]) -> None:
        if "candidate" not in message:
            await self.report("icecandidate without a candidate field", "KeyError")
            return
        try:
            candidate = parse_candidate(message["candidate"])
        except Exception as exc:
            self.fail("ice_failed", exc)
            return
        if candidate is not None and not is_loopback_address(candidate.ip):
            log.info("%s: ignored non-loopback candidate %s", self.name, candidate.ip)
            return
        if self.pc is None:
            if len(self._pending) >= MAX_PENDING_CANDIDATES:
                await self.report("too many candidates before the offer", "OverflowError")
                return
            self._pending.append(candidate)
            return
        await self._add_candidate(candidate)

    async def _add_candidate(self, candidate: RTCIceCandidate | None) -> bool:
        assert self.pc is not None
        try:
            await self.pc.addIceCandidate(candidate)
        except Exception as exc:
            self.fail("ice_failed", exc)
            return False
        return True

    def drain(self, track: MediaStreamTrack) -> None:
        """Consume and discard an incoming track nobody reads (its queue is unbounded)."""

        async def consume() -> None:
            with contextlib.suppress(MediaStreamError):
                while True:
                    await track.recv()

        self._drains.append(asyncio.ensure_future(consume()))

    async def _close(self) -> None:
        for track in self._tracks:
            track.stop()
        for task in self._drains:
            task.cancel()
        for task in self._drains:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.pc is not None:
            with contextlib.suppress(Exception):
                await self.pc.close()


class YoloTrack(MediaStreamTrack):
    """The client's video, annotated; a processing failure ends the session."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack, session: _YoloSession) -> None:
        super().__init__()
        self.source = source
        self.session = session
        self.detector = Detector()

    async def recv(self) -> av.VideoFrame:
        while True:
            frame = cast(av.VideoFrame, await self.source.recv())
            if not self.session.faults.drop_frame():
                break
        try:
            out, boxes, value = annotate(frame, self.detector)
        except Exception as exc:
            self.session.fail("frame_failed", exc)
            raise MediaStreamError(str(exc)) from exc
        self.session.publish(value, frame.pts, boxes)
        return out


class _YoloSession(_Session):
    name = "yolo"

    def __init__(self, channel: SignalingChannel, faults: Faults) -> None:
        super().__init__(channel, faults)
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


class _WorldSession(_Session):
    name = "world"

    def __init__(self, channel: SignalingChannel, faults: Faults) -> None:
        super().__init__(channel, faults)
        self.scene = WorldScene()
        self.track = WorldTrack(self.scene, faults)
        self._tracks.append(self.track)

    def greetings(self) -> list[dict[str, Any]]:
        return [{"type": "iceservers", "iceservers": []}, {"type": "ready"}]

    def prepare(self, pc: RTCPeerConnection) -> None:
        pc.on("track", self.drain)  # a client camera is accepted and ignored

    def attach(self, pc: RTCPeerConnection) -> None:
        if not any(t.kind == "video" for t in pc.getTransceivers()):
            raise ValueError("the offer has no video to receive the scene on")
        pc.addTrack(self.track)

    async def handle(self, kind: object, message: dict[str, Any]) -> bool:
        if kind == "action":
            try:
                action = parse_action(message.get("action"))
            except ValueError as exc:
                await self.report(str(exc))
                return True
            self.scene.apply(action)
            return True
        if kind == "pause":
            paused = message.get("paused")
            if not isinstance(paused, bool):
                await self.report(f"pause needs paused: true|false, got {paused!r}", "TypeError")
                return True
            self.track.paused = paused
            await self.channel.send({"type": "pause", "paused": paused})
            return True
        return False


async def serve_yolo(channel: SignalingChannel, faults: Faults) -> None:
    """Video-to-video: each incoming frame comes back with boxes drawn (never raises)."""
    await _YoloSession(channel, faults).run()


async def serve_world(channel: SignalingChannel, faults: Faults) -> None:
    """A generated 640x352 scene at 30 fps steered by `action` messages (never raises)."""
    await _WorldSession(channel, faults).run()


__all__ = [
    "Action",
    "Box",
    "Detector",
    "MemoryChannel",
    "SignalingChannel",
    "WorldScene",
    "WorldTrack",
    "YoloTrack",
    "annotate",
    "memory_channel_pair",
    "parse_action",
    "parse_candidate",
    "serve_world",
    "serve_yolo",
]
