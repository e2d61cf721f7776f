"""The engine loop on a native thread, and greenlets waiting on its coroutines."""

from __future__ import annotations

import asyncio
import threading

import gevent
import pytest

from app.load.bridge import EngineThread
from tests.load import needs_locust

needs_locust()  # gevent comes with Locust


@pytest.fixture
def engine():
    e = EngineThread()
    e.start()
    yield e
    e.stop()


def test_a_greenlet_waits_for_a_coroutine_while_other_greenlets_run(engine: EngineThread) -> None:
    ticks: list[int] = []

    def ticker() -> None:
        for i in range(5):
            ticks.append(i)
            gevent.sleep(0.01)

    async def slow() -> tuple[int, bool]:
        await asyncio.sleep(0.2)
        return threading.get_ident(), asyncio.get_running_loop() is engine.loop

    g = gevent.spawn(ticker)
    ident, on_engine_loop = engine.wait(engine.submit(slow()), timeout_s=10)
    assert on_engine_loop and ident != threading.get_ident()  # another OS thread
    assert ticks == [0, 1, 2, 3, 4]  # the hub ran while the greenlet waited
    g.join(timeout=5)


def test_an_exception_of_the_coroutine_is_raised_in_the_waiting_greenlet(
    engine: EngineThread,
) -> None:
    async def fails() -> None:
        raise KeyError("nope")

    with pytest.raises(KeyError, match="nope"):
        engine.wait(engine.submit(fails()), timeout_s=10)


def test_the_loop_resolves_names_in_native_threads(engine: EngineThread) -> None:
    async def resolve() -> int:
        return len(await asyncio.get_running_loop().getaddrinfo("localhost", 80))

    assert engine.wait(engine.submit(resolve()), timeout_s=10) > 0


def test_call_reads_loop_state_and_stop_ends_the_thread_at_once(engine: EngineThread) -> None:
    assert engine.call(lambda: asyncio.get_running_loop() is engine.loop) is True
    assert engine.running
    engine.stop()
    assert not engine.running and engine.loop.is_closed()
