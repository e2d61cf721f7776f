"""How late the event loop wakes a task that asked to sleep a fixed interval.

A loop that is busy (a CPU hog, thousands of callbacks queued, a long GC pause) wakes
a sleeper late; that lateness is queueing every message of the run also waited
through, so it is the client's own share of every round trip measured meanwhile.
The probe keeps an HDR histogram of the whole run and, for a windowed reading (the
mock's `/health`), a bounded ring of the latest wakes with the loop thread's CPU time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque

import numpy as np

from app.core.metrics import LatencyHistogram

INTERVAL_S = 0.010  # the probe's sleep; lag is measured beyond it
RING = 6_000  # wakes kept for windowed readings: 60 s at 10 ms


class LoopLagProbe:
    """A task on the loop it measures; `start()` on that loop, `stop()` to end it."""

    def __init__(self, interval_s: float = INTERVAL_S, ring: int = RING) -> None:
        self.interval_s = interval_s
        self.lag = LatencyHistogram()
        # (perf_counter s, lag s, loop thread CPU s) per wake, newest last
        self.recent: deque[tuple[float, float, float]] = deque(maxlen=ring)
        self.thread_cpu_s = 0.0  # CPU time of the loop's thread while probed
        self.wall_s = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch())

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def cancel(self) -> None:
        """End the probe without waiting for its task to finish."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            now = time.perf_counter()
            late = max(0.0, now - before - self.interval_s)
            self.lag.record_ns(int(late * 1e9))
            cpu = time.thread_time()
            self.recent.append((now, late, cpu))
            self.wall_s, self.thread_cpu_s = now - wall0, cpu - cpu0

    def window(self, seconds: float) -> dict[str, float]:
        """Lag p50/p99/max (ms) and the loop thread's CPU share (% of one core) over the
        last `seconds` of wakes; zeros before the first wake."""
        if not self.recent:
            return {"window_s": 0.0, "wakes": 0, "p50": 0.0, "p99": 0.0, "max": 0.0, "cpu": 0.0}
        newest = self.recent[-1][0]
        picked = [w for w in self.recent if w[0] >= newest - seconds]
        lags = np.fromiter((w[1] for w in picked), dtype=np.float64) * 1e3
        span = picked[-1][0] - picked[0][0]
        cpu = (picked[-1][2] - picked[0][2]) / span * 100 if span > 0 else 0.0
        return {
            "window_s": round(span, 3),
            "wakes": len(picked),
            "p50": round(float(np.percentile(lags, 50)), 3),
            "p99": round(float(np.percentile(lags, 99)), 3),
            "max": round(float(lags.max()), 3),
            "cpu": round(cpu, 1),
        }
