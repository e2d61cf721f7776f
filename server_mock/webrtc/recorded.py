"""A recorded WebRTC session played to a new client (`rtprobe mock --from`): the
signaling machinery of the mock's own apps answers the new offer, and the video track
sends the recorded received frames at their recorded times (divided by the speed),
each at its recorded size with its recorded marker value, so the client times every
frame as it does against the mock's apps.

The pictures are the recording's own when it kept them (`--record-pixels`: a JPEG or
PNG, scaled back to the recorded size, the marker stamped again since a downscaled
picture cannot carry it; past the last recorded picture, that one again), else the
world scene (`WorldScene`) of that size. A recorded
frame whose marker was unreadable goes out with its marker area grey (unreadable
again). v2v frames are timed from the new client's first frame (as the recording was
from its first sent frame), generated frames from the first one sent. After the last
recorded frame the track stays open and sends nothing more.

The recorded data channel messages (yolo's boxes) go out on the client's data channel
at their recorded times, each with the frame due then. The recorded replies to the
client's other messages (`action`, `pause`…) go out with
their recorded delays, in order; a message the recording never saw gets a non-fatal
`bad_message` error.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Protocol

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCDataChannel, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError

from app.core.codecs import webrtc_marker as marker
from server_mock.faults import Faults
from server_mock.recorded_media import MediaSession, VideoFrame
from server_mock.webrtc.signaling import SignalingChannel, SignalingSession
from server_mock.webrtc.wma import WmaPeer
from server_mock.webrtc.world import WorldScene
from server_mock.webrtc.yolo import MAX_DATACHANNEL_BUFFER

log = logging.getLogger("server_mock")

CLIENT_WAIT_S = 3.0  # v2v: frames start this long after the answer if no client frame came
MAX_SCENES = 4  # sizes a session keeps a scene for
MAX_QUEUED = 4096  # replies waiting to go out; past this an input's replies are dropped
CLOCK = 90_000  # RTP video clock
MAX_PICTURE_SIDE = 4096  # a recorded picture larger than this is not decoded


def picture(data: bytes, width: int, height: int) -> np.ndarray | None:
    """A recorded JPEG/PNG as (height, width, 3) RGB; None when it does not decode."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = container.streams.video[0]
            side = max(stream.codec_context.width, stream.codec_context.height)
            if not 0 < side <= MAX_PICTURE_SIDE:  # never decode a hostile giant
                raise ValueError(f"a picture {side} px wide or high")
            for frame in container.decode(stream):
                out = frame.reformat(width=width, height=height, format="rgb24")
                return out.to_ndarray()
    except Exception as exc:
        log.info("recorded: a frame's picture did not decode (%s)", type(exc).__name__)
    return None


def _resized(img: np.ndarray, width: int, height: int) -> np.ndarray:
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
    return frame.reformat(width=width, height=height, format="rgb24").to_ndarray()


def _marker_of(frame: Any) -> int | None:
    """The marker value of a client frame (its luma plane), or None."""
    try:
        if frame.format.name == "yuv420p":
            return marker.read(frame.to_ndarray()[: frame.height])
        return marker.read(frame.to_ndarray(format="gray"))
    except Exception:
        return None


class Shows(Protocol):
    shown: int


def show_later(session: Shows, delays: list[float], n: int, speed: float) -> int:
    """The n-th action (0-based) shows in the frames (`session.shown` + 1) after the
    recorded n-th action's latency; returns n + 1."""
    delay = delays[min(n, len(delays) - 1)] if delays else 0.0

    def show() -> None:
        session.shown = (session.shown + 1) & ((1 << marker.WORLD_ACTION_BITS) - 1)

    asyncio.get_running_loop().call_later(delay / speed, show)
    return n + 1


class RecordedTrack(MediaStreamTrack):
    """The recorded received frames, at their recorded times."""

    kind = "video"

    def __init__(self, session: RecordedSession | RecordedWmaPeer) -> None:
        super().__init__()
        self.session = session
        self.frames = session.media.frames
        self.sent = 0
        self._anchor: float | None = None
        self._scenes: dict[tuple[int, int], WorldScene] = {}
        self._last_pts = -1
        self._last_picture: np.ndarray | None = None
        self._stopped = asyncio.Event()

    def stop(self) -> None:
        super().stop()
        self._stopped.set()

    async def recv(self) -> av.VideoFrame:
        if self.sent >= len(self.frames):
            await self._stopped.wait()  # the recording is over: the track stays quiet
            raise MediaStreamError("the recording has no more frames")
        loop = asyncio.get_running_loop()
        if self._anchor is None:
            self._anchor = await self.session.anchor()
        spec = self.frames[self.sent]
        self.sent += 1
        self._anchor = min(self._anchor, self.session.client_anchor or self._anchor)
        at = spec.at / self.session.speed
        wait = self._anchor + at - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self.session.data_until(spec.at)
        frame = av.VideoFrame.from_ndarray(self.image(spec), format="rgb24")
        self._last_pts = max(self._last_pts + 1, round(at * CLOCK))
        frame.pts, frame.time_base = self._last_pts, Fraction(1, CLOCK)
        return frame

    def image(self, spec: VideoFrame) -> np.ndarray:
        """The frame's picture at its size, its recorded marker stamped."""
        img = None
        if spec.picture is not None:
            img = picture(spec.picture, spec.width, spec.height)
            if img is not None:
                self._last_picture = img
        elif self._last_picture is not None:  # past the recorded pictures: the last one
            img = self._last_picture
            if img.shape[:2] != (spec.height, spec.width):
                img = _resized(img, spec.width, spec.height)
            img = img.copy()
        if img is None:
            size = (spec.width, spec.height)
            scene = self._scenes.get(size)
            if scene is None:
                if len(self._scenes) >= MAX_SCENES:
                    self._scenes.clear()
                scene = self._scenes[size] = WorldScene(*size)
            scene.step()
            img = scene.render()
        value = spec.value
        if value is None:
            _, _, w, h = marker.marker_region(spec.width, spec.height)
            img[:h, :w] = 128  # unreadable, as it was recorded
            return img
        if not self.session.media.anchored_on_client:  # generated: the new client's actions
            value = marker.pack_world(self.session.shown, marker.unpack_world(value)[1])
        marker.stamp(img, value)
        return img


class RecordedSession(SignalingSession):
    """The mock's signaling session whose media and replies are a recording's."""

    name = "recorded"

    def __init__(
        self,
        channel: SignalingChannel,
        faults: Faults,
        media: MediaSession,
        speed: float | None,
        input_key: Callable[[Any], str],
        unknown: str,
    ) -> None:
        super().__init__(channel, faults)
        self.media = media
        self.speed = speed or 1.0  # video has no "at once": `max` keeps the recorded pace
        self.reply_speed = speed
        self.input_key = input_key
        self.unknown = unknown
        self.track = RecordedTrack(self)
        self._tracks.append(self.track)
        self._client_frame = asyncio.Event()
        self.datachannel: RTCDataChannel | None = None
        self._data_sent = 0
        self.client_anchor: float | None = None  # v2v: as read from the client's markers
        self._watching = False
        self._turns: dict[str, int] = {}
        self.actions = 0  # `action` messages received
        self.shown = 0  # of them, shown in the frames (after their recorded latency)
        self._queue: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None
        self._last_due = 0.0

    def greetings(self) -> list[dict[str, Any]]:
        return list(self.media.greetings)

    def prepare(self, pc: RTCPeerConnection) -> None:
        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video" and not self._watching:
                self._watching = True
                self._watch(track)
            else:
                self.drain(track)

        @pc.on("datachannel")
        def on_datachannel(channel: RTCDataChannel) -> None:
            self.datachannel = self.datachannel or channel

    def data_until(self, at: float) -> None:
        """Send the recorded data channel messages due by `at` (a frame's time), while
        the client reads them."""
        data, ch = self.media.data, self.datachannel
        while self._data_sent < len(data) and data[self._data_sent][0] <= at:
            message = data[self._data_sent][1]
            self._data_sent += 1
            open_ = ch is not None and ch.readyState == "open"
            if open_ and ch is not None and ch.bufferedAmount <= MAX_DATACHANNEL_BUFFER:
                ch.send(message)

    def attach(self, pc: RTCPeerConnection) -> None:
        if not any(t.kind == "video" for t in pc.getTransceivers()):
            raise ValueError("the offer has no video to receive the recording on")
        pc.addTrack(self.track)

    def _watch(self, track: MediaStreamTrack) -> None:
        """Consume the client's video (unread, its queue would grow). v2v: each frame
        whose marker names a recorded sent frame moves the anchor to the earliest time
        the client's first frame can have been sent, on the recorded spacing."""
        sent_at = self.media.sent_at
        loop = asyncio.get_running_loop()

        async def consume() -> None:
            with contextlib.suppress(MediaStreamError):
                while True:
                    frame = await track.recv()
                    now = loop.time()
                    value = _marker_of(frame) if sent_at else None
                    offset = None if value is None else sent_at.get(value)
                    if offset is not None:
                        start = now - offset / self.speed
                        self.client_anchor = min(self.client_anchor or start, start)
                    self._client_frame.set()

        self._drains.append(asyncio.ensure_future(consume()))

    async def anchor(self) -> float:
        """When frame times start: the client's first frame (v2v), else now."""
        if self.media.anchored_on_client:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._client_frame.wait(), CLIENT_WAIT_S)
        return self.client_anchor or asyncio.get_running_loop().time()

    async def handle(self, kind: object, message: dict[str, Any]) -> bool:
        if kind == "action" and not self.media.anchored_on_client:
            self._apply_later()
        key = self.input_key(message)
        answers = self.media.replies.get(key)
        if not answers:
            await self.report(self.unknown, "LookupError")
            return True
        turn = self._turns.get(key, 0)
        self._turns[key] = turn + 1
        self._schedule(answers[turn % len(answers)])
        return True

    def _apply_later(self) -> None:
        self.actions = show_later(self, self.media.action_delays, self.actions, self.speed)

    def _schedule(self, replies: list[tuple[float, dict[str, Any]]]) -> None:
        if self._queue.qsize() + len(replies) > MAX_QUEUED:
            log.warning("%s: %d replies waiting: these are dropped", self.name, MAX_QUEUED)
            return
        now = asyncio.get_running_loop().time()
        for delay, message in replies:
            scaled = 0.0 if self.reply_speed is None else delay / self.reply_speed
            self._last_due = max(self._last_due, now + scaled)  # in order, as recorded
            self._queue.put_nowait((self._last_due, message))
        if self._sender is None:
            self._sender = asyncio.ensure_future(self._send_replies())
            self._drains.append(self._sender)

    async def _send_replies(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, message = await self._queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            await self.channel.send(message)


async def serve_recorded(
    channel: SignalingChannel,
    faults: Faults,
    media: MediaSession,
    speed: float | None,
    input_key: Callable[[Any], str],
    unknown: str,
) -> None:
    """One recorded session played to the client on `channel` (never raises)."""
    await RecordedSession(channel, faults, media, speed, input_key, unknown).run()


class RecordedWmaPeer(WmaPeer):
    """fal's wma session (4c) of the mock (`WmaPeer`: the answer, the `control` data
    channel, `pong`s made fresh), its video the recording's: the recorded frames at
    their recorded times, each applied control message shown in them after the recorded
    action's latency."""

    def __init__(self, faults: Faults, media: MediaSession, speed: float | None) -> None:
        super().__init__(faults)
        self.media = media
        self.speed = speed or 1.0
        self.client_anchor: float | None = None
        self.shown = 0
        self.actions = 0
        self.track = RecordedTrack(self)

    async def anchor(self) -> float:
        return asyncio.get_running_loop().time()

    def data_until(self, at: float) -> None:
        """The wma session's data channel is its control channel: the mock's own."""

    def _on_message(self, raw: str | bytes) -> None:
        before = self.applied
        super()._on_message(raw)
        if self.applied > before:
            self.actions = show_later(self, self.media.action_delays, self.actions, self.speed)
