"""Ending a headless command cleanly on SIGINT or SIGTERM, whatever it inherited.

Python turns SIGINT into KeyboardInterrupt only when the process starts with SIGINT at
its default; a background job of a non-interactive shell (`rtprobe mock &` in a script,
CI) starts with SIGINT ignored, so Ctrl+C or `kill -INT` did nothing and the command ran
forever. SIGTERM, by default, killed the process before it could write its reports or
stop its mock child. `StopSignals` installs handlers for both on the running asyncio
loop explicitly: the first signal asks the work to stop (`stop` is set), and `finish`
gives it a short grace before cancelling it; a second signal cancels at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable
from types import FrameType, TracebackType
from typing import Any, TypeVar

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_GRACE_S = 1.0  # after the first signal, how long the work may take to wind down

T = TypeVar("T")


class StopSignals:
    """`with StopSignals() as stops: await stops.finish(work)`, inside a running loop."""

    def __init__(self, grace_s: float = STOP_GRACE_S) -> None:
        self.grace_s = grace_s
        self.stop = asyncio.Event()
        self.signum: int | None = None  # the first stop signal received
        self._loop = asyncio.get_running_loop()
        self._task: asyncio.Future[Any] | None = None
        self._installed: list[tuple[int, object]] = []  # (signal, what to restore)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as shells report a command a signal ended."""
        return 128 + self.signum if self.signum else 0

    def __enter__(self) -> StopSignals:
        for sig in STOP_SIGNALS:
            previous = signal.getsignal(sig)
            try:
                self._loop.add_signal_handler(sig, self._received, sig)
            except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
                try:
                    signal.signal(sig, self._from_handler)
                except ValueError:  # not the main thread: nothing can be installed
                    continue
            self._installed.append((sig, previous))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for sig, previous in self._installed:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                self._loop.remove_signal_handler(sig)
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(sig, previous)  # type: ignore[arg-type]  # what getsignal gave
        self._installed = []

    def _from_handler(self, signum: int, frame: FrameType | None) -> None:
        self._loop.call_soon_threadsafe(self._received, signum)

    def _received(self, signum: int) -> None:
        if self.signum is None:
            self.signum = signum
            self.stop.set()
        elif self._task is not None:
            self._task.cancel()  # asked twice: no more grace

    async def finish(self, work: Awaitable[T]) -> T | None:
        """Await `work`; after a stop signal give it `grace_s`, then cancel it (None)."""
        task = asyncio.ensure_future(work)
        self._task = task
        waiter = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                await asyncio.wait({task}, timeout=self.grace_s)
            if not task.done():
                task.cancel()
            try:
                return await task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise  # we are cancelled ourselves, not only the work
                return None
        finally:
            self._task = None
            waiter.cancel()
