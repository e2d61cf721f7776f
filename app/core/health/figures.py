"""What a run's health readings say, as the summary keeps them (JSON key `health` for
the client, `server_health` for the mock's `/health`): plain frozen values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClientHealth:
    """rtprobe's own health over the run. CPU shares are percent: `cpu_one_core` of one
    core (the process, every thread), `cpu_per_core` of the whole machine, `loop_cpu`
    the event loop's thread alone (one loop can use at most one core). `verdict` is the
    one line the summary prints when the client was the bottleneck, else ""."""

    wall_s: float
    cpu_one_core: float
    cpu_per_core: float
    loop_cpu: float
    cores: int
    loop_lag_wakes: int
    loop_lag_p50_ms: float
    loop_lag_p99_ms: float
    loop_lag_max_ms: float
    gc_count: int
    gc_total_ms: float
    gc_max_ms: float
    send_lag_p99_ms: float = 0.0
    saturated: bool = False
    verdict: str = ""


@dataclass(frozen=True)
class ServerHealth:
    """The mock's `/health` reading over the run's window (loop lag of its event loop,
    its loop thread's CPU share in percent of one core)."""

    window_s: float
    loop_lag_p50_ms: float
    loop_lag_p99_ms: float
    loop_lag_max_ms: float
    cpu: float
    saturated: bool = False
    verdict: str = ""
