"""One direction of one connection, shaped: bytes in, the planner's schedule out.

`Shaper.feed(data)` asks the chain (plan.py) what to emit when, and a drain task
sleeps until each item's time and performs it on the `Sink`. With no toxic in effect
and nothing queued, bytes go straight through (no task, no copy). The shaper counts
bytes it holds so the connection can stop reading its source past a high-water mark.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable
from typing import Protocol

from app.core.network.plan import CLOSE_KIND, EOF_KIND, Chain, End, Item, Piece
from app.core.network.toxics import Toxic

HIGH_WATER = 1 << 20  # bytes held before the source is paused
LOW_WATER = 1 << 18


class Sink(Protocol):
    """Where a direction's bytes go, and how the connection ends."""

    def write(self, data: bytes) -> None: ...
    def write_eof(self) -> None: ...
    def close(self) -> None: ...
    def reset(self) -> None: ...


class Shaper:
    def __init__(
        self,
        stream: str,
        current: Callable[[], list[Toxic]],
        sink: Sink,
        *,
        rng: random.Random | None = None,
        on_level: Callable[[bool], None] | None = None,
    ) -> None:
        """`current()` returns the toxics in effect for this connection now; `on_level(True)`
        asks to pause the source (too much held), `on_level(False)` to resume it."""
        self.stream = stream
        self._current = current
        self.sink = sink
        self.chain = Chain(rng)
        self._loop = asyncio.get_running_loop()
        self._items: deque[Item] = deque()
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._on_level = on_level
        self._high = False
        self.held = 0  # bytes queued, not yet written
        self.paused = False  # the sink's buffer is full: wait before writing more
        self._resumed = asyncio.Event()
        self.closed = False
        self._eof = False
        self.refresh()

    def refresh(self) -> None:
        """The toxics changed: the next bytes see the new ones."""
        if self.closed:
            return
        mine = [t for t in self._current() if t.stream == self.stream]
        self._push(self.chain.update(mine, self._loop.time()))
        self._arm()

    def feed(self, data: bytes) -> None:
        if self.closed or not data:
            return
        if self.chain.idle and not self._items and not self.paused:
            self.sink.write(data)  # the fast path: nothing to shape, nothing ahead of it
            return
        self._push(self.chain.feed(data, self._loop.time()))
        self._arm()

    def eof(self) -> None:
        if self.closed or self._eof:
            return
        self._eof = True
        self._push(self.chain.eof(self._loop.time()))
        self._arm()

    def pause(self) -> None:
        self.paused = True
        self._resumed.clear()

    def resume(self) -> None:
        self.paused = False
        self._resumed.set()

    def close(self) -> None:
        """The connection is gone: drop what is held, stop the task and the timer."""
        self.closed = True
        self._items.clear()
        self.held = 0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        self._task = None

    def _push(self, items: list[Item]) -> None:
        if not items or self.closed:
            return
        self._items.extend(items)
        self.held += sum(len(i.data) for i in items if isinstance(i, Piece))
        self._level()
        if self._task is None:
            self._task = self._loop.create_task(self._drain())

    def _level(self) -> None:
        high = self.held > HIGH_WATER or (self._high and self.held > LOW_WATER)
        if high != self._high:
            self._high = high
            if self._on_level is not None:
                self._on_level(high)

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self.chain.deadline()
        if deadline is not None and not self.closed:
            self._timer = self._loop.call_at(deadline, self._expire)

    def _expire(self) -> None:
        self._timer = None
        self._push(self.chain.expire(self._loop.time()))
        self._arm()

    async def _drain(self) -> None:
        try:
            while self._items and not self.closed:
                item = self._items[0]
                wait = item.at - self._loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue  # the queue may have changed (closed) while asleep
                if self.paused:
                    await self._resumed.wait()
                    continue
                self._items.popleft()
                if isinstance(item, Piece):
                    self.held -= len(item.data)
                    self._level()
                    self.sink.write(item.data)
                elif item.kind == EOF_KIND:
                    self.sink.write_eof()
                elif item.kind == CLOSE_KIND:
                    self.sink.close()
                else:
                    self.sink.reset()
        finally:
            if self._task is asyncio.current_task():
                self._task = None


__all__ = ["HIGH_WATER", "End", "Shaper", "Sink"]
