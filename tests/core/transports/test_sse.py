"""SseClient against the real mock server (and a raw TCP server for what the mock cannot do)."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager

import pytest

from app.core.codecs.sse import SseEvent
from app.core.errors import (
    AppError,
    AuthError,
    ClosedError,
    ConnectError,
    ProbeTimeout,
    ProtocolError,
    TargetError,
)
from app.core.targets import Target, resolve
from app.core.transports.sse import MAX_GAPS, SseClient, StreamResult

StartMock = Callable[..., AbstractContextManager[str]]
SECRET = "k-sekret-4f9a2c"


def sse_target(base: str, path: str = "/mock/echo/stream") -> Target:
    return Target("sse", base + path)


async def stream(target: Target, payload: dict | None = None, **options: object) -> StreamResult:
    async with SseClient(target, timeout_s=10, **options) as client:  # type: ignore[arg-type]
        return await client.request(payload)


def one_line(exc: BaseException | None) -> str:
    assert exc is not None
    text = str(exc)
    assert text and "\n" not in text
    return text


# -- happy paths -----------------------------------------------------------------------------
async def test_echo_stream_is_counted_and_timed(mock_base: str) -> None:
    seen: list[tuple[SseEvent, int]] = []
    result = await stream(
        sse_target(mock_base),
        {"count": 5, "interval_ms": 5, "tag": "t"},
        on_event=lambda e, t: seen.append((e, t)),
    )
    assert result.error is None and result.ok
    assert result.status == 200
    assert result.events == 5 and len(seen) == 5
    assert result.first_event_ns is not None
    assert result.start_ns <= result.headers_ns <= result.first_event_ns <= result.end_ns
    assert len(result.gaps_ns) == result.events - 1
    assert all(g >= 0 for g in result.gaps_ns)
    assert result.last_data["index"] == 4 and result.last_data["tag"] == "t"
    assert result.bytes_in > 0
    assert [t for _, t in seen] == sorted(t for _, t in seen)
    assert seen[0][1] == result.first_event_ns
    assert [e.json()["index"] for e, _ in seen] == [0, 1, 2, 3, 4]
    assert not result.backlogged
    assert result.ttfb_ns is not None and 0 <= result.ttfb_ns < 10**10


async def test_one_client_serves_several_requests(mock_base: str) -> None:
    async with SseClient(resolve("sse", "mock/echo", base_url=mock_base), timeout_s=10) as client:
        results = [await client.request({"count": 2, "interval_ms": 0}) for _ in range(3)]
    assert [(r.status, r.events, r.error) for r in results] == [(200, 2, None)] * 3


async def test_diffusion_streams_progress_then_a_png(mock_base: str) -> None:
    events: list[SseEvent] = []
    result = await stream(
        resolve("sse", "mock/diffusion", base_url=mock_base),
        {"steps": 4, "step_ms": 1, "width": 40, "height": 30},
        on_event=lambda e, _t: events.append(e),
    )
    assert result.error is None and result.events == 5
    data = [e.json() for e in events]
    assert [d["type"] for d in data] == ["progress"] * 4 + ["result"]
    assert [d["step"] for d in data[:-1]] == [1, 2, 3, 4]
    url = result.last_data["images"][0]["url"]
    assert url.startswith("data:image/png;base64,")
    png = base64.b64decode(url.split(",", 1)[1])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(png[16:20], "big") == 40 and int.from_bytes(png[20:24], "big") == 30


async def test_a_stall_shows_as_one_long_gap(mock_base: str) -> None:
    target = sse_target(mock_base, "/mock/echo/stream?stall_ms=200&stall_after=2")
    result = await stream(target, {"count": 4, "interval_ms": 0})
    assert result.error is None and result.events == 4
    long = [g for g in result.gaps_ns if g >= 190_000_000]
    assert len(long) == 1
    assert result.gaps_ns.index(long[0]) == 1  # between the 2nd and the 3rd event


# -- errors during the stream -------------------------------------------------------------
async def test_a_cut_stream_is_a_closed_error(mock_base: str) -> None:
    result = await stream(
        sse_target(mock_base, "/mock/echo/stream?disconnect_after=2"), {"count": 5}
    )
    assert isinstance(result.error, ClosedError)
    assert result.events == 2
    assert "stream cut after 2 events" in one_line(result.error)
    assert result.status == 200 and result.end_ns >= result.headers_ns


async def test_an_error_event_is_an_app_error(mock_base: str) -> None:
    result = await stream(sse_target(mock_base, "/mock/echo/stream?error_rate=1"), {"count": 3})
    assert isinstance(result.error, AppError)
    assert result.error.code == "SSE"
    assert "injected fault: error_rate" in one_line(result.error)
    assert result.events == 1  # the error event, the last one the mock sends
    assert result.last_data == {"error": "injected fault: error_rate"}


async def test_no_data_within_the_timeout_is_a_probe_timeout(mock_base: str) -> None:
    target = sse_target(mock_base, "/mock/echo/stream?stall_ms=3000&stall_after=1")
    async with SseClient(target, timeout_s=0.3) as client:
        result = await client.request({"count": 2, "interval_ms": 0})
    assert isinstance(result.error, ProbeTimeout)
    assert "no data for 0.3 s after 1 events" in one_line(result.error)
    assert result.events == 1


async def test_a_deadline_bounds_the_whole_request(mock_base: str) -> None:
    async with SseClient(sse_target(mock_base), timeout_s=10, deadline_s=0.2) as client:
        result = await client.request({"count": 100, "interval_ms": 20})
    assert isinstance(result.error, ProbeTimeout)
    assert "not complete within 0.2 s" in one_line(result.error)
    assert 0 < result.events < 100


# -- errors before the stream ------------------------------------------------------------
async def test_rejected_input_is_an_app_error_with_the_detail(mock_base: str) -> None:
    result = await stream(sse_target(mock_base), {"count": "many"})
    assert isinstance(result.error, AppError)
    assert result.error.code == "HTTP 422"
    assert "'count' must be an integer" in one_line(result.error)
    assert result.status == 422 and result.events == 0 and result.first_event_ns is None


async def test_a_bad_diffusion_size_is_an_app_error(mock_base: str) -> None:
    target = sse_target(mock_base, "/mock/diffusion/stream")
    result = await stream(target, {"width": 99999})
    assert isinstance(result.error, AppError)
    assert "'width' must be between 16 and 2048" in one_line(result.error)


async def test_an_unknown_app_is_a_target_error_naming_it(mock_base: str) -> None:
    result = await stream(sse_target(mock_base, "/mock/nope/stream"), {})
    assert isinstance(result.error, TargetError)
    text = one_line(result.error)
    assert "HTTP 404" in text and "no app mock/nope" in text
    assert result.status == 404


async def test_a_wrong_method_is_a_target_error(mock_base: str) -> None:
    result = await stream(sse_target(mock_base), None, method="GET")
    assert isinstance(result.error, TargetError)
    assert "HTTP 405" in one_line(result.error) and "use POST" in str(result.error)


async def test_a_non_sse_response_is_a_protocol_error(mock_base: str) -> None:
    result = await stream(sse_target(mock_base, "/mock/echo"), {"a": 1})
    assert isinstance(result.error, ProtocolError)
    assert "expected text/event-stream, got application/json" in one_line(result.error)
    assert result.status == 200 and result.events == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_connection_refused_is_a_connect_error() -> None:
    target = Target("sse", f"http://127.0.0.1:{_free_port()}/mock/echo/stream")
    result = await stream(target, {"count": 1})
    assert type(result.error) is ConnectError
    assert "connection refused" in one_line(result.error)
    assert result.status == 0 and result.headers_ns == 0 and result.ttfb_ns is None


async def test_calls_that_can_never_work_raise_target_error(mock_base: str) -> None:
    with pytest.raises(TargetError, match="http"):
        SseClient(Target("sse", "ws://127.0.0.1:1/x"))
    async with SseClient(sse_target(mock_base), method="GET") as client:
        with pytest.raises(TargetError, match="no body"):
            await client.request({"a": 1})
    async with SseClient(sse_target(mock_base)) as client:
        with pytest.raises(TargetError, match="not JSON"):
            await client.request({"a": object()})


# -- credentials ---------------------------------------------------------------------------
async def test_keyed_mock_refuses_without_key_and_works_with_it(start_mock: StartMock) -> None:
    with start_mock(key=SECRET) as base:
        target = sse_target(base)
        missing = await stream(target, {"count": 1})
        wrong = await stream(target, {"count": 1}, key=SECRET[::-1])
        right = await stream(target, {"count": 2, "interval_ms": 0}, key=SECRET)
    assert isinstance(missing.error, AuthError)
    assert "HTTP 401" in one_line(missing.error) and "Authorization" in str(missing.error)
    assert isinstance(wrong.error, AuthError)
    assert right.error is None and right.events == 2


async def test_the_key_never_shows(start_mock: StartMock) -> None:
    texts: list[str] = []
    with start_mock(key=SECRET) as base:
        cases = [
            (sse_target(base, "/mock/echo/stream?disconnect_after=1"), SECRET, ClosedError),
            (sse_target(base), SECRET, AppError),  # 422 for the bad count
            (sse_target(base), SECRET + "-old", AuthError),
            (Target("sse", f"http://127.0.0.1:{_free_port()}/x"), SECRET, ConnectError),
        ]
        for target, key, expected in cases:
            client = SseClient(target, key=key, headers={"X-Trace": "1"}, timeout_s=10)
            async with client:
                result = await client.request({"count": "x" if expected is AppError else 3})
            assert type(result.error) is expected
            texts += [str(result.error), repr(result.error), repr(client), repr(result)]
    assert all(SECRET not in text for text in texts)
    assert "credentials=***" in texts[2]


# -- what the mock cannot do: a raw HTTP server ------------------------------------------
@asynccontextmanager
async def raw_server(body: bytes, content_type: str = "text/event-stream") -> AsyncIterator[str]:
    """One close-delimited HTTP/1.1 response with `body`, written all at once."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n"
        writer.write(head.encode() + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/stream"


async def test_keepalive_comments_are_counted() -> None:
    body = b": ping\n\ndata: 1\n\n: ping - 2024\n\ndata: 2\n\n"
    async with raw_server(body) as url:
        result = await stream(Target("sse", url), {})
    assert result.error is None
    assert result.events == 2 and result.comments == 2 and result.last_data == 2


async def test_an_unterminated_last_event_is_a_protocol_error() -> None:
    async with raw_server(b'data: {"a": 1}\n\ndata: {"a": 2}\n') as url:
        result = await stream(Target("sse", url), {})
    assert isinstance(result.error, ProtocolError)
    assert "unterminated event after 1 events" in one_line(result.error)
    assert result.events == 1 and result.last_data == {"a": 1}


async def test_a_flood_that_waits_in_the_socket_is_flagged_as_backlog() -> None:
    pytest.importorskip("fcntl")
    event = b'data: {"index": 1, "payload": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}\n\n'
    async with raw_server(event * 20_000) as url:  # ~1.3 MB written at once
        result = await stream(Target("sse", url), {}, on_event=lambda e, t: None)
    assert result.error is None and result.events == 20_000
    assert len(result.gaps_ns) == MAX_GAPS  # bounded
    assert result.queued_events is not None and result.queued_events >= 100
    assert result.backlogged


async def test_a_paced_stream_is_not_backlogged(mock_base: str) -> None:
    result = await stream(sse_target(mock_base), {"count": 120, "interval_ms": 2})
    assert result.error is None and result.events == 120
    assert not result.backlogged
