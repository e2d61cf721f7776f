"""Finding 4: incoming data is capped. One huge WebSocket frame, or SSE bytes with no
newline, end that connection or request with one line naming the limit and the flag,
in bounded time, with the parser never holding more than the cap; the run goes on."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection

from app.core.codecs.sse import SseParser, SseTooLarge
from app.core.errors import MAX_MESSAGE_FLAG, TooLargeError
from app.core.targets import resolve
from app.core.transports.sse import SseClient
from app.core.transports.wsbase import WsOptions, closed_error, open_websocket, recv_frame
from tests.hostile.raw_servers import (
    SSE_HEAD,
    accept_websocket,
    read_http_request,
    tcp_server,
    ws_server,
)

CAP = 1024 * 1024  # the client's cap in these tests
HUGE = 4 * CAP  # what the hostile servers send
CHUNK = 64 * 1024


# --------------------------------------------------------------------------- the parser


def test_parser_never_holds_more_than_its_cap_of_a_line_without_newline() -> None:
    parser = SseParser(max_size=CAP)
    fed = 0
    with pytest.raises(SseTooLarge) as caught:
        for _ in range(HUGE // CHUNK + 2):  # bounded: it must refuse before the end
            parser.feed(b"data: " if fed == 0 else b"x" * CHUNK)
            fed += 1
            assert parser.buffered <= CAP
    assert caught.value.what == "line" and caught.value.limit == CAP
    assert fed <= CAP // CHUNK + 2


def test_parser_never_holds_more_than_its_cap_of_one_event() -> None:
    parser = SseParser(max_size=CAP)
    line = b"data: " + b"y" * 1000 + b"\n"
    with pytest.raises(SseTooLarge) as caught:
        for _ in range(HUGE // len(line)):
            assert parser.feed(line * 16) == []  # never a blank line: one event grows
            assert parser.buffered <= CAP + 16 * len(line)
    assert caught.value.what == "event"
    assert parser._data_size <= CAP + 1 + len(line)


def test_a_complete_line_over_the_cap_in_one_chunk_is_refused() -> None:
    with pytest.raises(SseTooLarge):
        SseParser(max_size=100).feed(b"data: " + b"z" * 200 + b"\n\n")


def test_lines_and_events_at_the_cap_pass() -> None:
    parser = SseParser(max_size=100)
    line = b"data: " + b"a" * 94  # exactly 100 characters
    assert [e.data for e in parser.feed(line + b"\n\n")] == ["a" * 94]
    two = parser.feed(b"data: " + b"b" * 49 + b"\ndata: " + b"c" * 50 + b"\n\n")
    assert len(two[0].data) == 100 and parser.buffered == 0


# --------------------------------------------------------------------------- SSE


def _sse_server(calls: list[int]):
    """First request: `data: xxx…` with no newline, until the client goes. Then normal."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_http_request(reader)
        calls.append(1)
        writer.write(SSE_HEAD)
        if len(calls) == 1:
            writer.write(b"data: ")
            for _ in range(HUGE // CHUNK):
                writer.write(b"x" * CHUNK)
                await writer.drain()
            await asyncio.sleep(30)  # then silence: only the cap can end this request
        else:
            writer.write(b'data: {"ok": 1}\n\n')
            await writer.drain()

    return tcp_server(handle)


async def test_sse_client_refuses_a_line_over_the_cap_then_goes_on() -> None:
    calls: list[int] = []
    async with _sse_server(calls) as url:
        target = resolve("sse", url)
        async with SseClient(target, timeout_s=10, max_event_bytes=CAP) as client:
            t0 = time.monotonic()
            first = await client.request({})
            took = time.monotonic() - t0
            second = await client.request({})
    assert isinstance(first.error, TooLargeError)
    message = str(first.error)
    assert "\n" not in message
    assert "SSE line over the 1,048,576-byte limit" in message and MAX_MESSAGE_FLAG in message
    assert took < 5, f"refusing took {took:.1f} s"
    assert first.bytes_in <= CAP + 4 * CHUNK  # stopped reading at the cap
    assert second.ok and second.events == 1 and second.last_data == {"ok": 1}


async def _rtprobe(*args: str, timeout: float = 60) -> tuple[int, str, str, float]:
    t0 = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode(), time.monotonic() - t0


def _accounted(summary: dict) -> None:
    """Every message sent is received, errored, dropped or timed out."""
    parts = summary["received"] + summary["errors"] + summary["dropped"] + summary["timeouts"]
    assert summary["sent"] == parts, summary


async def test_rtprobe_run_sse_reports_the_cap_and_finishes(tmp_path: Path) -> None:
    calls: list[int] = []
    out_json = tmp_path / "sse.json"
    async with _sse_server(calls) as url:
        code, out, err, took = await _rtprobe(
            "run", "sse", url, "--count", "3", "--max-message-bytes", str(CAP),
            "--json", str(out_json), "--quiet",
        )  # fmt: skip
    summary = json.loads(out_json.read_text())
    lines = [line for line in (out + err).splitlines() if "byte limit" in line]
    assert lines and MAX_MESSAGE_FLAG in lines[0], out + err
    assert summary["sent"] == 3 and summary["received"] == 2 and summary["errors"] == 1
    _accounted(summary)
    assert took < 30, f"took {took:.1f} s"
    assert code == 0, err  # no --assert failed and the target was reached


# --------------------------------------------------------------------------- WebSocket


async def test_rtprobe_run_ws_closes_1009_on_a_huge_frame_and_reconnects(tmp_path: Path) -> None:
    """First connection: the first message is answered with one 4 MiB frame; later ones echo."""
    connections: list[int] = []

    async def handle(ws: ServerConnection) -> None:
        connections.append(1)
        first = len(connections) == 1
        async for message in ws:
            if first:
                first = False
                await ws.send(b"\0" * HUGE)
            else:
                await ws.send(message)

    out_json = tmp_path / "ws.json"
    async with ws_server(handle) as url:
        code, out, err, took = await _rtprobe(
            "run", "ws", url, "--count", "5", "--max-message-bytes", str(CAP),
            "--json", str(out_json), "--quiet", "--timeout", "5",
        )  # fmt: skip
    summary = json.loads(out_json.read_text())
    lines = [line for line in (out + err).splitlines() if "byte limit" in line]
    assert lines, out + err
    assert "WebSocket message over the 1,048,576-byte limit" in lines[0]
    assert f"a frame of {HUGE:,} bytes" in lines[0] and MAX_MESSAGE_FLAG in lines[0]
    assert len(connections) >= 2  # the session reconnected under the shared policy
    assert summary["sent"] == 5 and summary["received"] == 4 and summary["errors"] == 1
    _accounted(summary)
    assert took < 30, f"took {took:.1f} s"
    assert code == 0, err


async def test_a_1_tib_frame_from_a_server_that_ignores_our_close_ends_in_bounded_time() -> None:
    """The header claims 2**40 bytes, then data flows regardless of our 1009 close."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept_websocket(reader, writer)
        writer.write(b"\x82\x7f" + (1 << 40).to_bytes(8, "big"))
        for _ in range(HUGE // CHUNK):
            writer.write(b"\0" * CHUNK)
            await writer.drain()
        await asyncio.sleep(30)

    async with tcp_server(handle) as url:
        ws = await open_websocket(
            resolve("ws", url.replace("http", "ws", 1)), WsOptions(max_size=CAP)
        )
        t0 = time.monotonic()
        with pytest.raises(TooLargeError) as caught:
            await asyncio.wait_for(recv_frame(ws), 15)
        took = time.monotonic() - t0
    assert caught.value.code == 1009 and caught.value.limit == CAP
    assert f"a frame of {1 << 40:,} bytes" in str(caught.value)
    assert took < 5, f"took {took:.1f} s"


def test_a_1009_close_from_the_server_is_its_own_limit_not_ours() -> None:
    from websockets.exceptions import ConnectionClosedError
    from websockets.frames import Close

    theirs = ConnectionClosedError(Close(1009, "too big"), Close(1009, "too big"), True)
    error = closed_error(theirs)
    assert not isinstance(error, TooLargeError) and error.code == 1009
    assert "code 1009: too big" in str(error)
    ours = ConnectionClosedError(
        None, Close(1009, "frame with 5000 bytes exceeds limit of 2048 bytes")
    )
    mine = closed_error(ours)
    assert isinstance(mine, TooLargeError) and mine.limit == 2048
    assert str(mine) == (
        "server sent a WebSocket message over the 2,048-byte limit (a frame of 5,000 bytes);"
        " raise it with --max-message-bytes"
    )


def test_the_flag_is_checked_before_connecting() -> None:
    from app.core.engine.build import RunSettings, build_config

    config = build_config(RunSettings("ws", "ws://127.0.0.1:9/", max_message_bytes=CAP))
    assert config.ws.max_size == CAP and config.max_event_bytes == CAP
    default = build_config(RunSettings("sse", "http://127.0.0.1:9/"))
    assert default.ws.max_size == default.max_event_bytes == 64 * 1024 * 1024
    with pytest.raises(Exception, match="--max-message-bytes 10 must be at least 1024"):
        build_config(
            RunSettings("ws", "ws://127.0.0.1:9/", max_message_bytes=10),
            {"max_message_bytes": "--max-message-bytes"},
        )
