"""Small hostile servers on 127.0.0.1 for the tests in this folder.

Each runs its own asyncio loop on a thread (`serving(...)`), so both in-process engine
tests and `rtprobe run` subprocesses can talk to it; start-up and shutdown are bounded.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

START_TIMEOUT_S = 10.0


class Closable(Protocol):
    """What asyncio's and websockets' servers both have."""

    def close(self) -> None: ...

    async def wait_closed(self) -> None: ...


@contextmanager
def serving(start: Callable[[], Coroutine[Any, Any, tuple[Closable, int]]]) -> Iterator[int]:
    """Run `start()` (returns (server, port); the server has `close()` and
    `wait_closed()`) on a loop of its own thread; yields the port, closes it after."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="hostile-server", daemon=True)
    thread.start()
    try:
        server, port = asyncio.run_coroutine_threadsafe(start(), loop).result(START_TIMEOUT_S)
        try:
            yield port
        finally:

            async def stop() -> None:
                server.close()
                await asyncio.wait_for(server.wait_closed(), 5)

            asyncio.run_coroutine_threadsafe(stop(), loop).result(START_TIMEOUT_S)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT_S)
        loop.close()


# -- plain HTTP: a request at a time, answered by a handler ------------------------------


HttpHandler = Callable[[str, str, dict[str, str], bytes], Awaitable[bytes]]


async def http_server(handler: HttpHandler) -> tuple[asyncio.Server, int]:
    """A minimal HTTP/1.1 server: `handler(method, target, headers, body)` returns the
    whole raw response (status line, headers, body); the connection closes after it."""

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            body = await asyncio.wait_for(reader.readexactly(length), 10) if length else b""
            writer.write(await handler(method, target, headers, body))
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def http_response(status: str, body: bytes, content_type: str = "text/plain") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def echo_headers(target: str, headers: dict[str, str]) -> str:
    """What a reflecting server says back: the request target and every header."""
    return f"{target} " + " ".join(f"{k}: {v}" for k, v in headers.items())
