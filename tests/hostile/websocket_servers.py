"""Small hostile servers for tests: asyncio, 127.0.0.1 only, on a free port, bounded.

`websocket_server(handler)` runs `handler(ws)` for every connection and yields the
server's ws:// base URL; the server closes when the block ends, however it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import websockets
from websockets.asyncio.server import ServerConnection

Handler = Callable[[ServerConnection], Awaitable[None]]


@asynccontextmanager
async def websocket_server(handler: Handler) -> AsyncIterator[str]:
    """A WebSocket server on 127.0.0.1 whose connections `handler` serves."""

    async def serve(ws: ServerConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):  # the client went: fine
            await handler(ws)

    server = await websockets.serve(serve, "127.0.0.1", 0, compression=None, max_size=None)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        server.close()
        await asyncio.wait_for(server.wait_closed(), 5)
