"""The runs of one engine loop: start, steer and stop them, their events to one Outbox.

Both ways of hosting the engine for the GUI use it: `EngineThread` (a loop on a thread
of this process) and the engine process (a loop on the child's main thread). Call
every method on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib

from app.core.config import RunConfig
from app.core.engine.outbox import Outbox
from app.core.engine.run import RunControl, run
from app.core.errors import ClosedError, ProbeError
from app.core.events import ErrorEvent, now_ns
from app.core.sessions.registry import TRANSPORTS

REMEMBERED = 1000  # finished runs whose late controls are still answered


class RunHost:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._controls: dict[int, RunControl] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._finished: dict[int, str] = {}  # run id -> its transport's label

    @property
    def running(self) -> int:
        return len(self._tasks)

    def start(self, run_id: int, config: RunConfig) -> None:
        control = self._controls[run_id] = RunControl()
        self._tasks[run_id] = asyncio.create_task(self._run(run_id, config, control))

    def stop(self, run_id: int) -> None:
        control = self._controls.get(run_id)
        if control is not None:
            control.stop()

    async def act(self, run_id: int, what: str, value: object) -> None:
        """Steer a running run; what it cannot take becomes an ErrorEvent of the run (the
        one kind of event that may follow a RunFinished: a control sent after the end)."""
        try:
            control = self._controls.get(run_id)
            if control is None:
                label = self._finished.get(run_id)
                if label is None:
                    return  # never was a run here
                raise ClosedError(f"cannot send {what}: no connected {label} session")
            await control.act(what, value)
        except ProbeError as exc:
            self.outbox.put(run_id, ErrorEvent(None, now_ns(), type(exc).__name__, str(exc)))

    async def close(self, timeout_s: float) -> None:
        """Stop every run, give them `timeout_s` to finish, then cancel the rest."""
        for control in self._controls.values():
            control.stop()
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=timeout_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, run_id: int, config: RunConfig, control: RunControl) -> None:
        try:
            # run() names any failure in its RunFinished; nothing more to say here
            with contextlib.suppress(Exception):
                await run(config, lambda e: self.outbox.put(run_id, e), control)
        finally:
            self._controls.pop(run_id, None)
            self._tasks.pop(run_id, None)
            entry = TRANSPORTS.get(config.transport)
            self._finished[run_id] = entry.label if entry else config.transport
            while len(self._finished) > REMEMBERED:
                del self._finished[next(iter(self._finished))]
