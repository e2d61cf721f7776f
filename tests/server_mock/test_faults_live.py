"""Every fault injection knob, observed from a real client over loopback."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import time

import httpx
import msgpack
import pytest
import websockets
from httpx_sse import aconnect_sse

from server_mock import FaultConfig
from server_mock.faults import Faults
from tests.support.wsutil import connect, decode, drain, refused

PACK = msgpack.packb


async def _rtts(url: str, n: int) -> list[float]:
    out = []
    async with connect(url) as ws:
        for i in range(n):
            t0 = time.perf_counter()
            await ws.send(PACK({"i": i}))
            assert decode(await asyncio.wait_for(ws.recv(), 5))["i"] == i
            out.append((time.perf_counter() - t0) * 1000)
    return out


async def test_latency_shifts_round_trip(ws_base: str) -> None:
    """Round trips with and without the fault, alternated so a busy machine slows both
    alike: every slow one waited the delay, and the typical difference is the delay."""
    plain_url, slow_url = f"{ws_base}/mock/echo/realtime", f"{ws_base}/mock/echo/realtime"
    async with connect(plain_url) as plain, connect(slow_url + "?latency_ms=30") as slow:

        async def rtt(ws: websockets.ClientConnection, i: int) -> float:
            t0 = time.perf_counter()
            await ws.send(PACK({"i": i}))
            assert decode(await asyncio.wait_for(ws.recv(), 5))["i"] == i
            return (time.perf_counter() - t0) * 1000

        pairs = [(await rtt(plain, i), await rtt(slow, i)) for i in range(20)]
    assert min(s for _, s in pairs) >= 29.5  # every output waited its delay
    shift = statistics.median(s - p for p, s in pairs)
    assert 25 < shift < 60, pairs


async def test_jitter_spreads_latency_within_bounds(ws_base: str) -> None:
    """Each output waits the delay the session draws from its seed, so replaying the seed
    names every message's delay. A loaded machine only adds time to a round trip, so the
    check is that none came back before its delay and that typically little was added
    (a bound on the slowest round trip would measure the machine, not the mock)."""
    replay = Faults(FaultConfig(latency_ms=20, jitter_ms=10, seed=3))
    delays = [replay.delay_s() * 1000 for _ in range(40)]
    assert min(delays) >= 10 and max(delays) <= 30 and statistics.pstdev(delays) > 2
    rtts = await _rtts(f"{ws_base}/mock/echo/realtime?latency_ms=20&jitter_ms=10&seed=3", 40)
    added = [rtt - delay for rtt, delay in zip(rtts, delays, strict=True)]
    assert min(added) > -0.5, added  # never earlier than its own drawn delay
    assert statistics.median(added) < 10, added


async def test_latency_does_not_cap_throughput(ws_base: str) -> None:
    """50 inputs pipelined with 200 ms latency arrive in well under 50 x 200 ms (10 s):
    one delay plus the machine's time, which a busy machine stretches but not 25-fold."""
    async with connect(f"{ws_base}/mock/echo/realtime?latency_ms=200") as ws:
        t0 = time.perf_counter()
        for i in range(50):
            await ws.send(PACK({"i": i}))
        got = [decode(await asyncio.wait_for(ws.recv(), 5))["i"] for _ in range(50)]
        elapsed = time.perf_counter() - t0
    assert got == list(range(50))
    assert elapsed < 5.0


def _expected_survivors(config: FaultConfig, n: int) -> list[int]:
    """Replay the session's seeded decisions in the order the server makes them."""
    faults = Faults(config)
    return [i for i in range(n) if not faults.drop_output()]


async def test_drop_is_exact_for_a_seed(ws_base: str) -> None:
    n = 200
    expected = _expected_survivors(FaultConfig(drop=0.2, seed=7), n)
    assert 120 < len(expected) < 190
    async with connect(f"{ws_base}/mock/echo/realtime?drop=0.2&seed=7") as ws:
        for i in range(n):
            await ws.send(PACK({"i": i}))
        got = [decode(await asyncio.wait_for(ws.recv(), 5))["i"] for _ in expected]
        with pytest.raises(TimeoutError):  # nothing more: the rest were dropped
            await asyncio.wait_for(ws.recv(), 0.3)
    assert got == expected


async def test_error_rate_realtime_sends_error_then_closes(ws_base: str) -> None:
    async with connect(f"{ws_base}/mock/echo/realtime?error_rate=1") as ws:
        await ws.send(PACK({"i": 0}))
        frames, close = await drain(ws)
    assert frames == [
        {"type": "x-fal-error", "error": "INTERNAL_ERROR", "reason": "injected fault: error_rate"}
    ]
    assert close == 1000


async def test_error_rate_raw_ws_reports_inline_and_continues(ws_base: str) -> None:
    async with connect(f"{ws_base}/mock/echo/ws?error_rate=0.5&seed=2") as ws:
        kinds = []
        for i in range(20):
            await ws.send(json.dumps({"i": i}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            kinds.append("error" if reply.get("type") == "x-fal-error" else "echo")
    assert 3 <= kinds.count("error") <= 17
    assert "echo" in kinds


@pytest.mark.parametrize("path", ["/mock/echo/realtime", "/mock/echo/ws"])
async def test_disconnect_after_cuts_the_connection(ws_base: str, path: str) -> None:
    got = []
    async with connect(f"{ws_base}{path}?disconnect_after=5") as ws:
        with pytest.raises(websockets.ConnectionClosedError) as info:
            for i in range(10):  # one at a time: the 6th round trip must fail
                await ws.send(PACK({"i": i}))
                got.append(decode(await asyncio.wait_for(ws.recv(), 5))["i"])
    assert got == [0, 1, 2, 3, 4]
    assert info.value.rcvd is None  # no close frame: an abrupt disconnect (1006)


async def test_slow_start_delays_the_handshake(ws_base: str) -> None:
    t0 = time.perf_counter()
    async with connect(f"{ws_base}/mock/echo/realtime?slow_start_ms=250"):
        pass
    assert time.perf_counter() - t0 >= 0.24


async def test_server_wide_faults_apply_to_every_session(start_mock) -> None:
    with start_mock(faults=FaultConfig(latency_ms=25)) as base:
        rtts = await _rtts(base.replace("http", "ws") + "/mock/echo/realtime", 5)
        assert min(rtts) >= 24
        # a connection may override the server's default
        fast = await _rtts(base.replace("http", "ws") + "/mock/echo/realtime?latency_ms=0", 5)
        assert statistics.median(fast) < 20


async def test_bad_fault_parameters_are_refused(ws_base: str, mock_base: str) -> None:
    response = await refused(f"{ws_base}/mock/echo/realtime?drop=2")
    assert response.status_code == 400
    assert b"drop" in response.body
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{mock_base}/mock/echo/stream?latency_ms=abc", json={})
    assert r.status_code == 400
    assert "latency_ms" in r.json()["detail"]


async def _sse_times(url: str, body: dict) -> list[tuple[float, dict]]:
    out = []
    async with httpx.AsyncClient(timeout=10) as client:
        t0 = time.perf_counter()
        async with aconnect_sse(client, "POST", url, json=body) as es:
            async for event in es.aiter_sse():
                out.append((time.perf_counter() - t0, event.json()))
    return out


async def test_sse_stall(mock_base: str) -> None:
    events = await _sse_times(
        f"{mock_base}/mock/echo/stream?stall_ms=300&stall_after=2", {"count": 4, "interval_ms": 0}
    )
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(events)]
    assert len(events) == 4
    assert gaps[1] >= 0.29  # between the 2nd and 3rd event
    assert gaps[0] < 0.2 and gaps[2] < 0.2


async def test_sse_latency_drop_and_error(mock_base: str) -> None:
    slow = await _sse_times(
        f"{mock_base}/mock/echo/stream?latency_ms=50", {"count": 2, "interval_ms": 0}
    )
    assert slow[0][0] >= 0.049
    dropped = await _sse_times(
        f"{mock_base}/mock/echo/stream?drop=0.5&seed=1", {"count": 40, "interval_ms": 0}
    )
    expected = _expected_survivors(FaultConfig(drop=0.5, seed=1), 40)
    assert [e["index"] for _, e in dropped] == expected
    errored = await _sse_times(
        f"{mock_base}/mock/echo/stream?error_rate=1", {"count": 3, "interval_ms": 0}
    )
    assert [e for _, e in errored] == [{"error": "injected fault: error_rate"}]


async def test_sse_disconnect_mid_stream(mock_base: str) -> None:
    got = []
    with pytest.raises(httpx.RemoteProtocolError):
        async with (
            httpx.AsyncClient(timeout=10) as client,
            aconnect_sse(
                client,
                "POST",
                f"{mock_base}/mock/echo/stream?disconnect_after=3",
                json={"count": 10, "interval_ms": 0},
            ) as es,
        ):
            async for event in es.aiter_sse():
                got.append(event.json()["index"])
    assert got == [0, 1, 2]


LIVE_DELAY_MS = 500


async def test_faults_change_live_for_open_sessions(start_mock) -> None:
    with start_mock() as base:
        url = base.replace("http", "ws") + "/mock/echo/realtime"
        async with httpx.AsyncClient() as client, connect(url) as ws:
            assert (await client.get(f"{base}/_mock/faults")).json()["latency_ms"] == 0

            async def rtt() -> float:
                t0 = time.perf_counter()
                await ws.send(PACK({"i": 1}))
                await asyncio.wait_for(ws.recv(), 5)
                return (time.perf_counter() - t0) * 1000

            # an injected delay far above any round trip a loaded machine makes, so the
            # three phases differ by the fault, not by how busy the machine is
            assert await rtt() < LIVE_DELAY_MS
            r = await client.put(f"{base}/_mock/faults", json={"latency_ms": LIVE_DELAY_MS})
            assert r.status_code == 200 and r.json()["latency_ms"] == LIVE_DELAY_MS
            assert await rtt() >= LIVE_DELAY_MS - 1  # the open session follows the new default
            bad = await client.put(f"{base}/_mock/faults", json={"latency": 1})
            assert bad.status_code == 400 and "unknown fault parameter(s): latency" in bad.text
            bad = await client.put(f"{base}/_mock/faults", json={"drop": 3})
            assert bad.status_code == 400 and "between 0 and 1" in bad.text
            await client.put(f"{base}/_mock/faults", json={"latency_ms": 0})
            assert await rtt() < LIVE_DELAY_MS
