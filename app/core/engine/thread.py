"""The engine on its own thread and asyncio loop, in this process.

Measured here: a live 30 Hz plot on the measuring loop's thread raises p99 round trip
from ~0.25 ms to ~1 ms. So the GUI never runs the engine itself: it submits runs here
and drains batched events from a bounded, thread-safe `Outbox` on a timer. The GUI
normally uses `EngineProcess` (see app.core.engine.process); this is its in-process
twin, with the same interface: submit, stop, send_action, pause, drain, close.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any

from app.core import precise_loop
from app.core.config import RunConfig
from app.core.engine.host import RunHost
from app.core.engine.outbox import MAX_QUEUED, Outbox
from app.core.events import Event


class EngineThread:
    def __init__(self, max_queued: int | None = None) -> None:
        """`max_queued`: events held for the GUI at most (default `MAX_QUEUED`, read at
        call time so a test can lower it)."""
        max_queued = MAX_QUEUED if max_queued is None else max_queued
        self._loop = precise_loop.new_loop()
        self._thread = threading.Thread(target=self._serve, name="rtprobe-engine", daemon=True)
        self._outbox = Outbox(max_queued)
        self._host = RunHost(self._outbox)
        self._ids = itertools.count(1)
        self._thread.start()
        self.ready = True  # as EngineProcess's: a thread takes commands at once

    @property
    def overflowed(self) -> int:
        """Events dropped because the GUI did not drain in time, in all."""
        return self._outbox.overflowed

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    # -- called from the GUI thread ------------------------------------------------
    def submit(self, config: RunConfig) -> int:
        """Start a run; its events arrive through `drain()` tagged with the returned id."""
        run_id = next(self._ids)
        self._loop.call_soon_threadsafe(self._host.start, run_id, config)
        return run_id

    def stop(self, run_id: int) -> None:
        self._loop.call_soon_threadsafe(self._host.stop, run_id)

    def call(self, fn: Callable[[], Coroutine[Any, Any, Any]]) -> Future[Any]:
        """Run a coroutine function on the engine loop."""
        return asyncio.run_coroutine_threadsafe(fn(), self._loop)

    def act(self, run_id: int, what: str, value: object) -> Future[None]:
        """Steer a running run (`"action", "w u"` / `"pause", True`); what it cannot take
        arrives as the run's ErrorEvent."""
        return self.call(lambda: self._host.act(run_id, what, value))

    def send_action(self, run_id: int, action: str) -> Future[None]:
        """WebRTC: send `action` ("w u") to a running run; failures arrive as ErrorEvents."""
        return self.act(run_id, "action", action)

    def pause(self, run_id: int, paused: bool) -> Future[None]:
        """WebRTC: pause or resume a running run's generated video (ErrorEvents on failure)."""
        return self.act(run_id, "pause", paused)

    def drain(self) -> list[tuple[int, Event]]:
        return self._outbox.take()

    def close(self, timeout_s: float = 5.0) -> None:
        async def finish() -> None:
            await self._host.close(timeout_s)
            # what the runs left behind (a peer connection's own tasks, …)
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self.call(finish).result(timeout_s + 2)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout_s)
        if not self._thread.is_alive():
            self._loop.close()
