"""The client's CPU share: process CPU time over wall time, as a share of one core
and of all the machine's cores (a single asyncio loop can use at most one core; the
loop thread's own share is the loop-lag probe's `thread_cpu_s`)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CpuReading:
    wall_s: float
    cpu_s: float  # user + system, every thread of the process
    cores: int

    @property
    def of_one_core(self) -> float:
        """Percent of one core (may exceed 100 with busy threads)."""
        return self.cpu_s / self.wall_s * 100 if self.wall_s > 0 else 0.0

    @property
    def per_core(self) -> float:
        """Percent of the whole machine."""
        return self.of_one_core / self.cores


class CpuClock:
    """Started at construction; `read()` gives the share since then."""

    def __init__(self) -> None:
        self._wall0 = time.perf_counter()
        self._cpu0 = time.process_time()

    def read(self) -> CpuReading:
        return CpuReading(
            wall_s=time.perf_counter() - self._wall0,
            cpu_s=time.process_time() - self._cpu0,
            cores=os.cpu_count() or 1,
        )
