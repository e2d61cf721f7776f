"""`wsbase.send_frame`'s direct path (`_Connection.send_now`) against a real websockets
server on 127.0.0.1: messages arrive whole and in order, a peer that stops reading makes
sends wait for the write buffer (flow control, not unbounded memory), and a socket that
fails or closes under a send gives a one-line ClosedError."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import websockets
from websockets.asyncio.server import ServerConnection

from app.core.errors import ClosedError
from app.core.targets import resolve
from app.core.transports.wsbase import WsOptions, _Connection, open_websocket, send_frame
from tests.support.waiting import async_wait_until

pytestmark = pytest.mark.timeout(60)

BIG = b"x" * 65536


class Server:
    def __init__(self) -> None:
        self.read = asyncio.Event()  # the handler reads only once this is set
        self.got: list[bytes | str] = []
        self.close_now = asyncio.Event()
        self.url = ""


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()

    async def handler(ws: ServerConnection) -> None:
        closer = asyncio.ensure_future(srv.close_now.wait())
        await srv.read.wait()
        try:
            while not closer.done():
                reader = asyncio.ensure_future(ws.recv())
                done, _ = await asyncio.wait({reader, closer}, return_when="FIRST_COMPLETED")
                if reader in done:
                    srv.got.append(reader.result())
                else:
                    reader.cancel()
            await ws.close(1000, "bye")
        except websockets.ConnectionClosed:
            pass

    async with websockets.serve(handler, "127.0.0.1", 0, max_size=None, max_queue=1) as ws_srv:
        port = next(iter(ws_srv.sockets)).getsockname()[1]
        srv.url = f"ws://127.0.0.1:{port}/"
        yield srv


async def test_messages_arrive_whole_and_in_order(server: Server) -> None:
    server.read.set()
    ws = await open_websocket(resolve("ws", server.url), WsOptions())
    assert isinstance(ws, _Connection)
    sent: list[bytes | str] = []
    for i in range(300):
        frame: bytes | str = f"text {i}" if i % 3 == 0 else bytes([i % 256]) * (i * 97 % 5000)
        sent.append(frame)
        await send_frame(ws, frame)
    await async_wait_until(lambda: len(server.got) == len(sent), 10, what="300 messages")
    assert server.got == sent
    await ws.close()


async def test_a_peer_that_stops_reading_makes_sends_wait(server: Server) -> None:
    ws = await open_websocket(resolve("ws", server.url), WsOptions())
    sent = 0
    for _ in range(4000):  # at most 256 MiB: loopback's buffers fill long before
        if ws.paused:
            break
        await send_frame(ws, BIG)
        sent += 1
    assert ws.paused, "the write buffer never filled"
    waiting = asyncio.ensure_future(send_frame(ws, BIG))
    await asyncio.sleep(0)
    assert not waiting.done()  # it waits for the buffer instead of growing it
    server.read.set()
    await asyncio.wait_for(waiting, 20)
    sent += 1
    await async_wait_until(lambda: len(server.got) == sent, 20, what="every message")
    assert all(m == BIG for m in server.got)
    await ws.close()


async def test_a_write_that_fails_is_a_one_line_closed_error(server: Server) -> None:
    server.read.set()
    ws = await open_websocket(resolve("ws", server.url), WsOptions())
    await send_frame(ws, b"first")

    def broken_write(data: bytes) -> None:
        raise OSError("simulated: the network went away")

    ws.transport.write = broken_write  # type: ignore[method-assign]
    with pytest.raises(ClosedError) as err:
        await asyncio.wait_for(send_frame(ws, b"second"), 10)
    assert "\n" not in str(err.value) and "1006" in str(err.value)


async def test_a_send_after_the_server_closed_is_a_closed_error(server: Server) -> None:
    server.read.set()
    ws = await open_websocket(resolve("ws", server.url), WsOptions())
    server.close_now.set()
    await asyncio.wait_for(ws.wait_closed(), 10)
    with pytest.raises(ClosedError, match="code 1000: bye"):
        await asyncio.wait_for(send_frame(ws, b"late"), 10)
