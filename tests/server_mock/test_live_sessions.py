"""One mock session's network changed alone, mid-session: real aiortc on 127.0.0.1.

Two WebRTC sessions against one mock; the client learns each session's id from the
handshake header, the test delays one through `/_mock/sessions/{id}/network`, and its
frame latency rises while the other's does not; cleared, it falls back. Waits on frame
counts, never a fixed streaming time.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
import websockets

from app.core.network.mock_session import mock_base, session_id, set_session_network
from tests.core.transports.test_webrtc import client
from tests.core.transports.test_webrtc_network import PATH, _median_latency
from tests.support.waiting import async_wait_until

pytestmark = pytest.mark.timeout(120)


async def test_one_session_impaired_mid_session_the_other_untouched(start_mock: Any) -> None:
    with start_mock() as base:
        async with client(base, PATH) as (a, seen_a), client(base, PATH) as (b, seen_b):
            assert a.mock_session and b.mock_session and a.mock_session != b.mock_session
            assert a.info()["mock_session"] == a.mock_session
            listed = httpx.get(f"{base}/_mock/sessions").json()["sessions"]
            assert {s["id"] for s in listed} == {a.mock_session, b.mock_session}
            assert all(s["network"]["source"] == "server" for s in listed)

            a0 = await _median_latency(a, seen_a, 30, "30 timed frames of a, clean")
            b0 = await _median_latency(b, seen_b, 30, "30 timed frames of b, clean")
            got = await set_session_network(mock_base(base), a.mock_session, "delay=120")
            assert got["network"]["source"] == "session" and got["network"]["changes"] == 1
            await _median_latency(a, seen_a, 10, "10 frames of a while the delay settles")
            a1 = await _median_latency(a, seen_a, 30, "30 timed frames of a, delayed")
            b1 = await _median_latency(b, seen_b, 30, "30 timed frames of b, meanwhile")
            assert a1 - a0 >= 180, (a0, a1)  # +120 ms each way at the mock
            assert b1 - b0 < 100, (b0, b1)
            b_json = httpx.get(f"{base}/_mock/sessions/{b.mock_session}/network").json()
            assert b_json["network"]["spec"] == "none" and b_json["network"]["source"] == "server"

            await set_session_network(mock_base(base), a.mock_session, None)  # the server's
            await _median_latency(a, seen_a, 10, "10 frames of a while the delay drains")
            a2 = await _median_latency(a, seen_a, 30, "30 timed frames of a, cleared")
            assert a2 < a1 - 120, (a0, a1, a2)
        gone = httpx.get(f"{base}/_mock/sessions").json()["sessions"]
        assert gone == []


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"not json", 400, "Expecting value"),
        (b'{"other": 1}', 400, "body must be"),
        (b'{"spec": 5}', 400, "must be a string or null"),
        (b'{"spec": "loss=200%"}', 400, "loss"),
    ],
)
async def test_bad_session_network_bodies_are_one_line_errors(
    start_mock: Any, body: bytes, status: int, says: str
) -> None:
    with start_mock() as base:
        async with client(base, PATH) as (a, _seen):
            assert a.mock_session is not None
            url = f"{base}/_mock/sessions/{a.mock_session}/network"
            async with httpx.AsyncClient(timeout=5) as http:
                r = await http.put(url, content=body)
            assert r.status_code == status, r.text
            detail = r.json()["detail"]
            assert says in detail and "\n" not in detail and len(detail) <= 300


def test_unknown_session_is_404_and_key_is_needed(start_mock: Any) -> None:
    with start_mock(key="k") as base:
        r = httpx.put(f"{base}/_mock/sessions/s999/network", json={"spec": "3g"})
        assert r.status_code == 404 and "no live session 's999'" in r.json()["detail"]


async def test_set_session_network_errors_are_one_line(start_mock: Any) -> None:
    with (
        start_mock() as base,
        pytest.raises(ValueError, match=r"^mock session s9: HTTP 404 no live session"),
    ):
        await set_session_network(base, "s9", "3g")
    with pytest.raises(ValueError, match=r"^mock session s1: Connect"):
        await set_session_network("http://127.0.0.1:9", "s1", "3g", timeout_s=2)


def test_session_id_header_is_checked() -> None:
    assert session_id({"x-rtprobe-session": "s3"}) == "s3"
    assert session_id({}) is None and session_id(None) is None
    assert session_id({"x-rtprobe-session": "x" * 65}) is None
    assert session_id({"x-rtprobe-session": "a\x00b"}) is None
    assert mock_base("ws://127.0.0.1:5/mock/yolo/webrtc?x=1") == "http://127.0.0.1:5"


async def _echo_rtt_s(ws: Any) -> float:
    t0 = time.perf_counter()
    await ws.send("x")
    assert await asyncio.wait_for(ws.recv(), 20) == "x"
    return time.perf_counter() - t0


async def test_a_ws_sessions_network_shapes_its_own_connection_mid_connection(
    start_mock: Any,
) -> None:
    """The byte-stream path: `PUT /_mock/sessions/{id}/network` reaches the toxics of that
    session's TCP connection alone. `delay=100` is 100 ms each way (latency toxics up and
    down): every echo round trip after it takes at least 200 ms, and the other
    connection's do not; `null` goes back to the server's (clean)."""
    with start_mock() as base:
        ws_url = base.replace("http://", "ws://") + "/mock/echo/ws"
        async with (
            httpx.AsyncClient(base_url=base, timeout=10) as http,
            websockets.connect(ws_url, compression=None) as a,
            websockets.connect(ws_url, compression=None) as b,
        ):
            a_id, b_id = (session_id(w.response.headers) for w in (a, b))
            assert a_id and b_id and a_id != b_id
            listed = (await http.get("/_mock/sessions")).json()["sessions"]
            assert {(s["id"], s["kind"]) for s in listed} == {(a_id, "ws"), (b_id, "ws")}
            clean_a = [await _echo_rtt_s(a) for _ in range(5)]
            got = await set_session_network(base, a_id, "delay=100")
            assert got["network"]["source"] == "session" and got["network"]["spec"] == (
                "up.delay=100,down.delay=100"
            )
            delayed = [await _echo_rtt_s(a) for _ in range(5)]
            other = [await _echo_rtt_s(b) for _ in range(5)]
            assert min(delayed) >= 0.2, delayed  # the definition: 100 ms up + 100 ms down
            assert max(delayed) < 0.2 + 1.0, delayed  # a loaded machine's slack, no more
            assert max(other) < min(delayed) and max(clean_a) < min(delayed), (clean_a, other)
            await set_session_network(base, a_id, None)  # the server's again: clean
            cleared = [await _echo_rtt_s(a) for _ in range(5)]
            assert min(cleared) < 0.2 and sorted(cleared)[2] < min(delayed), (delayed, cleared)
        await async_wait_until(
            lambda: httpx.get(f"{base}/_mock/sessions").json()["sessions"] == [],
            10,
            what="the closed sessions to leave the list",
        )


async def test_realtime_and_sse_sessions_are_listed_with_their_id(start_mock: Any) -> None:
    with start_mock() as base:
        ws_url = base.replace("http://", "ws://") + "/mock/echo/realtime"
        async with websockets.connect(ws_url) as rt:
            rt_id = session_id(rt.response.headers)
            listed = httpx.get(f"{base}/_mock/sessions").json()["sessions"]
            assert [(s["id"], s["kind"]) for s in listed] == [(rt_id, "realtime")]
            shaped = httpx.put(f"{base}/_mock/sessions/{rt_id}/network", json={"spec": "3g"})
            assert shaped.json()["network"]["name"] == "3g"
        async with (
            httpx.AsyncClient(base_url=base, timeout=10) as http,
            # the second event 3 s after the first: the stream is surely open when listed
            # (at the default 10 ms a loaded machine listed it after it had ended)
            http.stream(
                "POST", "/mock/echo/stream", json={"count": 2, "interval_ms": 3000}
            ) as response,
        ):
            sse_id = session_id(response.headers)
            assert sse_id and sse_id != rt_id
            kinds = {
                s["id"]: s["kind"] for s in (await http.get("/_mock/sessions")).json()["sessions"]
            }
            assert kinds.get(sse_id) == "sse"
            assert "data" in (await response.aread()).decode()
        await async_wait_until(
            lambda: httpx.get(f"{base}/_mock/sessions").json()["sessions"] == [],
            10,
            what="the ended sessions to leave the list",
        )
