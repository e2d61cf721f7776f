"""WebRTC signaling through the real mock server: JSON text (4a) and msgpack (4b) sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import msgpack
import pytest
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription

from app.core.codecs import webrtc_marker as marker
from app.core.transports.loopback import (
    rtc_configuration,
    sdp_candidate_addresses,
    use_loopback_candidates,
)
from tests.server_mock.test_webrtc import MovingBar
from tests.support.wsutil import connect, decode, drain

pytestmark = pytest.mark.timeout(60)

Encode = Callable[[dict[str, Any]], str | bytes]


def as_json(message: dict[str, Any]) -> str:
    return json.dumps(message)


def as_msgpack(message: dict[str, Any]) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


async def next_of(ws: Any, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            message = decode(await ws.recv())
            assert message.get("type") != "error", message
            if message.get("type") == kind:
                return message


async def offer(ws: Any, pc: RTCPeerConnection, encode: Encode) -> dict[str, Any]:
    await pc.setLocalDescription(await pc.createOffer())
    await ws.send(encode({"type": "offer", "sdp": pc.localDescription.sdp}))
    answer = await next_of(ws, "answer")
    assert sdp_candidate_addresses(answer["sdp"]) == {"127.0.0.1"}
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
    return answer


async def read_markers(track: MediaStreamTrack, count: int) -> list[int | None]:
    async with asyncio.timeout(10):
        return [marker.read((await track.recv()).to_ndarray(format="rgb24")) for _ in range(count)]


async def test_yolo_over_json_text(ws_base: str) -> None:
    with use_loopback_candidates():
        pc = RTCPeerConnection(rtc_configuration())
        tracks: asyncio.Queue[MediaStreamTrack] = asyncio.Queue()
        pc.on("track", tracks.put_nowait)
        pc.addTrack(MovingBar())
        try:
            async with connect(f"{ws_base}/mock/yolo/webrtc") as ws:
                first = await asyncio.wait_for(ws.recv(), 5)
                assert isinstance(first, str) and json.loads(first) == {"type": "ready"}
                await offer(ws, pc, as_json)
                ids = await read_markers(await asyncio.wait_for(tracks.get(), 5), 10)
                read = [i for i in ids if i is not None]
                assert len(read) >= 8 and read == sorted(set(read))
        finally:
            await pc.close()


async def test_world_over_msgpack(ws_base: str) -> None:
    with use_loopback_candidates():
        pc = RTCPeerConnection(rtc_configuration())
        tracks: asyncio.Queue[MediaStreamTrack] = asyncio.Queue()
        pc.on("track", tracks.put_nowait)
        pc.addTransceiver("video", direction="recvonly")
        try:
            async with connect(f"{ws_base}/mock/world/realtime") as ws:
                greetings = [decode(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
                assert greetings == [{"type": "iceservers", "iceservers": []}, {"type": "ready"}]
                await offer(ws, pc, as_msgpack)
                track = await asyncio.wait_for(tracks.get(), 5)
                await ws.send(as_msgpack({"type": "action", "action": "w l"}))
                async with asyncio.timeout(5):
                    while marker.unpack_world((await read_markers(track, 1))[0] or 0)[0] != 1:
                        pass
                await ws.send(as_msgpack({"type": "pause", "paused": True}))
                assert await next_of(ws, "pause") == {"type": "pause", "paused": True}
        finally:
            await pc.close()


async def test_broken_offer_over_msgpack_ends_with_error_then_timeout(ws_base: str) -> None:
    async with connect(f"{ws_base}/mock/yolo/realtime") as ws:
        assert decode(await asyncio.wait_for(ws.recv(), 5)) == {"type": "ready"}
        await ws.send(as_msgpack({"type": "offer", "sdp": "v=0\r\n"}))
        frames, code = await drain(ws)
    assert frames[0]["type"] == "error" and frames[0]["error"].startswith("offer_failed:")
    assert frames[-1]["type"] == "x-fal-error" and frames[-1]["error"] == "TIMEOUT"
    assert code == 1000
    assert "answer" not in [f["type"] for f in frames]


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        (b"\x81\xa4type\xa5offer", "expected a JSON text frame, got a binary frame"),
        ("{not json", "not JSON"),
        ("[1, 2]", "is a list, not an object"),
        (json.dumps({"type": "dance"}), "unknown message type 'dance'"),
    ],
)
async def test_bad_json_text_frames_are_reported_and_the_session_goes_on(
    ws_base: str, frame: str | bytes, says: str
) -> None:
    """The 4a socket decodes with the client's codec: each bad frame is one non-fatal
    `bad_message` error, and the next message is still answered."""
    async with connect(f"{ws_base}/mock/yolo/webrtc") as ws:
        assert decode(await asyncio.wait_for(ws.recv(), 5)) == {"type": "ready"}
        await ws.send(frame)
        error = decode(await asyncio.wait_for(ws.recv(), 5))
        assert error["type"] == "error" and error["error"].startswith("bad_message:")
        assert says in error["error"] and "\n" not in error["error"]
        await ws.send(as_json({"type": "still-there"}))
        again = decode(await asyncio.wait_for(ws.recv(), 5))
        assert again["type"] == "error" and "still-there" in again["error"]
