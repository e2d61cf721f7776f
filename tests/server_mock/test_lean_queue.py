"""`LeanQueue`, the mock's per-message FIFO: order, wake-up, cancellation, one consumer.
(The mock's live tests run every input through two of them.)"""

from __future__ import annotations

import asyncio

import pytest

from server_mock.lean_queue import LeanQueue

pytestmark = pytest.mark.timeout(30)


async def test_items_come_out_in_order_and_a_waiting_get_wakes() -> None:
    q: LeanQueue[int] = LeanQueue()
    for i in range(5):
        q.put_nowait(i)
    assert q.qsize() == len(q) == 5 and not q.empty()
    assert [await q.get() for _ in range(3)] + [q.get_nowait(), q.get_nowait()] == list(range(5))
    assert q.empty()
    with pytest.raises(asyncio.QueueEmpty):
        q.get_nowait()
    getter = asyncio.ensure_future(q.get())
    await asyncio.sleep(0)
    assert not getter.done()
    q.put_nowait(42)
    assert await asyncio.wait_for(getter, 5) == 42


async def test_a_cancelled_get_loses_nothing_and_the_next_get_works() -> None:
    q: LeanQueue[str] = LeanQueue()
    getter = asyncio.ensure_future(q.get())
    await asyncio.sleep(0)
    getter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await getter
    q.put_nowait("kept")
    assert await asyncio.wait_for(q.get(), 5) == "kept"
    # cancelled after the item was put but before it ran: the item stays queued
    getter = asyncio.ensure_future(q.get())
    await asyncio.sleep(0)
    q.put_nowait("after")
    getter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await getter
    assert await asyncio.wait_for(q.get(), 5) == "after"


async def test_a_second_waiting_consumer_is_refused() -> None:
    q: LeanQueue[int] = LeanQueue()
    first = asyncio.ensure_future(q.get())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="one consumer"):
        await q.get()
    q.put_nowait(1)
    assert await asyncio.wait_for(first, 5) == 1


async def test_a_flood_while_nobody_waits_is_all_kept() -> None:
    q: LeanQueue[int] = LeanQueue()
    for i in range(100_000):
        q.put_nowait(i)
    got = [q.get_nowait() for _ in range(100_000)]
    assert got == list(range(100_000)) and q.empty()
