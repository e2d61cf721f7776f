"""The wma mock app's peer: a generated scene like `world`, steered over a `control`
data channel (docs/protocols.md, 4c).

`WmaPeer` answers one complete offer (no trickle), sends the world scene at 30 fps and
reads the client's control messages (`app.core.codecs.wma`): `commands` (the held keys
become the camera's movement), `prompt` (the scene's tint follows the text), `reset`
(the camera goes home). Each applied message bumps the scene's action id, which every
frame carries in its marker (`pack_world(action_id, seq)`), so the client times
message -> first frame that shows it. `ping` gets `pong`; a bad message gets `error`
(at most `MAX_ERRORS` of them a session, a flood is counted, not answered).
`ended` is set when the peer connection goes away, the stream is exhausted or `close()`.
The HTTP side (SSE answer, REST bridge) is `server_mock.wma_routes`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import zlib
from typing import Any

from aiortc import MediaStreamTrack, RTCDataChannel, RTCPeerConnection, RTCSessionDescription

from app.core.codecs import wma as codec
from app.core.transports.loopback import (
    keep_loopback_candidates,
    rtc_configuration,
    use_loopback_candidates,
)
from server_mock.faults import Faults
from server_mock.webrtc.world import Action, WorldScene, WorldTrack

log = logging.getLogger("server_mock")

MAX_ERRORS = 20  # error replies per session; past this, bad messages are only counted
FLOOD_MESSAGES = 2_000  # hostile `flood`: garbage control messages sent to the client
_ENDED = ("failed", "closed", "disconnected")


def action_of(keys: list[str]) -> Action:
    """The held keys as a world `Action` (opposite keys cancel)."""
    held = set(keys)

    def axis(plus: str, minus: str) -> int:
        return (plus in held) - (minus in held)

    return Action(axis("d", "a"), axis("w", "s"), axis("l", "j"), axis("i", "k"))


class WmaScene(WorldScene):
    """The world scene with `prompt` (a tint) and `reset` (camera home)."""

    def __init__(self) -> None:
        super().__init__()
        self.tint = (0, 0, 0)

    def set_prompt(self, text: str) -> int:
        crc = zlib.crc32(text.encode())
        self.tint = (crc & 0x3F, (crc >> 8) & 0x3F, (crc >> 16) & 0x3F)
        self.action_id += 1
        return self.action_id

    def reset(self) -> int:
        self.x = self.z = self.yaw = 0.0
        self.horizon = self.height // 3
        self.action = Action()
        self.tint = (0, 0, 0)
        self.action_id += 1
        return self.action_id

    def render(self) -> Any:
        img = super().render()
        if any(self.tint):  # the top band only: the marker (bottom left) stays intact
            band = img[: self.height // 4]
            band[...] = (band // 2 + [t * 2 for t in self.tint]).clip(0, 255)
        return img


class ExhaustingTrack(WorldTrack):
    """The world track, ending the session after `frames` frames (None: never)."""

    def __init__(self, scene: WorldScene, faults: Faults, peer: WmaPeer, frames: int | None):
        super().__init__(scene, faults)
        self.peer = peer
        self.frames_left = frames

    async def recv(self) -> Any:
        if self.frames_left is not None:
            if self.frames_left <= 0:
                self.peer.exhaust()
                await self.peer.ended.wait()
            self.frames_left -= 1
        return await super().recv()


class WmaPeer:
    """One wma session's peer connection and control channel; see the module docstring."""

    def __init__(
        self,
        faults: Faults,
        *,
        session_id: str | None = None,
        frames: int | None = None,
        hostile: str = "",
    ) -> None:
        self.session_id = session_id or str(uuid.uuid4())
        self.faults = faults
        self.hostile = hostile
        self.scene = WmaScene()
        self.track: MediaStreamTrack = ExhaustingTrack(self.scene, faults, self, frames)
        self.pc = RTCPeerConnection(rtc_configuration())
        self.channel: RTCDataChannel | None = None
        self.ended = asyncio.Event()
        self.end_reason = ""
        self.applied = 0
        self.bad = 0
        self.reports: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=64)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing: asyncio.Future[None] | None = None
        self.pc.on("connectionstatechange", self._on_state)
        self.pc.on("datachannel", self._on_channel)
        self.pc.on("track", self._drain)

    async def answer(self, sdp: str) -> str:
        """Apply the offer, return the answer SDP (with our candidates); raises ValueError."""
        sdp, _removed = keep_loopback_candidates(sdp)
        with use_loopback_candidates():
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            if not any(t.kind == "video" for t in self.pc.getTransceivers()):
                raise ValueError("the offer has no video to receive the scene on")
            self.pc.addTrack(self.track)
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        return str(self.pc.localDescription.sdp)

    def end(self, reason: str) -> None:
        if not self.ended.is_set():
            self.end_reason = reason
            log.info("wma %s: session ended: %s", self.session_id[:8], reason)
            self.ended.set()

    def exhaust(self) -> None:
        self.send(codec.stream_exhausted())
        self.end("stream exhausted")

    async def close(self) -> None:
        """Idempotent, also when called again while the first call is under way."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        self.end(self.end_reason or "closed")
        self.track.stop()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.pc.close(), 5)

    def send(self, message: dict[str, Any]) -> None:
        channel = self.channel
        if channel is not None and channel.readyState == "open":
            channel.send(codec.encode(message))

    # -- events ----------------------------------------------------------------------
    def _on_state(self) -> None:
        state = self.pc.connectionState
        with contextlib.suppress(asyncio.QueueFull):
            self.reports.put_nowait({"connection_state": state, "session_id": self.session_id})
        if state in _ENDED:
            self.end(f"peer connection {state}")

    def _drain(self, track: Any) -> None:
        async def consume() -> None:
            with contextlib.suppress(Exception):
                while True:
                    await track.recv()

        self._spawn(consume())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_channel(self, channel: RTCDataChannel) -> None:
        if channel.label != codec.CONTROL_LABEL or self.channel is not None:
            return  # other channels are accepted and ignored
        self.channel = channel
        channel.on("message", self._on_message)
        if self.hostile == "flood":
            channel.on("open", lambda: self._spawn(self._flood()))
            if channel.readyState == "open":
                self._spawn(self._flood())

    async def _flood(self) -> None:
        for i in range(FLOOD_MESSAGES):
            if i % 2:
                self.send({"garbage": i})
            else:
                self._send_raw(f"\x00not json {i}")
            if i % 100 == 0:
                await asyncio.sleep(0)

    def _send_raw(self, text: str) -> None:
        if self.channel is not None and self.channel.readyState == "open":
            self.channel.send(text)

    def _on_message(self, raw: str | bytes) -> None:
        try:
            message = codec.parse_client(raw)
        except codec.WmaError as exc:
            self.bad += 1
            if self.bad <= MAX_ERRORS:
                self.send(codec.error(str(exc)))
            return
        kind = message["type"]
        if kind == "ping":
            self.send(codec.pong(message["ts"], time.time() * 1000))
            return
        if kind == "commands":
            self.scene.apply(action_of(message.get("active", [])))
        elif kind == "prompt":
            self.scene.set_prompt(message["prompt"])
        elif kind == "reset":
            self.scene.reset()
        self.applied += 1
