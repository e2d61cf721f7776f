"""SSE streaming (`POST …/stream`): `data: <json>` events, the fal way, with faults.

Errors before the stream starts are HTTP errors with a JSON `detail`; errors after
it started are ordinary events `{"error": …}`, as fal apps send them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
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


async def _pump(events: AsyncIterator[dict[str, Any]], outbox: Outbox[dict[str, str]]) -> None:
    """The app's events into the outbox; an injected error ends the stream after it."""
    try:
        async for event in events:
            if outbox.stopped:  # an injected disconnect
                return
            await outbox.room(WINDOW)  # the app goes at the client's pace
            if outbox.send({"data": json.dumps(event, separators=(",", ":"))}) == "error":
                break
    except Exception as exc:  # an app failure mid-stream becomes an error event
        log.warning("%s: app error mid-stream: %s", outbox.label, exc)
        outbox.send_control({"data": json.dumps({"error": str(exc)})})
    await outbox.close(timeout=None)  # the response takes the frames at the client's pace


async def _with_faults(
    events: AsyncIterator[dict[str, Any]], faults: Faults, label: str
) -> AsyncIterator[dict[str, str]]:
    """The response body: what the outbox writes. The writer waits while WINDOW frames
    are not yet taken, so a slow client slows the stream, without a task switch per event."""
    frames: asyncio.Queue[dict[str, str] | None] = asyncio.Queue()
    room = asyncio.Event()

    async def write(frame: dict[str, str]) -> None:
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


def sse_response(
    events: AsyncIterator[dict[str, Any]], faults: Faults, label: str
) -> EventSourceResponse:
    return EventSourceResponse(
        _with_faults(events, faults, label),
        ping=KEEPALIVE_S,
        sep="\n",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
