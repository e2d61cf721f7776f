"""The real fal-client package against the mock (docs/protocols.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import fal_client.client as fc
import pytest

from tests.support.waiting import async_wait_until


def point_fal_client_at(monkeypatch: pytest.MonkeyPatch, base: str) -> None:
    """fal-client builds URLs from module constants."""
    monkeypatch.setattr(fc, "REALTIME_URL_FORMAT", base.replace("http://", "ws://") + "/")
    monkeypatch.setattr(fc, "RUN_URL_FORMAT", base + "/")
    monkeypatch.setattr(fc, "REST_URL", base)


@pytest.fixture
def fal(mock_base: str, monkeypatch: pytest.MonkeyPatch) -> fc.AsyncClient:
    point_fal_client_at(monkeypatch, mock_base)
    return fc.AsyncClient(key="anything")


@pytest.fixture
def app_inputs(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The `seq` of every input the echo app starts computing, in order. The mock runs in
    a thread of this process, so a test can wait until the app is busy instead of
    sleeping and hoping it is."""
    import server_mock.apps.echo as echo

    started: list[object] = []
    compute = echo._compute

    async def recording(data: dict) -> None:
        started.append(data.get("seq"))
        await compute(data)

    monkeypatch.setattr(echo, "_compute", recording)
    return started


@pytest.fixture
def keyed(start_mock, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with start_mock(key="secret-key") as base:
        point_fal_client_at(monkeypatch, base)
        yield base


async def test_realtime_round_trips_in_order(fal: fc.AsyncClient) -> None:
    async with fal.realtime("mock/echo") as conn:
        for i in range(50):
            await conn.send({"seq": i, "blob": b"\x00\x01" * 32})
            out = await asyncio.wait_for(conn.recv(), 5)
            assert out is not None
            assert out["seq"] == i
            assert out["blob"] == b"\x00\x01" * 32  # bytes stay msgpack bin
            assert out["server_send_ns"] >= out["server_recv_ns"] > 0


async def test_realtime_with_key_header_instead_of_jwt(fal: fc.AsyncClient) -> None:
    async with fal.realtime("mock/echo", use_jwt=False) as conn:
        await conn.send({"x": 1})
        assert (await asyncio.wait_for(conn.recv(), 5))["x"] == 1


def test_sync_client_realtime(mock_base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    point_fal_client_at(monkeypatch, mock_base)
    client = fc.SyncClient(key="anything")
    with client.realtime("mock/echo") as conn:
        conn.send({"hello": "world"})
        assert conn.recv()["hello"] == "world"


async def _app_error(fal: fc.AsyncClient, app: str, message: dict) -> fc.RealtimeError:
    """The RealtimeError fal's own client raises for the answer to `message`."""
    async with fal.realtime(app) as conn:
        await conn.send(message)
        with pytest.raises(fc.RealtimeError) as info:
            await asyncio.wait_for(conn.recv(), 5)
    return info.value


async def test_realtime_app_error_raises_realtime_error(fal: fc.AsyncClient) -> None:
    error = await _app_error(fal, "mock/echo", {"fail": "boom"})
    assert error.error == "INTERNAL_ERROR"
    assert error.reason == "boom"


async def test_validation_error_names_the_field(fal: fc.AsyncClient) -> None:
    error = await _app_error(fal, "mock/diffusion", {"width": "wide"})
    assert error.error == "INTERNAL_ERROR"
    assert "'width'" in error.reason


async def test_server_streaming_ends_with_timeout_error(fal: fc.AsyncClient) -> None:
    """fal's quirk, reproduced: a normal end of a streaming session is TIMEOUT."""
    received = []
    async with fal.realtime("mock/echo", path="/realtime-stream") as conn:
        await conn.send({"count": 4, "interval_ms": 1})
        with pytest.raises(fc.RealtimeError) as info:
            for _ in range(10):
                received.append(await asyncio.wait_for(conn.recv(), 5))
    assert [r["index"] for r in received] == [0, 1, 2, 3]
    assert info.value.error == "TIMEOUT"
    assert info.value.reason == "no inputs, reconnect when needed!"


async def test_max_buffering_drops_oldest(fal: fc.AsyncClient, app_inputs: list) -> None:
    """A buffer of 4 and a burst of 10 while the app is busy: outputs 0, 1, 2, 6, 7, 8, 9."""
    async with fal.realtime("mock/echo", max_buffering=4) as conn:
        await conn.send({"seq": 0, "sleep_ms": 300})
        await async_wait_until(lambda: 0 in app_inputs, what="the app to be busy with input 0")
        for i in range(1, 10):
            await conn.send({"seq": i})
        seqs = []
        for _ in range(7):
            seqs.append((await asyncio.wait_for(conn.recv(), 5))["seq"])
    assert seqs == [0, 1, 2, 6, 7, 8, 9]


async def test_batching_answers_one_output_per_batch(fal: fc.AsyncClient, app_inputs: list) -> None:
    async with fal.realtime("mock/echo", path="/realtime-batch") as conn:
        await conn.send({"seq": 0, "sleep_ms": 200})
        await async_wait_until(lambda: 0 in app_inputs, what="the app to be busy with input 0")
        for i in range(1, 9):
            await conn.send({"seq": i})
        seen: list[int] = []
        sizes = []
        for _ in range(9):  # at most one output per input
            out = await asyncio.wait_for(conn.recv(), 5)
            sizes.append(out["batch_size"])
            seen.extend(item["seq"] for item in out["batch"])
            if len(seen) >= 9:
                break
    assert seen == list(range(9))
    assert max(sizes) > 1 and all(s <= 4 for s in sizes)


async def test_timings_messages_are_skipped_by_fal_client(
    start_mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With timings on, the first frame is an x-fal-message; fal-client skips it."""
    with start_mock(timings=True) as base:
        point_fal_client_at(monkeypatch, base)
        client = fc.AsyncClient(key="anything")
        async with client.realtime("mock/echo") as conn:
            await conn.send({"a": 1})
            out = await asyncio.wait_for(conn.recv(), 5)
            # the zero timings frame came first on the wire (checked with a raw client in
            # test_realtime_protocol.py); fal-client must have skipped it
            assert out["a"] == 1
            assert "type" not in out


async def test_ws_connect_to_raw_websocket(fal: fc.AsyncClient) -> None:
    async with fal.ws_connect("mock/echo", path="/ws") as ws:
        await ws.send("text frame")
        assert await asyncio.wait_for(ws.recv(), 5) == "text frame"
        await ws.send(b"\x00binary")
        assert await asyncio.wait_for(ws.recv(), 5) == b"\x00binary"


async def test_stream_over_sse(fal: fc.AsyncClient) -> None:
    events = [
        e
        async for e in fal.stream(
            "mock/diffusion", {"steps": 3, "step_ms": 1, "width": 32, "height": 24}
        )
    ]
    assert [e["step"] for e in events[:-1]] == [1, 2, 3]
    final = events[-1]
    assert final["type"] == "result"
    image = final["images"][0]
    assert (image["width"], image["height"]) == (32, 24)
    assert image["url"].startswith("data:image/png;base64,")


async def test_run_plain_post(fal: fc.AsyncClient) -> None:
    out = await fal.run("mock/echo", {"q": 7})
    assert out["q"] == 7


async def test_token_fetch_and_auth_enforced(keyed: str) -> None:
    good = fc.AsyncClient(key="secret-key")
    token = await good._get_realtime_token("mock/echo")
    assert isinstance(token, str) and token
    async with good.realtime("mock/echo") as conn:  # JWT path
        await conn.send({"n": 1})
        assert (await asyncio.wait_for(conn.recv(), 5))["n"] == 1
    async with good.realtime("mock/echo", use_jwt=False) as conn:  # key header path
        await conn.send({"n": 2})
        assert (await asyncio.wait_for(conn.recv(), 5))["n"] == 2

    bad = fc.AsyncClient(key="wrong-key")
    with pytest.raises(fc.FalClientHTTPError) as info:
        await bad._get_realtime_token("mock/echo")
    assert info.value.status_code == 401


async def test_bad_key_refused_at_handshake(keyed: str) -> None:
    import websockets

    bad = fc.AsyncClient(key="wrong-key")
    with pytest.raises(websockets.exceptions.InvalidStatus) as info:
        async with bad.realtime("mock/echo", use_jwt=False):
            pass
    assert info.value.response.status_code == 401


async def test_abrupt_disconnect_is_connection_closed(fal: fc.AsyncClient) -> None:
    """A dropped TCP connection is CONNECTION_CLOSED for fal-client (docs/protocols.md, 1)."""
    got = []
    # use_jwt=False: fal-client would append "?fal_jwt_token" after our own query
    async with fal.realtime(
        "mock/echo", path="/realtime?disconnect_after=2", use_jwt=False
    ) as conn:
        with pytest.raises(fc.RealtimeError) as info:
            for i in range(5):
                await conn.send({"i": i})
                got.append((await asyncio.wait_for(conn.recv(), 5))["i"])
    assert got == [0, 1]
    assert info.value.error == "CONNECTION_CLOSED"


async def test_token_response_is_a_bare_json_string(mock_base: str) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{mock_base}/tokens/", json={"allowed_apps": ["echo"], "token_expiration": 120}
        )
    assert r.status_code == 200
    assert isinstance(r.json(), str)
    assert fc._parse_token_response(r.json()) == r.json()
