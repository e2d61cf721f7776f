"""The realtime protocol as a raw client sees it: error frames, close codes, timeouts."""

from __future__ import annotations

import asyncio
import json
import logging

import msgpack
import pytest

from tests.support.waiting import async_wait_until
from tests.support.wsutil import connect, decode, drain, refused

PACK = msgpack.packb


async def _expect_internal_error(url: str, frame: str | bytes, code: int = 1000) -> str:
    async with connect(url) as ws:
        await ws.send(frame)
        frames, close = await drain(ws)
    assert close == code
    assert len(frames) == 1, frames
    error = frames[0]
    assert error["type"] == "x-fal-error"
    assert error["error"] == "INTERNAL_ERROR"
    return error["reason"]


@pytest.mark.parametrize(
    ("frame", "reason_part"),
    [
        (b"\xc1\xc1\xc1", "invalid msgpack"),
        ("a text frame", "text frame"),
        (PACK([1, 2, 3]), "expected a msgpack map, got list"),
        (PACK({"sleep_ms": "slow"}), "'sleep_ms' must be a number"),
    ],
    ids=["malformed-msgpack", "text-frame", "not-a-map", "wrong-field-type"],
)
async def test_bad_input_gets_error_frame_then_close_1000(
    ws_base: str, frame: str | bytes, reason_part: str
) -> None:
    reason = await _expect_internal_error(f"{ws_base}/mock/echo/realtime", frame)
    assert reason_part in reason


async def test_unknown_fields_are_ignored(ws_base: str) -> None:
    async with connect(f"{ws_base}/mock/diffusion/realtime") as ws:
        await ws.send(PACK({"width": 16, "height": 16, "steps": 1, "step_ms": 0, "extra": [1]}))
        out = decode(await asyncio.wait_for(ws.recv(), 5))
    assert out["image"]["content"].startswith(b"\x89PNG")
    assert (out["image"]["width"], out["image"]["height"]) == (16, 16)


async def test_oversized_message_error_and_close_1009(start_mock) -> None:
    with start_mock(max_message_bytes=1024) as base:
        url = base.replace("http", "ws") + "/mock/echo/realtime"
        reason = await _expect_internal_error(url, PACK({"blob": b"x" * 2000}), code=1009)
        assert "exceeds the limit of 1024 bytes" in reason
        async with connect(url) as ws:  # the server still serves others
            await ws.send(PACK({"ok": 1}))
            assert decode(await asyncio.wait_for(ws.recv(), 5))["ok"] == 1


async def test_bad_session_does_not_disturb_others(ws_base: str) -> None:
    url = f"{ws_base}/mock/echo/realtime"
    async with connect(url) as good:
        await _expect_internal_error(url, b"\xc1")
        for i in range(20):
            await good.send(PACK({"i": i}))
            assert decode(await asyncio.wait_for(good.recv(), 5))["i"] == i


async def test_unknown_path_refused_at_handshake(ws_base: str) -> None:
    for path in ("/mock/echo/nope", "/mock/nope/realtime", "/other/echo/realtime"):
        response = await refused(ws_base + path)
        assert response.status_code == 403


@pytest.mark.parametrize("value", ["0", "61", "x"])
async def test_bad_max_buffering_refused(ws_base: str, value: str) -> None:
    response = await refused(f"{ws_base}/mock/echo/realtime?max_buffering={value}")
    assert response.status_code == 400
    assert b"max_buffering" in response.body


async def test_idle_session_times_out(start_mock) -> None:
    with start_mock(session_timeout_s=0.3) as base:
        async with connect(base.replace("http", "ws") + "/mock/echo/realtime") as ws:
            await ws.send(PACK({"i": 0}))
            frames, close = await drain(ws)
    assert frames[0]["i"] == 0
    assert frames[1] == {
        "type": "x-fal-error",
        "error": "TIMEOUT",
        "reason": "no inputs, reconnect when needed!",
    }
    assert close == 1000


async def test_client_close_ends_session_quietly(mock_base: str, ws_base: str) -> None:
    import httpx

    async with connect(f"{ws_base}/mock/echo/realtime") as ws:
        await ws.send(PACK({"i": 1}))
        await ws.recv()
    async with httpx.AsyncClient() as client:

        async def no_sessions() -> bool:
            return (await client.get(f"{mock_base}/health")).json()["sessions"] == 0

        await async_wait_until(no_sessions, what="the mock to count no open session")


async def test_timings_frames(ws_base: str) -> None:
    async with connect(f"{ws_base}/mock/echo/realtime?timings=1") as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert first == {"type": "x-fal-message", "action": "timings", "timing": 0.0}
        await ws.send(PACK({"i": 1}))
        assert decode(await asyncio.wait_for(ws.recv(), 5))["i"] == 1


async def test_non_json_and_other_text_from_a_raw_app(ws_base: str) -> None:
    """Raw /ws echoes text as text: the client codec turns it into typed messages."""
    from app.core.codecs.realtime import TextMessage, decode_frame

    async with connect(f"{ws_base}/mock/echo/ws") as ws:
        await ws.send("plain words")
        got = decode_frame(await ws.recv())
        await ws.send('{"type": "custom", "v": 1}')
        got2 = decode_frame(await ws.recv())
    assert got == TextMessage({"type": "text", "payload": "plain words"}, 11)
    assert isinstance(got2, TextMessage) and got2.data == {"type": "custom", "v": 1}


async def test_openapi_marks_realtime_routes(mock_base: str) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        spec = (await client.get(f"{mock_base}/mock/echo/openapi.json")).json()
    # on the path item, as fal's SDK puts it (fal/api/api.py), the schemas on a mirror post
    proto = spec["paths"]["/realtime"]["x-fal-protocol"]
    assert proto["type"] == "realtime" and proto["realtimeMode"] == "unary"
    assert spec["paths"]["/realtime-batch"]["x-fal-protocol"]["config"]["maxBatchSize"] == 4
    assert spec["paths"]["/ws"]["x-fal-protocol"]["type"] == "websocket"
    assert "post" not in spec["paths"]["/ws"]  # a raw WebSocket has no schema to mirror
    body = spec["paths"]["/realtime"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/EchoInput"}
    assert "EchoInput" in spec["components"]["schemas"]


async def test_bad_input_is_logged_in_one_line(
    ws_base: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="server_mock")
    await _expect_internal_error(f"{ws_base}/mock/echo/realtime", PACK("just a string"))

    def mock_records() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "server_mock"]

    # the server logs on its own thread
    records = await async_wait_until(mock_records, what="the mock's log line")
    assert len(records) == 1
    message = records[0].getMessage()
    assert "bad input: expected a msgpack map, got str" in message
    assert "\n" not in message and records[0].exc_info is None
