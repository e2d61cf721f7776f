"""The engine's events on their way to a consumer that drains them in batches (the GUI).

Bounded: when the consumer does not take them in time, events that arrive while
`limit` are waiting are discarded and counted, per run and in all (`overflowed`). A
run's drop count goes out as one `EventsDropped` at the next `take()`, and at the latest
just before its `RunFinished`, which is never discarded: a view always learns that its
run ended, and how much of it it did not see.

Thread-safe: the engine thread appends while the GUI thread takes.
"""

from __future__ import annotations

import threading
from collections import Counter

from app.core.events import Event, EventsDropped, RunFinished, now_ns

MAX_QUEUED = 200_000  # events held for the consumer at most


class Outbox:
    def __init__(self, limit: int = MAX_QUEUED) -> None:
        self.limit = limit
        self.overflowed = 0  # events discarded in all, since the start
        self.finished = 0  # RunFinished events put, in all
        self._events: list[tuple[int, Event]] = []
        self._dropped: Counter[int] = Counter()  # per run, not yet reported
        self._lock = threading.Lock()

    def put(self, run_id: int, event: Event) -> None:
        with self._lock:
            if isinstance(event, RunFinished):
                self.finished += 1
                self._report(run_id)
            elif len(self._events) >= self.limit:
                self._dropped[run_id] += 1
                self.overflowed += 1
                return
            self._events.append((run_id, event))

    def take(self) -> list[tuple[int, Event]]:
        """Everything waiting, oldest first, then a count of what was dropped."""
        with self._lock:
            for run_id in list(self._dropped):
                self._report(run_id)
            batch, self._events = self._events, []
        return batch

    def __len__(self) -> int:
        return len(self._events)

    def _report(self, run_id: int) -> None:
        count = self._dropped.pop(run_id, 0)
        if count:
            self._events.append((run_id, EventsDropped(now_ns(), count)))
