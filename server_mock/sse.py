"""SSE streaming (`POST …/stream`): `data: <json>` events, the fal way, with faults.

Errors before the stream starts are HTTP errors with a JSON `detail`; errors after
it started are ordinary events `{"error": …}`, as fal apps send them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette.sse import EventSourceResponse

from server_mock.faults import Faults

log = logging.getLogger("server_mock")

KEEPALIVE_S = 15


class InjectedDisconnect(Exception):
    """Raised inside a response to cut the connection mid-stream (fault injection)."""


async def _with_faults(
    events: AsyncIterator[dict[str, Any]], faults: Faults, label: str
) -> AsyncIterator[dict[str, str]]:
    import asyncio

    sent = 0
    try:
        async for event in events:
            stall = faults.stall_s(sent)
            if stall:
                await asyncio.sleep(stall)
            await faults.delay()
            if faults.drop_output():
                continue
            if faults.error_output():
                yield {"data": json.dumps({"error": "injected fault: error_rate"})}
                return
            yield {"data": json.dumps(event, separators=(",", ":"))}
            sent += 1
            if faults.count_output():
                log.info("%s: injected disconnect after %d events", label, sent)
                raise InjectedDisconnect(f"{label}: injected disconnect after {sent} events")
    except InjectedDisconnect:
        raise
    except Exception as exc:  # an app failure mid-stream becomes an error event
        log.warning("%s: app error mid-stream: %s", label, exc)
        yield {"data": json.dumps({"error": str(exc)})}


def sse_response(
    events: AsyncIterator[dict[str, Any]], faults: Faults, label: str
) -> EventSourceResponse:
    return EventSourceResponse(
        _with_faults(events, faults, label),
        ping=KEEPALIVE_S,
        sep="\n",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
