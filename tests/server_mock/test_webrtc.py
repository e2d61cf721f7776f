"""The WebRTC mock apps driven by a plain aiortc peer over an in-memory signaling channel.

Both peers run in this process on 127.0.0.1 (no STUN, loopback candidates only). Every
wait is bounded; the only timing checks are generous sanity bounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import statistics
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
import pytest
from aiortc import (
    MediaStreamTrack,
    RTCDataChannel,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)

from app.core.codecs import webrtc_marker as marker
from app.core.transports.loopback import (
    loopback_candidates_active,
    rtc_configuration,
    sdp_candidate_addresses,
    use_loopback_candidates,
)
from server_mock.config import FaultConfig
from server_mock.faults import Faults
from server_mock.webrtc import (
    WORLD_HEIGHT,
    WORLD_WIDTH,
    MemoryChannel,
    memory_channel_pair,
    serve_world,
    serve_yolo,
)
from tests.support.waiting import async_wait_until

pytestmark = pytest.mark.timeout(60)

Serve = Callable[[MemoryChannel, Faults], Awaitable[None]]
BACKGROUND = 40


class MovingBar(VideoStreamTrack):
    """Grey frames with a bar sliding across, each stamped with its frame id."""

    def __init__(self, width: int = 640, height: int = 480) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.sent = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        img = np.full((self.height, self.width, 3), BACKGROUND, np.uint8)
        x = (self.sent * 12) % (self.width - 96)
        img[self.height // 3 : self.height // 3 + 96, x : x + 96] = 170
        marker.stamp(img, self.sent)
        self.sent += 1
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


@dataclass
class Client:
    channel: MemoryChannel
    pc: RTCPeerConnection
    server: asyncio.Task[None]
    tracks: asyncio.Queue[MediaStreamTrack]
    source: MovingBar | None = None
    datachannel: RTCDataChannel | None = None
    detections: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    async def expect(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next message of type `kind`; an unexpected error message fails the test."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.channel.recv()
                assert message is not None, f"signaling closed while waiting for {kind}"
                if message["type"] == kind:
                    return message
                assert message["type"] != "error", message

    async def quiet(self, seconds: float = 0.3) -> None:
        """Nothing arrives on the signaling channel for `seconds`."""
        with contextlib.suppress(TimeoutError):
            message = await asyncio.wait_for(self.channel.recv(), seconds)
            pytest.fail(f"unexpected message {message}")

    async def negotiate(self) -> dict[str, Any]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.channel.send({"type": "offer", "sdp": self.pc.localDescription.sdp})
        answer = await self.expect("answer")
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        return answer

    async def video(self) -> MediaStreamTrack:
        return await asyncio.wait_for(self.tracks.get(), 5)

    async def ended(self, timeout: float = 5.0) -> None:
        """The server side of the session finished on its own."""
        await asyncio.wait_for(asyncio.shield(self.server), timeout)


@contextlib.asynccontextmanager
async def session(
    serve: Serve,
    faults: FaultConfig | None = None,
    *,
    send_video: bool = True,
    datachannel: bool = False,
) -> AsyncIterator[Client]:
    server_end, client_end = memory_channel_pair()
    server = asyncio.create_task(serve(server_end, Faults(faults or FaultConfig())))
    with use_loopback_candidates():
        pc = RTCPeerConnection(rtc_configuration())
        client = Client(client_end, pc, server, asyncio.Queue())
        pc.on("track", client.tracks.put_nowait)
        if send_video:
            client.source = MovingBar()
            pc.addTrack(client.source)
        else:
            pc.addTransceiver("video", direction="recvonly")
        if datachannel:
            client.datachannel = pc.createDataChannel("detections")
            client.datachannel.on("message", client.detections.put_nowait)
        try:
            yield client
        finally:
            client_end.close()
            await asyncio.wait_for(server, 10)
            await pc.close()


async def frames(track: MediaStreamTrack, count: int, timeout: float = 10.0) -> list[np.ndarray]:
    """`count` received frames as RGB arrays."""
    out = []
    async with asyncio.timeout(timeout):
        for _ in range(count):
            frame = await track.recv()
            out.append(frame.to_ndarray(format="rgb24"))
    return out


# ------------------------------------------------------------------------ greetings, SDP


async def test_yolo_says_ready_first() -> None:
    async with session(serve_yolo) as client:
        assert await asyncio.wait_for(client.channel.recv(), 5) == {"type": "ready"}


async def test_world_sends_iceservers_then_ready() -> None:
    async with session(serve_world, send_video=False) as client:
        first = await asyncio.wait_for(client.channel.recv(), 5)
        assert first == {"type": "iceservers", "iceservers": []}
        assert await asyncio.wait_for(client.channel.recv(), 5) == {"type": "ready"}


@pytest.mark.parametrize("serve", [serve_yolo, serve_world], ids=["yolo", "world"])
async def test_offer_answer_use_loopback_only(serve: Serve) -> None:
    async with session(serve, send_video=serve is serve_yolo) as client:
        answer = await client.negotiate()
        assert answer["type"] == "answer"
        assert sdp_candidate_addresses(client.pc.localDescription.sdp) == {"127.0.0.1"}
        assert sdp_candidate_addresses(answer["sdp"]) == {"127.0.0.1"}
        await client.video()


# ------------------------------------------------------------------------ yolo media


async def test_yolo_returns_annotated_frames_with_marker_intact() -> None:
    async with session(serve_yolo) as client:
        await client.expect("ready")
        await client.negotiate()
        received = await frames(await client.video(), 30)
    assert all(img.shape == (480, 640, 3) for img in received)
    ids = [marker.read(img) for img in received]
    read = [i for i in ids if i is not None]
    assert len(read) >= 25
    assert read == sorted(set(read)), "frame ids come back in order, once each"
    # Box outlines are bright green; the input is grey only.
    r, g, b = (np.stack(received).astype(int)[..., i] for i in range(3))
    green = (g > r + 80) & (g > b + 80)
    assert green.any(axis=(1, 2)).sum() >= 10
    x, y, w, h = marker.marker_region(640, 480)
    assert not green[:, y : y + h, x : x + w].any()


async def test_yolo_sends_detections_on_the_data_channel() -> None:
    async with session(serve_yolo, datachannel=True) as client:
        await client.negotiate()
        await client.video()
        messages = []
        async with asyncio.timeout(10):
            while len(messages) < 20:
                messages.append(json.loads(await client.detections.get()))
    assert all(set(m) == {"frame", "pts", "boxes"} for m in messages)
    frames_seen = [m["frame"] for m in messages if m["frame"] is not None]
    assert len(frames_seen) >= 15 and frames_seen == sorted(frames_seen)
    boxes = [box for m in messages for box in m["boxes"]]
    assert any(box[4] == "motion" for box in boxes)
    for bx, by, bw, bh, kind, score in boxes:
        assert kind in ("motion", "bright") and 0 <= score <= 1
        assert bx >= 0 and by >= 0 and bx + bw <= 640 and by + bh <= 480


async def test_yolo_frame_drop_fault_drops_frames() -> None:
    async with session(serve_yolo, FaultConfig(frame_drop=0.5, seed=3)) as client:
        await client.negotiate()
        received = await frames(await client.video(), 20)
    ids = [i for i in (marker.read(img) for img in received) if i is not None]
    assert len(ids) >= 15
    assert ids[-1] - ids[0] + 1 > len(set(ids)) + 3, "about half the ids are missing"


# ------------------------------------------------------------------------ ICE candidates


async def test_null_and_empty_candidates_are_end_of_candidates() -> None:
    async with session(serve_yolo) as client:
        await client.expect("ready")
        await client.negotiate()
        own = next(
            line[2:]
            for line in client.pc.localDescription.sdp.splitlines()
            if line.startswith("a=candidate:")
        )
        trickled = {"candidate": own, "sdpMid": "0", "sdpMLineIndex": 0}
        await client.channel.send({"type": "icecandidate", "candidate": trickled})
        await client.channel.send(
            {"type": "icecandidate", "candidate": {"candidate": "", "sdpMid": "0"}}
        )
        await client.channel.send({"type": "icecandidate", "candidate": None})
        await client.channel.send({"type": "icecandidate", "candidate": ""})
        await client.quiet()
        assert len(await frames(await client.video(), 5)) == 5
        assert not client.server.done()


async def test_candidates_before_the_offer_are_kept() -> None:
    async with session(serve_yolo) as client:
        await client.channel.send({"type": "icecandidate", "candidate": None})
        await client.negotiate()
        assert len(await frames(await client.video(), 3)) == 3


async def test_non_loopback_candidate_is_ignored_not_used() -> None:
    async with session(serve_yolo) as client:
        await client.negotiate()
        outside = "candidate:1 1 udp 2130706431 192.0.2.7 9 typ host"
        await client.channel.send(
            {"type": "icecandidate", "candidate": {"candidate": outside, "sdpMLineIndex": 0}}
        )
        await client.quiet()
        assert len(await frames(await client.video(), 3)) == 3


@pytest.mark.parametrize(
    "candidate",
    [
        {"candidate": "candidate:garbage", "sdpMid": "0", "sdpMLineIndex": 0},
        {"candidate": "candidate:1 1 udp notanumber 127.0.0.1 9 typ host", "sdpMid": "0"},
        {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"},  # no sdpMid/index
        42,
    ],
    ids=["short", "bad-priority", "no-mid", "not-a-string"],
)
async def test_broken_candidate_is_ice_failed(candidate: object) -> None:
    async with session(serve_yolo) as client:
        await client.negotiate()
        await client.channel.send({"type": "icecandidate", "candidate": candidate})
        error = await client.expect("error")
        assert error["error"].startswith("ice_failed:")
        assert "\n" not in error["error"]
        await client.ended()


# ------------------------------------------------------------------------ bad messages


@pytest.mark.parametrize("serve", [serve_yolo, serve_world], ids=["yolo", "world"])
@pytest.mark.parametrize("sdp", ["v=0\r\nnonsense\r\n", "", None])
async def test_broken_offer_is_offer_failed(serve: Serve, sdp: str | None) -> None:
    async with session(serve) as client:
        await client.channel.send({"type": "offer", "sdp": sdp})
        error = await client.expect("error")
        assert error["error"].startswith("offer_failed:")
        await client.ended()


async def test_world_offer_without_video_is_offer_failed() -> None:
    async with session(serve_world, send_video=False) as client:
        data_only = RTCPeerConnection(rtc_configuration())
        try:
            data_only.createDataChannel("control")
            await data_only.setLocalDescription(await data_only.createOffer())
            offer = {"type": "offer", "sdp": data_only.localDescription.sdp}
            await client.channel.send(offer)
            assert (await client.expect("error"))["error"].startswith("offer_failed:")
            await client.ended()
        finally:
            await data_only.close()


async def test_unknown_type_is_reported_and_the_session_goes_on() -> None:
    async with session(serve_yolo) as client:
        await client.expect("ready")
        await client.channel.send({"type": "dance"})
        error = await client.expect("error")
        assert error["error"].startswith("bad_message:") and "dance" in error["error"]
        await client.channel.send({"type": "icecandidate"})  # no candidate field
        assert (await client.expect("error"))["error"].startswith("bad_message:")
        await client.negotiate()
        assert len(await frames(await client.video(), 3)) == 3


async def test_session_ends_when_the_peer_connection_closes() -> None:
    async with session(serve_yolo) as client:
        await client.negotiate()
        await frames(await client.video(), 3)
        await client.pc.close()
        await client.ended(10)


async def test_session_ends_when_signaling_closes() -> None:
    async with session(serve_world, send_video=False) as client:
        await client.negotiate()
        await frames(await client.video(), 3)
        client.channel.close()
        await client.ended()


# ------------------------------------------------------------------------ world


async def world_values(track: MediaStreamTrack, count: int) -> list[tuple[int, int]]:
    """(action id, seq) of the next `count` frames."""
    values = []
    for img in await frames(track, count):
        value = marker.read(img)
        assert value is not None
        values.append(marker.unpack_world(value))
    return values


async def test_world_streams_640x352_at_about_30_fps() -> None:
    """30 fps on the stream's own timeline: the median step between the pts of received
    frames (a lost frame only makes one step longer). How many frames arrive per
    wall-clock second depends on the CPU the machine has left to encode and decode, so
    the wall clock bounds only the top: the scene is paced, not free-running."""
    async with session(serve_world, send_video=False) as client:
        await client.negotiate()
        track = await client.video()
        await frames(track, 3)
        loop = asyncio.get_running_loop()
        start = loop.time()
        got = []
        async with asyncio.timeout(10):
            for _ in range(45):
                got.append(await track.recv())
        wall_fps = 45 / (loop.time() - start)
    steps_s = [float((b.pts - a.pts) * b.time_base) for a, b in itertools.pairwise(got)]
    assert statistics.median(steps_s) == pytest.approx(1 / 30, rel=0.05)
    assert wall_fps < 60
    received = [f.to_ndarray(format="rgb24") for f in got]
    assert all(img.shape == (WORLD_HEIGHT, WORLD_WIDTH, 3) for img in received)
    seqs = [marker.unpack_world(marker.read(img) or 0)[1] for img in received]
    assert seqs == sorted(seqs)


async def test_world_action_shows_in_the_marker() -> None:
    async with session(serve_world, send_video=False) as client:
        await client.negotiate()
        track = await client.video()
        assert {a for a, _ in await world_values(track, 3)} == {0}
        for action_id, action in enumerate(["w u", "q l", "up", "q u"], start=1):
            await client.channel.send({"type": "action", "action": action})
            async with asyncio.timeout(3):
                while (await world_values(track, 1))[0][0] != action_id:
                    pass
        await client.channel.send({"type": "action", "action": "w fly"})
        error = await client.expect("error")
        assert error["error"].startswith("bad_message:") and "fly" in error["error"]
        assert {a for a, _ in await world_values(track, 5)} == {4}


async def test_world_action_moves_the_scene() -> None:
    async with session(serve_world, send_video=False) as client:
        await client.negotiate()
        track = await client.video()
        await client.channel.send({"type": "action", "action": "w l"})
        before, after = (await frames(track, 15))[::14]
    x, y, w, h = marker.marker_region(WORLD_WIDTH, WORLD_HEIGHT)
    before[: y + h, : x + w] = after[: y + h, : x + w] = 0
    assert np.abs(before.astype(int) - after.astype(int)).mean() > 5


async def test_world_pause_is_acknowledged_and_freezes_frames() -> None:
    async with session(serve_world, send_video=False) as client:
        await client.negotiate()
        track = await client.video()
        await frames(track, 3)
        await client.channel.send({"type": "pause", "paused": True})
        assert await client.expect("pause") == {"type": "pause", "paused": True}
        await frames(track, 5)  # frames already on the way
        frozen = await world_values(track, 10)
        assert len(set(frozen)) == 1
        await client.channel.send({"type": "pause", "paused": False})
        assert await client.expect("pause") == {"type": "pause", "paused": False}
        await frames(track, 5)
        moving = await world_values(track, 5)
        assert len(set(moving)) == 5 and moving[0][1] > frozen[0][1]
        await client.channel.send({"type": "pause", "paused": "yes"})
        assert (await client.expect("error"))["error"].startswith("bad_message:")


async def test_world_frame_drop_fault_leaves_gaps_in_seq() -> None:
    async with session(serve_world, FaultConfig(frame_drop=0.5, seed=5), send_video=False) as c:
        await c.negotiate()
        seqs = [seq for _, seq in await world_values(await c.video(), 20)]
    assert seqs == sorted(seqs)
    assert seqs[-1] - seqs[0] + 1 > len(seqs) + 3


@pytest.mark.parametrize("serve", [serve_yolo, serve_world], ids=["yolo", "world"])
async def test_no_tasks_or_patch_left_after_a_session(serve: Serve) -> None:
    before = asyncio.all_tasks()
    async with session(serve, send_video=serve is serve_yolo, datachannel=True) as client:
        await client.negotiate()
        await frames(await client.video(), 5)

    def no_new_tasks() -> bool:
        return not asyncio.all_tasks() - before - {asyncio.current_task()}

    await async_wait_until(no_new_tasks, 5, what="the session's tasks to end")
    assert not loopback_candidates_active()
