"""The engine's asyncio loop in a native thread of a gevent process, and the way back.

Locust monkey-patches the standard library with gevent, so a thread would be a
greenlet and the loop would block the gevent hub. `EngineThread` starts a real OS
thread with the original `_thread.start_new_thread` (`gevent.monkey.get_original`;
the original `threading.Thread` class still looks up the patched `_start_new_thread`
and would start a greenlet) and runs one asyncio loop there, on the real selector, for
every session of this process. A greenlet waits for a coroutine of that loop with
`wait`: the coroutine's future, once done, hands its result to a
`gevent.event.AsyncResult` through the hub's thread-safe callback, so only the waiting
greenlet sleeps, never the hub.

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


_start_native_thread: Any = monkey.get_original("_thread", "start_new_thread")
_native_lock: Any = monkey.get_original("_thread", "allocate_lock")


class NativeExecutor(concurrent.futures.ThreadPoolExecutor):
    """The loop's default executor (getaddrinfo, `to_thread`): one native thread per
    call. The standard pool would start patched threads, greenlets of a hub that never
    runs on the engine thread, and a DNS lookup would wait forever. (A subclass only
    because asyncio accepts no other kind as its default executor.)"""

    def submit(
        self, fn: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

        _start_native_thread(work, ())
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to join: each call's thread ends with its call."""


class EngineThread:
    """One asyncio loop on one native thread; `submit` coroutines, `wait` for them."""

    def __init__(self) -> None:
        # the real selector: gevent's would make the loop a cooperative greenlet
        selector: Any = monkey.get_original("selectors", "DefaultSelector")
        self.loop = asyncio.SelectorEventLoop(selector())
        self.loop.set_default_executor(NativeExecutor())
        self._hub = gevent.get_hub()  # the hub of the thread that will wait
        self._ready = _native_lock()
        self._done = _native_lock()
        self._started = False

    def start(self) -> None:
        """Start the thread and wait (briefly blocking this one) until the loop runs."""
        self._ready.acquire()
        self._done.acquire()
        self._started = True
        _start_native_thread(self._main, ())
        if not self._ready.acquire(True, _START_TIMEOUT_S):
            raise RuntimeError("the rtprobe engine loop did not start")

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.release)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()
            self._done.release()

    @property
    def running(self) -> bool:
        return self._started and self._done.locked() and self.loop.is_running()

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
        """Stop the loop and wait for its thread to end (bounded; it blocks this thread,
        as at shutdown it may); tasks still pending are dropped."""
        if self.running:
            self.loop.call_soon_threadsafe(self.loop.stop)
            if self._done.acquire(True, _STOP_TIMEOUT_S):
                self._done.release()


def _settle(result: gevent.event.AsyncResult, future: concurrent.futures.Future[Any]) -> None:
    """In the hub's thread: the future's outcome into the AsyncResult."""
    if future.cancelled():
        result.set_exception(concurrent.futures.CancelledError())
    elif (exc := future.exception()) is not None:
        result.set_exception(exc)
    else:
        result.set(future.result())
