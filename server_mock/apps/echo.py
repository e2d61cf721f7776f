"""`mock/echo`: returns its input with server timestamps, on every transport.

Timestamps are `time.monotonic_ns()` at receive and at send, so a client on the
same machine (or any client, using only their difference) can split a round trip
into server time and network time. Optional input fields steer the app:
`sleep_ms` (compute time), `fail` (raise an app error).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from server_mock.apps.validate import InvalidInput, integer, number
from server_mock.realtime import AppError, RealtimeRoute


async def _compute(data: dict[str, Any]) -> None:
    sleep_ms = number(data, "sleep_ms", 0, 0, 60_000)
    if data.get("fail"):
        raise AppError(
            str(data.get("fail") if isinstance(data.get("fail"), str) else "app failed on request")
        )
    if sleep_ms:
        await asyncio.sleep(sleep_ms / 1000)


def stamped(data: dict[str, Any], recv_ns: int) -> dict[str, Any]:
    return {**data, "server_recv_ns": recv_ns, "server_send_ns": time.monotonic_ns()}


async def echo_one(data: dict[str, Any]) -> dict[str, Any]:
    recv_ns = time.monotonic_ns()
    await _compute(data)
    return stamped(data, recv_ns)


async def _unary(batch: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        return await echo_one(batch[0])
    except InvalidInput as exc:
        raise AppError(str(exc)) from None


async def _batch(batch: list[dict[str, Any]]) -> dict[str, Any]:
    recv_ns = time.monotonic_ns()
    try:
        for item in batch:
            await _compute(item)
    except InvalidInput as exc:
        raise AppError(str(exc)) from None
    return stamped({"batch": batch, "batch_size": len(batch)}, recv_ns)


def sse_events(data: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    """SSE: validate first (InvalidInput → HTTP 422), then `count` stamped events."""
    count = integer(data, "count", 3, 1, 100_000)
    interval = number(data, "interval_ms", 10, 0, 60_000) / 1000
    return _events(data, count, interval)


async def stream_outputs(data: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    """Server streaming: `count` outputs `interval_ms` apart, each the input plus `index`."""
    try:
        count = integer(data, "count", 5, 1, 100_000)
        interval = number(data, "interval_ms", 10, 0, 60_000) / 1000
    except InvalidInput as exc:
        raise AppError(str(exc)) from None
    async for event in _events(data, count, interval):
        yield event


async def _events(
    data: dict[str, Any], count: int, interval: float
) -> AsyncIterator[dict[str, Any]]:
    for index in range(count):
        recv_ns = time.monotonic_ns()
        if index and interval:
            await asyncio.sleep(interval)
        yield stamped({**data, "index": index}, recv_ns)


REALTIME_ROUTES = {
    "realtime": RealtimeRoute(mode="unary", handler=_unary),
    "realtime-stream": RealtimeRoute(mode="server_streaming", handler=stream_outputs),
    "realtime-batch": RealtimeRoute(mode="unary", handler=_batch, max_batch_size=4),
}
