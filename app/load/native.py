"""Native threads for libraries that the engine loop runs and that start threads.

Under Locust every `threading.Thread` is a greenlet, and a greenlet started on the
engine's native thread never runs: no gevent hub runs there. aiortc's receiver decodes
video in a `threading.Thread` fed by a `queue.Queue`, so under Locust no frame was
decoded until the end. `patch_loaded` gives such modules, once loaded, a `threading`
and a `queue` of native parts: threads started with the original
`_thread.start_new_thread`, the C `SimpleQueue` (it blocks the OS thread, never a
hub), and a flag Event (set on one thread, read on another; the GIL makes it atomic).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from gevent import monkey

_start_native_thread: Any = monkey.get_original("_thread", "start_new_thread")
_native_lock: Any = monkey.get_original("_thread", "allocate_lock")
_native_queue: Any = monkey.get_original("queue", "SimpleQueue")

# modules known to start threads from code the engine loop runs
THREADED_MODULES = ("aiortc.rtcrtpreceiver",)


class NativeThread:
    """The part of `threading.Thread` those modules use, on a real OS thread."""

    def __init__(
        self,
        target: Callable[..., Any],
        name: str | None = None,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        daemon: bool | None = None,
    ) -> None:
        self.name = name or "rtprobe-native"
        self._call = (target, args, kwargs or {})
        self._done = _native_lock()
        self._started = False

    def start(self) -> None:
        self._done.acquire()
        self._started = True
        _start_native_thread(self._run, ())

    def _run(self) -> None:
        target, args, kwargs = self._call
        try:
            target(*args, **kwargs)
        finally:
            self._done.release()

    def join(self, timeout: float | None = None) -> None:
        if self._started and self._done.acquire(True, -1 if timeout is None else timeout):
            self._done.release()

    def is_alive(self) -> bool:
        return self._started and self._done.locked()


class FlagEvent:
    """`threading.Event` without waiting: set, clear and read from any thread."""

    def __init__(self) -> None:
        self._flag = False

    def set(self) -> None:
        self._flag = True

    def clear(self) -> None:
        self._flag = False

    def is_set(self) -> bool:
        return self._flag


NATIVE_THREADING = SimpleNamespace(Thread=NativeThread, Event=FlagEvent)
NATIVE_QUEUE = SimpleNamespace(Queue=_native_queue, SimpleQueue=_native_queue)


def patch_loaded() -> list[str]:
    """Give every module of `THREADED_MODULES` already imported its native parts; the
    names of those patched."""
    patched = []
    for name in THREADED_MODULES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "threading", None) is not NATIVE_THREADING:
            module.threading = NATIVE_THREADING  # type: ignore[attr-defined]
            module.queue = NATIVE_QUEUE  # type: ignore[attr-defined]
            patched.append(name)
    return patched
