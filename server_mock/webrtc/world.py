"""The world mock app: a generated 640x352 scene at 30 fps, steered by `action`
messages and paused by `pause`, like a world model.

`parse_action` and `WorldScene` are pure (numpy only); every frame carries
`pack_world(action_id, seq)` in its marker (`app.core.codecs.webrtc_marker`), so the
client can tell which action a frame reflects and count lost frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from aiortc import RTCPeerConnection, VideoStreamTrack

from app.core.codecs import webrtc_marker as marker
from server_mock.faults import Faults
from server_mock.webrtc.signaling import SignalingChannel, SignalingSession

WORLD_WIDTH = 640
WORLD_HEIGHT = 352


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


class WorldSession(SignalingSession):
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


async def serve_world(channel: SignalingChannel, faults: Faults) -> None:
    """A generated 640x352 scene at 30 fps steered by `action` messages (never raises)."""
    await WorldSession(channel, faults).run()
