"""Small hostile servers on 127.0.0.1 for the tests of this package, each bounded in time.

Plain asyncio streams, no framework: each server does one wrong thing on purpose (trickles
forever, refuses credentials) and is stopped by the fixture that started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
SERVE_S = 120.0  # no connection is served longer than this, whatever the test does


@contextlib.contextmanager
def serve(handler: Handler, ssl_context: ssl.SSLContext | None = None) -> Iterator[int]:
    """Run `handler` for every connection on 127.0.0.1 in a thread of its own; yields the port."""
    loop = asyncio.new_event_loop()
    started: list[asyncio.Server] = []
    ready = threading.Event()

    async def bounded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # cancelled when the server stops: end quietly, as a finished connection
        with contextlib.suppress(Exception, asyncio.CancelledError):
            async with asyncio.timeout(SERVE_S):
                await handler(reader, writer)
        writer.close()

    async def start() -> None:
        started.append(await asyncio.start_server(bounded, "127.0.0.1", 0, ssl=ssl_context))
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    ready.wait(10)
    server = started[0]
    try:
        yield server.sockets[0].getsockname()[1]
    finally:

        async def stop() -> None:
            server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """The request head and, when it says how long, its body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return head


def trickling_sse(every_s: float = 1.0) -> Handler:
    """An SSE stream that never ends: one event every `every_s`, forever."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        n = 0
        while True:
            event = f'data: {{"n": {n}}}\n\n'.encode()
            writer.write(b"%x\r\n%s\r\n" % (len(event), event))
            await writer.drain()
            n += 1
            await asyncio.sleep(every_s)

    return handle


def status_only(status: int = 401, reason: str = "Unauthorized") -> Handler:
    """Answers every HTTP request (a POST or a WebSocket upgrade) with `status` and a
    small JSON body, then closes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        body = b'{"detail": "no such key"}'
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()

    return handle
