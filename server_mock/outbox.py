"""One fault pipeline for every transport's outputs: drop, error, delay, stall, write, count.

A transport hands each app output to `send()`, where the session's faults decide at once
whether it goes, is dropped or is replaced by an error, and how long it waits; protocol
messages (signaling, `x-fal-error`, timings) go to `send_control()`, which faults never
touch and `disconnect_after` never counts. One sender task writes both kinds in the
order they were queued, through the transport's own `write` callback, so latency delays
outputs without limiting throughput (like a slow network, not a slow app). Faults are
read on every message, so a live change (`PUT /_mock/faults`) reaches open sessions.

`deliver()` is the fast path for a transport that can await: with no fault on and
nothing queued, the output is written at once by the caller's task, skipping the
queue and the sender's wake-up (a third of the mock's per-message work at 10k msg/s).
The sender and `deliver()` take turns on one lock, so order holds either way.

What an injected error looks like stays the transport's business: it gives the frame
that replaces the output (raw WebSocket, SSE) or none and reacts to the "error" fate
itself (realtime ends the session the way fal does). Transports keep only their framing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, Literal, TypeVar

from server_mock.faults import Faults

log = logging.getLogger("server_mock")

F = TypeVar("F")
Fate = Literal["queued", "dropped", "error"]


class Outbox(Generic[F]):
    """The ordered, fault-injected outgoing frames of one session."""

    def __init__(
        self,
        faults: Faults,
        write: Callable[[F], Awaitable[None]],
        *,
        label: str,
        error_frame: F | None = None,
        on_disconnect: Callable[[], None] | None = None,
    ) -> None:
        """`write` puts one frame on the wire (it may raise when the peer is gone: the
        outbox then stops). `error_frame` replaces an output hit by `error_rate`;
        `on_disconnect` runs when `disconnect_after` fires, before anything else is sent."""
        self.faults = faults
        self.label = label
        self._write = write
        self._error_frame = error_frame
        self._on_disconnect = on_disconnect
        # (due on the monotonic clock, 0.0 for "now"; counted as an output; frame)
        self._queue: asyncio.Queue[tuple[float, bool, F] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._taken = asyncio.Event()  # the sender took a frame off the queue
        self._pending = 0  # frames queued and not yet written (or dropped)
        self._wire = asyncio.Lock()  # held while a frame is written: one writer at a time
        self.aborted = False  # disconnect_after fired: the transport must not close politely
        self.stopped = False  # nothing more will be written

    @property
    def outputs(self) -> int:
        """Outputs written so far (injected error frames included)."""
        return self.faults.outputs

    @property
    def sender(self) -> asyncio.Task[None]:
        """The task that writes; it ends after `close()` has flushed, on an injected
        disconnect or when a write fails."""
        if self._task is None:
            raise RuntimeError("Outbox.start() was not called")
        return self._task

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self._run(), name=f"outbox {self.label}")
        return self._task

    # -- queueing --------------------------------------------------------------------
    def send(self, frame: F) -> Fate:
        """Queue one output through the faults; its fate says what became of it."""
        if self.stopped:
            return "dropped"
        faults = self.faults
        if not faults.active:  # no random draws, no clock, no timer
            self._put(0.0, True, frame)
            return "queued"
        if faults.drop_output():
            return "dropped"
        if faults.error_output():
            if self._error_frame is not None:
                self._put(self._due(), True, self._error_frame)
            return "error"
        self._put(self._due(), True, frame)
        return "queued"

    def quiet(self) -> bool:
        """Nothing queued or being written, no fault on, not stopped: an output written
        at once now goes exactly where `deliver` would have put it."""
        return not (self._pending or self.stopped or self._wire.locked() or self.faults.active)

    def count_written(self) -> None:
        """Count an output its session wrote at once (`quiet()` held: no fault is on, so
        no `disconnect_after` can fire)."""
        self.faults.count_output()

    async def deliver(self, frame: F) -> Fate:
        """As `send()`, but with no fault on and nothing queued, write it now (the fast
        path); otherwise it is queued like any other output."""
        if self._pending or self.stopped or self._wire.locked() or self.faults.active:
            return self.send(frame)
        async with self._wire:
            if not await self._write_output(frame):
                self.stopped = True
                self._queue.put_nowait(None)  # the sender ends too, as if it had written
        return "queued"

    def _put(self, due: float, output: bool, frame: F) -> None:
        self._pending += 1
        self._queue.put_nowait((due, output, frame))

    def send_control(self, frame: F) -> None:
        """Queue a protocol message: no faults, not counted, in order with the outputs."""
        if not self.stopped:
            self._put(0.0, False, frame)

    async def room(self, limit: int) -> None:
        """Wait until fewer than `limit` frames are queued: a transport whose app should
        go at the client's pace (SSE) calls this before asking its app for more."""
        while self._queue.qsize() >= limit and not self.stopped:
            self._taken.clear()
            await self._taken.wait()

    def _due(self) -> float:
        delay = self.faults.delay_s()
        return time.monotonic() + delay if delay else 0.0

    # -- ending ----------------------------------------------------------------------
    async def close(self, timeout: float | None = 10.0) -> None:
        """Write what is queued (waiting out its delays), then stop; wait at most
        `timeout` seconds for that (the sender carries on if it is not done by then)."""
        self._queue.put_nowait(None)
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task}, timeout=timeout)

    async def cancel(self) -> None:
        """Stop now, dropping whatever is still queued."""
        self.stopped = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    # -- sending ---------------------------------------------------------------------
    async def _run(self) -> None:
        faults = self.faults
        try:
            while (item := await self._queue.get()) is not None:
                self._taken.set()
                due, output, frame = item
                if output and faults.active:
                    stall = faults.stall_s(faults.outputs)
                    if stall:
                        await asyncio.sleep(stall)
                if due:
                    wait = due - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                async with self._wire:
                    self._pending -= 1
                    if not (await self._write_output(frame) if output else await self._try(frame)):
                        return
        finally:
            self.stopped = True
            self._taken.set()

    async def _try(self, frame: F) -> bool:
        """Write one frame; False when the peer has gone (the outbox then stops)."""
        try:
            await self._write(frame)
        except Exception as exc:  # the writer failed: the peer has gone
            log.debug("%s: send failed, outbox stops: %s", self.label, exc)
            return False
        return True

    async def _write_output(self, frame: F) -> bool:
        """Write and count one output; False when the outbox must stop (write failed, or
        `disconnect_after` fired)."""
        if not await self._try(frame):
            return False
        if self.faults.count_output():
            log.info("%s: injected disconnect after %d outputs", self.label, self.faults.outputs)
            self.aborted = True
            self.stopped = True
            if self._on_disconnect is not None:
                self._on_disconnect()
            return False
        return True
