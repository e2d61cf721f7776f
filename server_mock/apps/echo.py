"""`mock/echo`: returns its input with server timestamps, on every transport.

Timestamps are `time.monotonic_ns()` at receive and at send, so a client on the
same machine (or any client, using only their difference) can split a round trip
into server time and network time. Optional input fields steer the app:
`sleep_ms` (compute time), `fail` (raise an app error); on SSE, `sse_event` (every
event's type), `sse_id` (true: each event's id is its index) and `sse_retry_ms` (a
`retry:` field on the first event) give the events the fields other servers send.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from server_mock.apps.validate import InvalidInput, integer, number
from server_mock.realtime import AppError, RealtimeRoute
from server_mock.sse import Events, SseItem

MAX_EVENT_NAME = 200


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


def _unary_at_once(batch: list[dict[str, Any]]) -> dict[str, Any] | None:
    """`_unary` for an input with no compute time and no failure asked for (any such
    field, valid or not, takes `_unary`, which checks it)."""
    data = batch[0]
    if "sleep_ms" in data or "fail" in data:
        return None
    return stamped(data, time.monotonic_ns())


async def _batch(batch: list[dict[str, Any]]) -> dict[str, Any]:
    recv_ns = time.monotonic_ns()
    try:
        for item in batch:
            await _compute(item)
    except InvalidInput as exc:
        raise AppError(str(exc)) from None
    return stamped({"batch": batch, "batch_size": len(batch)}, recv_ns)


def sse_events(data: dict[str, Any]) -> Events:
    """SSE: validate first (InvalidInput → HTTP 422), then `count` stamped events, with
    the `event:`/`id:`/`retry:` fields `sse_event`, `sse_id`, `sse_retry_ms` ask for."""
    count = integer(data, "count", 3, 1, 100_000)
    interval = number(data, "interval_ms", 10, 0, 60_000) / 1000
    name = data.get("sse_event")
    if name is not None and (
        not isinstance(name, str) or len(name) > MAX_EVENT_NAME or "\n" in name or "\r" in name
    ):
        raise InvalidInput(f"field 'sse_event' must be one line of at most {MAX_EVENT_NAME}")
    ids = data.get("sse_id", False)
    if not isinstance(ids, bool):
        raise InvalidInput(f"field 'sse_id' must be a boolean, got {type(ids).__name__}")
    retry = None
    if data.get("sse_retry_ms") is not None:
        retry = integer(data, "sse_retry_ms", 0, 0, 3_600_000)
    events = _events(data, count, interval)
    if name is None and not ids and retry is None:
        return events
    return _with_fields(events, name, ids, retry)


async def _with_fields(
    events: AsyncIterator[dict[str, Any]], name: str | None, ids: bool, retry: int | None
) -> AsyncIterator[dict[str, Any] | SseItem]:
    index = 0
    async for event in events:
        yield SseItem(event, name, str(index) if ids else None, retry if index == 0 else None)
        index += 1


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
    "realtime": RealtimeRoute(mode="unary", handler=_unary, at_once=_unary_at_once),
    "realtime-stream": RealtimeRoute(mode="server_streaming", handler=stream_outputs),
    "realtime-batch": RealtimeRoute(mode="unary", handler=_batch, max_batch_size=4),
}
