"""SSE streaming (`POST …/stream`): `data: <json>` events, the fal way, with faults.

Errors before the stream starts are HTTP errors with a JSON `detail`; errors after
it started are ordinary events `{"error": …}`, as fal apps send them. An app may yield
an `SseItem` instead of a dict to give an event its other fields (`event:`, `id:`,
`retry:`), as servers other than fal's send them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sse_starlette.sse import EventSourceResponse

from server_mock.faults import INJECTED_ERROR, Faults
from server_mock.outbox import Outbox

log = logging.getLogger("server_mock")

KEEPALIVE_S = 15
WINDOW = 32  # events the outbox may write ahead of what the response has sent


class InjectedDisconnect(Exception):
    """Raised inside a response to cut the connection mid-stream (fault injection)."""


ERROR_EVENT = {"data": json.dumps({"error": INJECTED_ERROR})}


@dataclass(frozen=True, slots=True)
class SseItem:
    """An app's event with fields besides its data: `event` (its type), `id` (the last
    event ID it sets), `retry` (a reconnection time in ms); None leaves a field out."""

    data: dict[str, Any]
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    def frame(self) -> dict[str, Any]:
        out: dict[str, Any] = {"data": json.dumps(self.data, separators=(",", ":"))}
        if self.event is not None:
            out["event"] = self.event
        if self.id is not None:
            out["id"] = self.id
        if self.retry is not None:
            out["retry"] = self.retry
        return out


Events = AsyncIterator[dict[str, Any] | SseItem]


def _frame(event: dict[str, Any] | SseItem) -> dict[str, Any]:
    if isinstance(event, SseItem):
        return event.frame()
    return {"data": json.dumps(event, separators=(",", ":"))}


async def _pump(events: Events, outbox: Outbox[dict[str, Any]]) -> None:
    """The app's events into the outbox; an injected error ends the stream after it."""
    try:
        async for event in events:
            if outbox.stopped:  # an injected disconnect
                return
            await outbox.room(WINDOW)  # the app goes at the client's pace
            if outbox.send(_frame(event)) == "error":
                break
    except Exception as exc:  # an app failure mid-stream becomes an error event
        log.warning("%s: app error mid-stream: %s", outbox.label, exc)
        outbox.send_control({"data": json.dumps({"error": str(exc)})})
    await outbox.close(timeout=None)  # the response takes the frames at the client's pace


async def _with_faults(events: Events, faults: Faults, label: str) -> AsyncIterator[dict[str, Any]]:
    """The response body: what the outbox writes. The writer waits while WINDOW frames
    are not yet taken, so a slow client slows the stream, without a task switch per event."""
    frames: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
    room = asyncio.Event()

    async def write(frame: dict[str, Any]) -> None:
        frames.put_nowait(frame)
        while frames.qsize() >= WINDOW:
            room.clear()
            await room.wait()

    outbox = Outbox(faults, write, label=label, error_frame=ERROR_EVENT)
    outbox.start().add_done_callback(lambda _: frames.put_nowait(None))
    pump = asyncio.create_task(_pump(events, outbox))
    try:
        while (frame := await frames.get()) is not None:
            room.set()
            yield frame
        if outbox.aborted:
            raise InjectedDisconnect(f"{label}: injected disconnect after {outbox.outputs} events")
    finally:
        pump.cancel()
        await asyncio.gather(pump, return_exceptions=True)
        await outbox.cancel()


def sse_response(events: Events, faults: Faults, label: str) -> EventSourceResponse:
    return EventSourceResponse(
        _with_faults(events, faults, label),
        ping=KEEPALIVE_S,
        sep="\n",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
