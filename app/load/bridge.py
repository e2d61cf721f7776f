"""The engine's asyncio loop in a native thread of a gevent process, and the way back.

Locust monkey-patches the standard library with gevent, so `threading.Thread` would be
a greenlet: the loop would then block the gevent hub. `EngineThread` starts a real OS
thread (`gevent.monkey.get_original`) that runs one asyncio loop for every session of
this process. A greenlet waits for a coroutine of that loop with `wait`: the
coroutine's future, once done, hands its result to a `gevent.event.AsyncResult`
through the hub's thread-safe callback, so only the waiting greenlet sleeps, never
the hub.

It is started in Locust's `init` event, not at import: the locustfile is imported
before `--processes` forks, and a thread does not survive a fork.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import gevent
import gevent.event
from gevent import monkey

T = TypeVar("T")

_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0


class EngineThread:
    """One asyncio loop on one native thread; `submit` coroutines, `wait` for them."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._hub = gevent.get_hub()  # the hub of the thread that will wait
        native_thread: Any = monkey.get_original("threading", "Thread")
        native_event: Any = monkey.get_original("threading", "Event")
        self._ready = native_event()
        self._thread = native_thread(target=self._main, name="rtprobe-engine", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT_S):
            raise RuntimeError("the rtprobe engine loop did not start")

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and self.loop.is_running()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule `coro` on the loop (from any thread or greenlet)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, fn: Callable[[], T], timeout_s: float = 5.0) -> T:
        """Run `fn` on the loop thread and wait (as a greenlet) for its result: how the
        gevent side reads state that only the loop may touch."""

        async def run() -> T:
            return fn()

        return self.wait(self.submit(run()), timeout_s)

    def wait(self, future: concurrent.futures.Future[T], timeout_s: float | None = None) -> T:
        """Block this greenlet (not the hub) until `future` is done; its result, or its
        exception raised here. gevent.Timeout after `timeout_s`."""
        result: gevent.event.AsyncResult = gevent.event.AsyncResult()

        def done(f: concurrent.futures.Future[T]) -> None:  # on the loop thread
            self._hub.loop.run_callback_threadsafe(_settle, result, f)

        future.add_done_callback(done)
        value: T = result.get(timeout=timeout_s)
        return value

    def stop(self) -> None:
        """Stop the loop and join its thread (bounded); tasks still pending are dropped."""
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(_STOP_TIMEOUT_S)


def _settle(result: gevent.event.AsyncResult, future: concurrent.futures.Future[Any]) -> None:
    """In the hub's thread: the future's outcome into the AsyncResult."""
    if future.cancelled():
        result.set_exception(concurrent.futures.CancelledError())
    elif (exc := future.exception()) is not None:
        result.set_exception(exc)
    else:
        result.set(future.result())
