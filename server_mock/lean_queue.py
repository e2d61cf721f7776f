"""A FIFO for one consumer, in place of asyncio.Queue on the mock's per-message path.

Every input crosses two queues: uvicorn's receive queue (protocol -> ASGI app) and the
unary session's app queue (reader -> worker). asyncio.Queue looks its loop up on every
`get`, keeps a deque of getter futures and wakes them through a helper: with both
queues that was ~10 % of the mock's CPU at 8,000 msg/s (py-spy, `mock_echo.py` at 800
sessions), where the bare websockets echo has no queue at all. Here: a deque and at
most one waiting future. One consumer at a time, as both users have (a second
concurrent `get` is a bug and raises); `put_nowait` never blocks, bounds are the
caller's (uvicorn pauses reading, the unary session keeps its gateway).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class LeanQueue(Generic[T]):
    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: T) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def get(self) -> T:
        items = self._items
        while not items:
            if self._waiter is not None:
                raise RuntimeError("LeanQueue has one consumer: a second get() is waiting")
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                if self._waiter is waiter:  # cancelled, or woken by nobody
                    self._waiter = None
        return items.popleft()

    def get_nowait(self) -> T:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    def __len__(self) -> int:
        return len(self._items)
