"""The engine's loop: timers that never fire early and never need a busy wait, with
sockets working as on asyncio's own loop. Counted in selector wake-ups, not timed."""

from __future__ import annotations

import asyncio
import socket
import sys

import pytest

from app.core import precise_loop
from app.core.events import now_ns
from app.core.sessions.base import sleep_until

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="timerfd is Linux's")


class Counting(precise_loop.PreciseSelector):
    """Counts how often the loop woke up to look at its sockets and timers."""

    def __init__(self) -> None:
        super().__init__()
        self.wakes = 0

    def select(self, timeout: float | None = None):  # type: ignore[no-untyped-def]
        self.wakes += 1
        return super().select(timeout)


def counting_loop() -> tuple[asyncio.AbstractEventLoop, Counting]:
    selector = Counting()
    loop = asyncio.SelectorEventLoop(selector)
    setattr(loop, precise_loop.PRECISE_MARK, True)
    return loop, selector


@linux_only
def test_the_engine_loop_is_precise_on_linux() -> None:
    loop = precise_loop.new_loop()
    try:
        assert precise_loop.is_precise(loop)
    finally:
        loop.close()
    other = asyncio.new_event_loop()
    try:
        assert not precise_loop.is_precise(other)
    finally:
        other.close()


@linux_only
def test_sleep_until_wakes_on_time_without_spinning() -> None:
    loop, selector = counting_loop()
    late: list[int] = []

    async def main() -> None:
        for i in range(200):  # bounded: 200 sleeps of 0.3-2.2 ms
            due = now_ns() + 300_000 + (i % 20) * 100_000
            await sleep_until(due)
            late.append(now_ns() - due)

    try:
        loop.run_until_complete(asyncio.wait_for(main(), 30))
    finally:
        loop.close()
    assert len(late) == 200 and min(late) >= 0  # never early
    # the old busy wait woke the loop hundreds of times per sleep; a timer needs ~1-2
    assert selector.wakes <= 200 * 3


@linux_only
def test_sockets_and_timers_together_and_a_stale_expiry_does_not_spin() -> None:
    loop, selector = counting_loop()
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)

    async def main() -> bytes:
        got = bytearray()
        for _ in range(50):  # bounded: 50 short timers with a byte between them
            loop.call_soon(b.send, b"x")
            got += await loop.sock_recv(a, 16)
            await asyncio.sleep(0.0002)
        # the last timer expired; now a wait with no timer at all must block, not spin
        before = selector.wakes
        loop.call_later(0.3, b.send, b"y")  # one 0.3 s timer, on the timerfd
        got += await loop.sock_recv(a, 16)
        assert selector.wakes - before <= 4
        return bytes(got)

    try:
        got = loop.run_until_complete(asyncio.wait_for(main(), 30))
    finally:
        a.close()
        b.close()
        loop.close()
    assert got == b"x" * 50 + b"y"


@linux_only
def test_long_waits_keep_epoll_and_a_fired_timer_is_cleared() -> None:
    loop, selector = counting_loop()

    async def main() -> None:
        await asyncio.sleep(0.001)  # arms the timerfd
        fut = loop.create_future()
        loop.call_later(1.2, fut.set_result, None)  # over LONGEST_S: plain epoll timeout
        before = selector.wakes
        await fut
        assert selector.wakes - before <= 4 and not selector._armed

    try:
        loop.run_until_complete(asyncio.wait_for(main(), 30))
    finally:
        loop.close()


def test_sleep_until_on_a_plain_loop_still_never_wakes_early() -> None:
    async def main() -> list[int]:
        late = []
        for _ in range(20):  # bounded
            due = now_ns() + 500_000
            await sleep_until(due)
            late.append(now_ns() - due)
        return late

    late = asyncio.run(main())
    assert len(late) == 20 and min(late) >= 0


def test_run_gives_the_coroutines_result() -> None:
    async def main() -> int:
        await asyncio.sleep(0.001)
        return 7

    assert precise_loop.run(main()) == 7
