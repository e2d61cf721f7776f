"""Small helpers for raw-WebSocket tests: bounded reads that also report the close."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import msgpack
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.http11 import Response


def decode(frame: str | bytes) -> Any:
    return json.loads(frame) if isinstance(frame, str) else msgpack.unpackb(frame, raw=False)


async def drain(
    ws: ClientConnection, limit: int = 1000, timeout: float = 5.0
) -> tuple[list[Any], int | None]:
    """Read decoded frames until the connection closes; return them and the close code
    (1006 when the peer cut the TCP connection without a close frame)."""
    frames: list[Any] = []
    try:
        for _ in range(limit):
            frames.append(decode(await asyncio.wait_for(ws.recv(), timeout)))
    except websockets.ConnectionClosed as exc:
        code = exc.rcvd.code if exc.rcvd is not None else 1006
        return frames, code
    raise AssertionError(f"connection still open after {limit} frames")


def connect(url: str, **kwargs: Any):
    return websockets.connect(url, compression=None, open_timeout=5, **kwargs)


async def refused(url: str, **kwargs: Any) -> Response:
    """The HTTP answer to a WebSocket handshake the server refused (fails if it accepted)."""
    try:
        async with connect(url, **kwargs):
            pass
    except websockets.InvalidStatus as exc:
        return exc.response
    raise AssertionError(f"the handshake to {url} was accepted")
