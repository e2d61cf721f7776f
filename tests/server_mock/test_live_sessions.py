"""One mock session's network changed alone, mid-session: real aiortc on 127.0.0.1.

Two WebRTC sessions against one mock; the client learns each session's id from the
handshake header, the test delays one through `/_mock/sessions/{id}/network`, and its
frame latency rises while the other's does not; cleared, it falls back. Waits on frame
counts, never a fixed streaming time.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.core.network.mock_session import mock_base, session_id, set_session_network
from tests.core.transports.test_webrtc import client
from tests.core.transports.test_webrtc_network import PATH, _median_latency

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
