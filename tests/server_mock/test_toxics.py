"""Toxics built into the mock, at the byte-stream level: per connection by `?toxic=`,
server-wide by config, live through /_mock/toxics; measured with rtprobe's own engine
(realtime, raw WebSocket, SSE) and with websockets directly, in generous bands."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

import httpx
import pytest
import websockets

from app.core.config import RunConfig
from app.core.engine.run import run_collect
from app.core.network.spec import parse_spec
from app.core.targets import resolve
from server_mock import MockConfig, MockServer
from tests.support.waiting import async_wait_until

KIB64 = 64 * 1024


def toxic(spec: str) -> str:
    return "toxic=" + quote(spec, safe="")


async def p50_ms(transport: str, url: str, payload: object, count: int = 20) -> dict:
    cfg = RunConfig(target=resolve(transport, url), payload=payload, count=count)
    s = (await run_collect(cfg)).summary()
    assert (s["sent"], s["received"], s["errors"]) == (count, count, 0), s
    return s


@pytest.mark.parametrize(
    ("transport", "path", "payload"),
    [
        ("realtime", "mock/echo/realtime", {"n": 1}),
        ("ws", "mock/echo/ws", "hello"),
        ("sse", "mock/echo/stream", {"count": 1}),
    ],
)
async def test_query_latency_raises_p50_by_twice_the_latency(
    mock_base: str, transport: str, path: str, payload: object
) -> None:
    url = f"{mock_base}/{path}"
    direct = (await p50_ms(transport, url, payload))["rtt_ms"]["p50"]
    spec = "latency:latency=50,stream=both"
    shaped = (await p50_ms(transport, f"{url}?{toxic(spec)}", payload))["rtt_ms"]["p50"]
    # one round trip crosses each direction once: +100 ms (SSE: request, then response)
    assert shaped >= direct + 85, (direct, shaped)
    assert shaped < direct + 400, (direct, shaped)


async def test_query_bandwidth_paces_a_64kib_websocket_message(ws_base: str) -> None:
    async def echo_s(query: str) -> float:
        async with websockets.connect(
            f"{ws_base}/mock/echo/ws{query}", compression=None, max_size=None
        ) as ws:
            t0 = time.perf_counter()
            await ws.send(b"\x01" * KIB64)
            assert len(await asyncio.wait_for(ws.recv(), 20)) == KIB64
            return time.perf_counter() - t0

    direct = await echo_s("")
    shaped = await echo_s("?" + toxic("bandwidth:rate=100"))
    assert 0.5 < shaped < 2.5 and shaped > 5 * direct, (direct, shaped)


async def test_slicer_keeps_every_sse_event_whole(mock_base: str) -> None:
    spec = "slicer:average_size=7,size_variation=3,delay=100"
    s = await p50_ms("sse", f"{mock_base}/mock/echo/stream?{toxic(spec)}", {"count": 5}, 5)
    assert s["events"] == 25


async def test_server_wide_toxics_from_the_config(start_mock) -> None:
    with start_mock(toxics=parse_spec("latency:latency=60,stream=upstream")) as base:
        s = await p50_ms("realtime", f"{base}/mock/echo/realtime", {"n": 1}, 10)
        assert s["rtt_ms"]["p50"] >= 55
        toxics = httpx.get(f"{base}/_mock/toxics").json()
        assert [t["name"] for t in toxics] == ["latency_upstream"]


async def test_live_change_through_mock_toxics_applies_to_an_open_socket(ws_base: str) -> None:
    base = ws_base.replace("ws://", "http://")
    async with (
        httpx.AsyncClient(base_url=base) as http,
        websockets.connect(f"{ws_base}/mock/echo/ws", compression=None) as ws,
    ):

        async def rtt() -> float:
            t0 = time.perf_counter()
            await ws.send("x")
            assert await asyncio.wait_for(ws.recv(), 20) == "x"
            return time.perf_counter() - t0

        try:
            assert await rtt() < 0.15
            r = await http.put("/_mock/toxics", json={"spec": "latency:latency=250"})
            assert r.status_code == 200 and r.json()[0]["attributes"]["latency"] == 250
            assert await rtt() >= 0.24
            r = await http.post(
                "/_mock/toxics/latency_downstream", json={"attributes": {"latency": 0}}
            )
            assert r.status_code == 200
            assert await rtt() < 0.15
            made = await http.post(
                "/_mock/toxics", json={"type": "latency", "attributes": {"latency": 1}}
            )
            assert made.status_code == 409
        finally:
            await http.put("/_mock/toxics", json={"spec": ""})
        assert (await http.get("/_mock/toxics")).json() == []


async def test_bad_toxic_query_is_refused_with_one_line_naming_the_field(
    mock_base: str, ws_base: str
) -> None:
    bad = toxic("latency:latncy=5")
    r = httpx.post(f"{mock_base}/mock/echo/stream?{bad}", json={})
    assert r.status_code == 400
    assert "latency has no attribute 'latncy'" in r.json()["detail"]
    with pytest.raises(websockets.InvalidStatus) as info:
        async with websockets.connect(f"{ws_base}/mock/echo/ws?{bad}"):
            pass
    assert info.value.response.status_code == 400
    assert b"no attribute 'latncy'" in info.value.response.body
    r = httpx.put(f"{mock_base}/_mock/toxics", json={"spec": "bandwidth:rate=x"})
    assert r.status_code == 400 and "rate='x' is not a whole number" in r.json()["detail"]


async def test_limit_data_cuts_a_websocket_and_reset_peer_resets_it(ws_base: str) -> None:
    # the handshake answer alone is ~150 bytes: 400 lets it and the first frames through
    async with websockets.connect(
        f"{ws_base}/mock/echo/ws?{toxic('limit_data:bytes=400')}", compression=None
    ) as ws:
        with pytest.raises(websockets.ConnectionClosedError):
            for _ in range(50):
                await ws.send("y" * 50)
                await asyncio.wait_for(ws.recv(), 10)
    spec = "reset_peer:timeout=50,stream=upstream"
    with pytest.raises((ConnectionResetError, websockets.InvalidMessage, OSError)):
        async with websockets.connect(f"{ws_base}/mock/echo/ws?{toxic(spec)}", open_timeout=10):
            pass


async def test_thousands_of_dropped_connections_leave_no_task_or_listener() -> None:
    config = MockConfig(toxics=parse_spec("latency:latency=1,stream=both"))
    server = MockServer(config)
    async with server as base:
        port = server.port
        toxics = server.app.state.toxics
        before = len(asyncio.all_tasks())
        for batch in range(10):
            conns = await asyncio.gather(
                *(asyncio.open_connection("127.0.0.1", port) for _ in range(100))
            )
            for i, (_, writer) in enumerate(conns):
                if i % 2:  # half send part of a request line with toxics of their own
                    writer.write(b"GET /health?" + toxic("slicer:average_size=1").encode())
                if (i + batch) % 3 == 0:
                    writer.transport.abort()
                else:
                    writer.close()
        await async_wait_until(lambda: toxics.listening == 0, 30, what="every listener to go")
        await async_wait_until(
            lambda: len(asyncio.all_tasks()) <= before, 30, what="the connections' tasks to end"
        )
        async with httpx.AsyncClient(base_url=base) as http:
            assert (await http.get("/health")).status_code == 200


@pytest.mark.parametrize(
    ("transport", "path", "payload"),
    [
        ("realtime", "mock/echo/realtime", {"blob": "z" * 3000}),
        ("ws", "mock/echo/ws", "w" * 3000),
        ("sse", "mock/echo/stream", {"count": 3}),
    ],
)
async def test_slicer_both_ways_keeps_every_message_of_a_real_run(
    mock_base: str, transport: str, path: str, payload: object
) -> None:
    spec = "slicer:average_size=16,size_variation=8,delay=50,stream=both"
    await p50_ms(transport, f"{mock_base}/{path}?{toxic(spec)}", payload, 10)


async def test_limit_data_mid_stream_is_accounted_as_errors(mock_base: str) -> None:
    # enough for the response head and an event or two, not for 50 events
    url = f"{mock_base}/mock/echo/stream?{toxic('limit_data:bytes=600')}"
    cfg = RunConfig(target=resolve("sse", url), payload={"count": 50}, count=3)
    s = (await run_collect(cfg)).summary()
    assert s["sent"] == 3 and s["errors"] >= 1
    assert s["sent"] == s["received"] + s["errors"] + s["dropped"] + s["timeouts"]
