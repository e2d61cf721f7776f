"""One run's health watch: the loop-lag probe, the CPU clock and the GC timer together,
sending a `Health` event now and then (for the GUI) and a final one at the end."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.core.events import Health, now_ns
from app.core.health.cpu import CpuClock
from app.core.health.gc_pauses import GcPauses
from app.core.health.loop_lag import INTERVAL_S, LoopLagProbe

EVERY_S = 1.0


class HealthMonitor:
    """`start()` on the run's loop; `await stop()` emits the final reading."""

    def __init__(
        self,
        emit: Callable[[Health], None],
        every_s: float | None = None,
        interval_s: float = INTERVAL_S,
    ) -> None:
        self.emit = emit
        self.every_s = EVERY_S if every_s is None else every_s  # read now: tests set it
        self.probe = LoopLagProbe(interval_s)
        self.gc = GcPauses()
        self.cpu = CpuClock()
        self._ticker: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.cpu = CpuClock()
        self.gc.start()
        self.probe.start()
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            self.emit(self.reading())

    def reading(self, final: bool = False) -> Health:
        cpu = self.cpu.read()
        lag = self.probe.lag.summary()  # one pass over the counters for all three figures
        return Health(
            t_ns=now_ns(),
            wall_s=round(cpu.wall_s, 6),
            cpu_s=round(cpu.cpu_s, 6),
            loop_cpu_s=round(self.probe.thread_cpu_s, 6),
            loop_wall_s=round(self.probe.wall_s, 6),
            cores=cpu.cores,
            lag_wakes=lag.count,
            lag_p50_ms=round(lag.p50, 4),
            lag_p99_ms=round(lag.p99, 4),
            lag_max_ms=round(lag.max, 4),
            gc_count=self.gc.count,
            gc_total_ms=round(self.gc.total_ns / 1e6, 4),
            gc_max_ms=round(self.gc.max_ns / 1e6, 4),
            final=final,
        )

    def stop(self) -> None:
        """End the watch and emit the final reading (once; safe to call again). Not a
        coroutine: the engine calls it in a `finally` that may run under cancellation,
        where nothing may stand between it and the run's RunFinished."""
        ticker, self._ticker = self._ticker, None
        if ticker is None:
            return
        ticker.cancel()
        self.probe.cancel()
        self.gc.stop()
        self.emit(self.reading(final=True))
