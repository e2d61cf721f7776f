"""The client's own framing (`ws_framing`, `wsbase._Connection`) against websockets'.

Pure: frames it writes parse back with websockets' parser at every length class;
`split_frames` / `frame_extent` at every boundary. Live, on a hand-made WebSocket server
on 127.0.0.1 (raw TCP, so it can send any byte): a stream of data frames, a ping, a
fragmented message and frames of 16- and 64-bit length arrives as the same messages
however it is cut into reads — including frames in the same write as the handshake
response — and what websockets must judge (a masked frame, bad UTF-8, a frame over
`max_size`) still ends the connection with websockets' close code, in bounded time."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from app.core.errors import ClosedError, TooLargeError
from app.core.targets import resolve
from app.core.transports import ws_framing
from app.core.transports.wsbase import WsOptions, _Connection, open_websocket, recv_frame

pytestmark = pytest.mark.timeout(60)

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def server_frame(opcode: Opcode, data: bytes, fin: bool = True) -> bytes:
    return Frame(opcode, data, fin).serialize(mask=False, extensions=[])


def parse_as_server(data: bytes) -> list[Frame]:
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    frames = []
    while True:
        parser = Frame.parse(reader.read_exact, mask=True)
        try:
            next(parser)  # the generator returns at once: all bytes are there
        except StopIteration as done:
            frames.append(done.value)
        except EOFError:
            return frames


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
def test_client_frames_parse_back_with_websockets(size: int) -> None:
    payload = random.Random(size).randbytes(size)
    key = b"\x01\x02\x03\x04"
    frames = parse_as_server(
        ws_framing.client_frame(ws_framing.BINARY, payload, key)
        + ws_framing.client_frame(ws_framing.TEXT, b"h\xc3\xa9", key)
    )
    assert [(f.opcode, f.data, f.fin) for f in frames] == [
        (Opcode.BINARY, payload, True),
        (Opcode.TEXT, b"h\xc3\xa9", True),
    ]


def test_split_stops_at_every_frame_it_must_not_read() -> None:
    stream = (
        server_frame(Opcode.BINARY, b"a" * 200)
        + server_frame(Opcode.PING, b"p")
        + server_frame(Opcode.TEXT, b"x", fin=False)
        + Frame(Opcode.BINARY, b"m").serialize(mask=True, extensions=[])
    )
    frames, at = ws_framing.split_frames(stream, 0, None)
    assert frames == [(ws_framing.BINARY, b"a" * 200)] and at == 204
    assert ws_framing.frame_extent(stream, at) == (3, 1)  # the ping, whole, for websockets
    assert ws_framing.split_frames(stream, at, None) == ([], at)
    assert ws_framing.split_frames(stream, 0, 100) == ([], 0)  # over max_size
    for cut in range(len(stream)):  # a frame cut short is never taken
        frames, at = ws_framing.split_frames(stream[:cut], 0, None)
        assert at == (204 if cut >= 204 else 0)
    assert ws_framing.frame_extent(server_frame(Opcode.BINARY, b"z" * 70000), 0) == (70010, 70000)
    assert ws_framing.frame_extent(b"\x82\x7f\x00", 0) is None


Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter, bytes], Awaitable[None]]


@asynccontextmanager
async def raw_ws_server(serve: Serve) -> AsyncIterator[str]:
    """Answers the handshake by hand, then `serve(reader, writer, response)` writes the
    101 response (bytes given) itself, with whatever it likes in the same write."""
    done: list[asyncio.Task[None]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        done.append(asyncio.current_task())  # type: ignore[arg-type]
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        key = next(
            line.split(b":", 1)[1].strip()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest())
        response = (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        try:
            await serve(reader, writer, response)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.close()
        for task in done:
            task.cancel()
        await asyncio.wait_for(asyncio.gather(*done, return_exceptions=True), 5)


STREAM = [
    (server_frame(Opcode.BINARY, b"a" * 10), b"a" * 10),
    (server_frame(Opcode.TEXT, "hé".encode()), "hé"),
    (server_frame(Opcode.PING, b"p1"), None),
    (
        server_frame(Opcode.TEXT, b"frag1", fin=False)
        + server_frame(Opcode.CONT, b"frag2", fin=False)
        + server_frame(Opcode.CONT, b"frag3"),
        "frag1frag2frag3",
    ),
    (server_frame(Opcode.BINARY, b"x" * 300), b"x" * 300),
    (server_frame(Opcode.BINARY, b"y" * 70_000), b"y" * 70_000),
    (server_frame(Opcode.BINARY, b""), b""),
]


async def read_pongs(reader: asyncio.StreamReader, got: list[bytes]) -> None:
    while True:
        head = await reader.readexactly(2)
        length = head[1] & 0x7F  # the client's pongs and closes are short
        key = await reader.readexactly(4)
        body = bytes(b ^ key[i % 4] for i, b in enumerate(await reader.readexactly(length)))
        got.append(bytes([head[0] & 0x0F]) + body)


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1000, 0])
async def test_any_cut_of_the_stream_gives_the_same_messages(chunk: int) -> None:
    """Fed to the connection in reads of `chunk` bytes (0: one read, handshake
    included, as one write of the server)."""
    stream = b"".join(raw for raw, _ in STREAM if chunk != 1 or len(raw) < 1000)
    expected = [m for raw, m in STREAM if m is not None and (chunk != 1 or len(raw) < 1000)]
    client_sent: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, response: bytes):
        writer.write(response + (stream if chunk == 0 else b""))
        await writer.drain()
        await read_pongs(reader, client_sent)

    async with raw_ws_server(serve) as url:
        ws = await open_websocket(resolve("ws", url), WsOptions(max_size=None))
        assert isinstance(ws, _Connection)
        if chunk:
            for i in range(0, len(stream), chunk):
                ws.data_received(stream[i : i + chunk])
        got = [await asyncio.wait_for(recv_frame(ws), 10) for _ in expected]
        assert got == expected
        async with asyncio.timeout(10):
            while b"\x0ap1" not in client_sent:  # websockets answered the ping
                await asyncio.sleep(0.01)
        ws.transport.abort()


@pytest.mark.parametrize(
    ("frame", "expect"),
    [
        (Frame(Opcode.BINARY, b"masked").serialize(mask=True, extensions=[]), "code 1002"),
        (server_frame(Opcode.TEXT, b"\xff\xfe"), "code 1007"),
        (server_frame(Opcode.BINARY, b"z" * 5000), "5,000 bytes"),
        (server_frame(Opcode.CONT, b"orphan"), "code 1002"),
    ],
)
async def test_what_websockets_must_judge_it_still_judges(frame: bytes, expect: str) -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, response: bytes):
        writer.write(response + server_frame(Opcode.BINARY, b"fine") + frame)
        await writer.drain()
        sent: list[bytes] = []
        await read_pongs(reader, sent)  # the client's close frame, then it closes TCP

    async with raw_ws_server(serve) as url:
        ws = await open_websocket(resolve("ws", url), WsOptions(max_size=4096))
        assert await asyncio.wait_for(recv_frame(ws), 10) == b"fine"
        with pytest.raises((ClosedError, TooLargeError)) as err:
            await asyncio.wait_for(recv_frame(ws), 10)
        assert expect in str(err.value) and "\n" not in str(err.value)


async def test_a_header_held_back_when_rtprobe_closes_goes_to_websockets_first() -> None:
    """Half a header is held until the rest comes; if rtprobe closes meanwhile, websockets
    reads on from there and must get those bytes first (else a clean close was a 1006)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, response: bytes):
        writer.write(response + b"\x82")  # a binary frame's first header byte, alone
        await writer.drain()
        await asyncio.wait_for(reader.read(100), 10)  # the client's close frame
        writer.write(b"\x05hello" + server_frame(Opcode.CLOSE, b"\x03\xe8"))
        await writer.drain()
        await asyncio.sleep(1)  # the client closes TCP first, as a client should

    async with raw_ws_server(serve) as url:
        ws = await open_websocket(resolve("ws", url), WsOptions())
        assert isinstance(ws, _Connection)
        async with asyncio.timeout(10):
            while ws._carry != b"\x82":
                await asyncio.sleep(0.01)
        await asyncio.wait_for(ws.close(), 10)
        assert ws.close_code == 1000 and ws.protocol.parser_exc is None
