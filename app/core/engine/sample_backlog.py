"""A run's Samples, handed on after the sends that are due.

asyncio runs callbacks in the order they were queued. A reply and a due send often
become ready in the same pass of the loop (the socket and the send's timer fire
together); the reply's task step comes first, and everything done there for the
reply's Sample — the redactor and every sink (aggregator, CSV, timeline, the GUI's
pipe, Locust's recorder) — was send lag for the send behind it. So a Sample is only
queued here, and one callback per pass of the loop hands the queue on, behind the
sends woken meanwhile.

Order is kept: any other event hands the queued Samples on first (`emit`), and the
engine's RunFinished is such an event, so a run's events leave in the order they
happened, each within a pass of the loop. A sink that raises in the loop's callback
raises again at the end of the next `emit` (a loop callback's error would only be
logged), after that call's event was handed on: no event is lost to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.core.events import Event, Sample


class SampleBacklog:
    def __init__(self, emit: Callable[[Event], None]) -> None:
        self._emit = emit
        self._queued: list[Sample] = []
        self._scheduled = False
        self._failed: BaseException | None = None  # raised by a sink in `_due`

    def _raise_failed(self) -> None:
        failed, self._failed = self._failed, None
        if failed is not None:
            raise failed

    def add(self, sample: Sample) -> None:
        self._queued.append(sample)
        if not self._scheduled:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop to wait for (a caller outside the engine's)
                self.flush()
            else:
                self._scheduled = True
                loop.call_soon(self._due)
        self._raise_failed()

    def _due(self) -> None:
        self._scheduled = False
        try:
            self.flush()
        except BaseException as exc:  # for the session to raise, in its own task
            self._failed = exc

    def flush(self) -> None:
        """Hand on every queued Sample now (one sink raising leaves the rest queued)."""
        while self._queued:
            queued, self._queued = self._queued, []
            for i, sample in enumerate(queued):
                try:
                    self._emit(sample)
                except BaseException:
                    self._queued[:0] = queued[i + 1 :]
                    raise

    def emit(self, event: Event) -> None:
        """What the run's sessions are given: a Sample is queued, any other event goes
        at once, after the Samples queued before it."""
        if type(event) is Sample:
            self.add(event)
            return
        if self._queued:
            self.flush()
        self._emit(event)
        self._raise_failed()

    def __len__(self) -> int:
        return len(self._queued)
