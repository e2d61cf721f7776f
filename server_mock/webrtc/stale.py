"""The incoming frames of a mock WebRTC app, taken with or without drop-stale
(`server_mock/drop_stale.py` says why): `FrameQueue.next()` in place of
`track.recv()`."""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import MediaStreamTrack

from server_mock import drop_stale as policy
from server_mock.drop_stale import Counters


def _queue_of(track: MediaStreamTrack) -> asyncio.Queue[Any] | None:
    """aiortc's receive queue of a remote track (`RemoteStreamTrack._queue`): where the
    decoder leaves frames the app has not taken yet; None for a track without one."""
    queue = getattr(track, "_queue", None)
    return queue if isinstance(queue, asyncio.Queue) else None


# a frame is stale when this many newer ones wait behind it: at a steady frame rate it
# is then more than one frame interval older than the newest (one waiting is jitter)
STALE_BEHIND = 2


class FrameQueue:
    """The next frame of `source`; with `drop_stale`, when it is stale (`STALE_BEHIND`
    newer frames wait), the newest one waiting instead, the older ones dropped and
    counted (here, and in the process's `/health` counters)."""

    def __init__(
        self, source: MediaStreamTrack, drop_stale: bool, counters: Counters | None = None
    ) -> None:
        self.source = source
        self.drop_stale = drop_stale
        self.counters = counters if counters is not None else policy.COUNTERS
        self.dropped = 0
        self.depth_max = 0  # the deepest the receive queue was when a frame was taken

    @property
    def depth(self) -> int:
        queue = _queue_of(self.source)
        return 0 if queue is None else queue.qsize()

    async def next(self) -> Any:
        frame = await self.source.recv()
        queue = _queue_of(self.source)
        if queue is None:
            return frame
        waiting = queue.qsize()
        self.depth_max = max(self.depth_max, waiting)
        self.counters.queue_max = max(self.counters.queue_max, waiting)
        if not self.drop_stale or waiting < STALE_BEHIND:
            return frame  # one newer frame waiting is jitter, not a backlog: keep it
        while not queue.empty():
            newer = queue.get_nowait()
            if newer is None:  # the track ended: leave its end for the next call
                queue.put_nowait(None)
                break
            frame = newer
            self.dropped += 1
            self.counters.dropped += 1
        return frame
