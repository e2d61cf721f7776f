"""Finding 5, over a real socket: every input over the mock's limit, just over or far
over, compressed or not, on every WebSocket endpoint, gets an x-fal-error naming the
limit, then close 1009; the server goes on serving. (Memory: benchmarks/mock_oversized.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import json

import msgpack
import pytest
import websockets

from tests.support.wsutil import decode

LIMIT = 1024 * 1024
PATHS = ("/mock/echo/realtime", "/mock/echo/ws", "/mock/yolo/webrtc", "/mock/yolo/realtime")


async def _oversized(url: str, size: int, compression: str | None) -> tuple[list[object], int]:
    async with websockets.connect(
        url, compression=compression, max_size=None, open_timeout=5, close_timeout=5
    ) as ws:
        # the server answers after the frame's header, so a big send may still be going
        # (and end in a reset) when the answer arrives: read while it is sent
        sending = asyncio.create_task(ws.send(b"\0" * size))
        frames: list[object] = []
        try:
            for _ in range(10):  # bounded: an error frame, then the close
                frames.append(decode(await asyncio.wait_for(ws.recv(), 10)))
        except websockets.ConnectionClosed as exc:
            with contextlib.suppress(websockets.ConnectionClosed):
                await asyncio.wait_for(sending, 10)
            return frames, exc.rcvd.code if exc.rcvd is not None else 1006
        finally:
            sending.cancel()
    raise AssertionError(f"still open after {frames}")


@pytest.mark.parametrize("compression", [None, "deflate"], ids=["plain", "deflate"])
@pytest.mark.parametrize("size", [LIMIT + 1, 40 * 1024 * 1024], ids=["just-over", "40MiB"])
async def test_every_oversized_input_gets_x_fal_error_then_1009(
    start_mock, size: int, compression: str | None
) -> None:
    with start_mock(max_message_bytes=LIMIT) as base:
        ws_base = base.replace("http", "ws")
        for path in PATHS:
            frames, code = await _oversized(ws_base + path, size, compression)
            assert code == 1009, (path, frames)
            *greeting, error = frames  # WebRTC signaling says "ready" first
            assert all(isinstance(f, dict) and f.get("type") == "ready" for f in greeting)
            assert isinstance(error, dict) and error["type"] == "x-fal-error", (path, error)
            assert f"exceeds the limit of {LIMIT} bytes" in error["reason"]
        # alive, and a message at the limit still passes
        async with websockets.connect(ws_base + "/mock/echo/ws", compression=None) as ws:
            await ws.send(b"\1" * LIMIT)
            assert len(await asyncio.wait_for(ws.recv(), 10)) == LIMIT
        async with websockets.connect(ws_base + "/mock/echo/realtime", compression=None) as ws:
            await ws.send(msgpack.packb({"ok": 1}))
            assert decode(await asyncio.wait_for(ws.recv(), 10))["ok"] == 1


async def test_the_reason_names_the_size_when_the_frame_header_tells_it(start_mock) -> None:
    with start_mock(max_message_bytes=LIMIT) as base:
        url = base.replace("http", "ws") + "/mock/echo/ws"
        frames, code = await _oversized(url, 2 * LIMIT, None)
    assert code == 1009
    reason = json.loads(json.dumps(frames[0]))["reason"]
    assert reason == f"input of {2 * LIMIT} bytes exceeds the limit of {LIMIT} bytes"


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_the_echo_endpoint_answers_the_same_way_behind_a_server_without_the_cap() -> None:
    """Behind an ASGI server that does not enforce the size (here Starlette's test client),
    the echo's own check gives the same x-fal-error and 1009."""
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect

    from server_mock.app import create_app
    from server_mock.config import MockConfig

    client = TestClient(create_app(MockConfig(max_message_bytes=1024)))
    with client, client.websocket_connect("/mock/echo/ws") as ws:
        ws.send_bytes(b"\0" * 2048)
        error = json.loads(ws.receive_text())
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_bytes()
    assert error["type"] == "x-fal-error"
    assert error["reason"] == "input of 2048 bytes exceeds the limit of 1024 bytes"
    assert closed.value.code == 1009
