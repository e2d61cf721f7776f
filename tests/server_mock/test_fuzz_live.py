"""Fuzzing the real mock over real sockets: malformed realtime frames, bad JSON bodies and
fault queries to HTTP/SSE, broken SDP and candidates to both signaling flavours.

Each example talks to the shared mock on 127.0.0.1 (`mock_base`), reads what it answers
(bounded in time: an answer, a close, or nothing within a second) and then asks
`GET /health`: whatever a client sends, the server must still be alive for the next.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import msgpack
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app.core.faultschema import FaultParamError, fault_fields, parse_text
from tests.support.fuzz import binary_frames, json_values, text_frames

pytestmark = pytest.mark.timeout(120)

EXAMPLES = 25  # per endpoint: each example is a connection or a request
READ_S = 1.0  # how long one frame waits for the server's first answer
MORE_S = 0.05  # and then for each further one
MAX_FRAMES = 20  # answers read per example, at most

live = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def alive(base: str) -> None:
    r = httpx.get(f"{base}/health", timeout=5)
    assert r.status_code == 200 and r.json()["status"] == "ok"


def exchange(url: str, frames: list[str | bytes]) -> list[str | bytes]:
    """Send `frames` on a fresh socket; return what came back after each (bounded)."""
    got: list[str | bytes] = []
    try:
        with connect(url, open_timeout=5, close_timeout=1, max_size=None) as ws:
            for frame in frames:
                ws.send(frame)
                for i in range(MAX_FRAMES):
                    try:
                        got.append(ws.recv(timeout=READ_S if i == 0 else MORE_S))
                    except TimeoutError:
                        break
    except ConnectionClosed:
        pass  # the server may end a session it cannot use: that is an answer too
    return got


def no_traceback(frames: list[str | bytes]) -> None:
    """Error text the server sends back is one line and names no Python internals."""
    for frame in frames:
        if isinstance(frame, str):
            assert "Traceback" not in frame and "\n" not in frame, frame[:200]


# -- realtime --------------------------------------------------------------------------
@live
@given(frames=st.lists(binary_frames() | text_frames(), min_size=1, max_size=3))
def test_realtime_survives_malformed_frames(mock_base: str, frames: list[str | bytes]) -> None:
    ws_base = mock_base.replace("http://", "ws://")
    no_traceback(exchange(f"{ws_base}/mock/echo/realtime", frames))
    alive(mock_base)


@live
@given(frames=st.lists(binary_frames() | text_frames(), min_size=1, max_size=3))
def test_raw_websocket_survives_any_frames(mock_base: str, frames: list[str | bytes]) -> None:
    ws_base = mock_base.replace("http://", "ws://")
    exchange(f"{ws_base}/mock/echo/ws", frames)
    alive(mock_base)


# -- HTTP and SSE ----------------------------------------------------------------------
BODIES = st.one_of(
    st.binary(max_size=200),
    text_frames().map(str.encode),
    json_values(6).map(lambda v: json.dumps(v).encode()),
)


def _bad_fault_value(f_raw: tuple[Any, str]) -> bool:
    f, raw = f_raw
    try:
        parse_text(f, raw)
    except FaultParamError:
        return True
    return False  # a valid value could add real latency: only refused ones are sent


BAD_QUERIES = st.dictionaries(
    st.sampled_from([f.name for f in fault_fields()]),
    st.text(max_size=10),
    max_size=2,
).filter(lambda q: all(_bad_fault_value((_field(k), v)) for k, v in q.items()))


def _field(name: str) -> Any:
    return next(f for f in fault_fields() if f.name == name)


@live
@given(path=st.sampled_from(["", "/stream"]), body=BODIES, query=BAD_QUERIES)
def test_http_and_sse_answer_bad_bodies_and_queries(
    mock_base: str, path: str, body: bytes, query: dict[str, str]
) -> None:
    with httpx.Client(timeout=5) as client:
        with client.stream("POST", f"{mock_base}/mock/echo{path}", content=body, params=query) as r:
            text = b"".join(r.iter_bytes()).decode(errors="replace")  # bounded: echo ends
        assert r.status_code < 500 or "Traceback" not in text
        if query:
            assert r.status_code == 400, (query, r.status_code, text[:200])
        elif r.status_code >= 400:
            detail = json.loads(text)["detail"]
            assert detail and "\n" not in detail
    alive(mock_base)


# -- signaling -------------------------------------------------------------------------
SDP_LINES = st.sampled_from(
    ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "m=video 9 UDP/TLS/RTP/SAVPF 96",
     "a=mid:0", "a=setup:actpass", "a=fingerprint:sha-256 00", "a=ice-ufrag:x", "c=IN IP4 x",
     "a=candidate:1 1 udp 1 127.0.0.1 9 typ host", "a=rtpmap:96 VP8/90000", "m=", "="]
)  # fmt: skip
SDPS = st.one_of(
    st.text(max_size=100),
    st.lists(SDP_LINES | st.text(max_size=20), max_size=12).map("\r\n".join),
)
CANDIDATES = st.one_of(
    json_values(4),
    st.text(max_size=60),
    st.fixed_dictionaries(
        {"candidate": st.text(max_size=60) | json_values(2)},
        optional={"sdpMid": json_values(2), "sdpMLineIndex": json_values(2)},
    ),
)
MESSAGES = st.one_of(
    st.fixed_dictionaries({"type": st.just("offer"), "sdp": SDPS | json_values(3)}),
    st.fixed_dictionaries({"type": st.just("icecandidate"), "candidate": CANDIDATES}),
    st.dictionaries(st.sampled_from(["type", "sdp", "candidate"]), json_values(3), max_size=3),
)


def packed_or_rejected(message: dict[str, Any]) -> bytes:
    """msgpack carries 64-bit integers only; a JSON value past that is not a frame a
    client could send, so hypothesis is told to draw another."""
    try:
        return msgpack.packb(message, use_bin_type=True)
    except OverflowError:
        assume(False)
        raise


@live
@given(
    flavour=st.sampled_from(["json", "msgpack"]),
    messages=st.lists(MESSAGES, min_size=1, max_size=3),
    junk=st.none() | text_frames() | binary_frames(),
)
def test_signaling_survives_broken_sdp_and_candidates(
    mock_base: str, flavour: str, messages: list[dict[str, Any]], junk: str | bytes | None
) -> None:
    ws_base = mock_base.replace("http://", "ws://")
    path = "webrtc" if flavour == "json" else "realtime"
    frames: list[str | bytes] = [
        json.dumps(m) if flavour == "json" else packed_or_rejected(m) for m in messages
    ]
    if junk is not None:
        frames.insert(0, junk)
    got = exchange(f"{ws_base}/mock/yolo/{path}", frames)
    no_traceback(got)
    for frame in got:
        message = json.loads(frame) if isinstance(frame, str) else msgpack.unpackb(frame)
        if message.get("type") == "error":
            assert "\n" not in message["error"]
    alive(mock_base)
