"""The garbage collector's pauses, timed by `gc.callbacks` ("start" to "stop").

A collection stops every thread of the process, the event loop included, so a long one
shows up as loop lag and as latency; counting them says how much of it was the GC's.
"""

from __future__ import annotations

import gc
import time
from typing import Any


class GcPauses:
    """Installed by `start()`, removed by `stop()`; totals since `start()`."""

    def __init__(self) -> None:
        self.count = 0
        self.total_ns = 0
        self.max_ns = 0
        self._began: int | None = None

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        now = time.perf_counter_ns()
        if phase == "start":
            self._began = now
        elif self._began is not None:
            took = now - self._began
            self._began = None
            self.count += 1
            self.total_ns += took
            self.max_ns = max(self.max_ns, took)

    def start(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def stop(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)
