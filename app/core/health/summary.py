"""A run's latest `Health` event as the summary's `ClientHealth`, verdict included."""

from __future__ import annotations

from dataclasses import replace

from app.core.events import Health
from app.core.health.figures import ClientHealth
from app.core.health.saturation import client_line, client_reason
from app.core.metrics import LatencyHistogram


def client_health(
    event: Health | None, rtt: LatencyHistogram, send_lag: LatencyHistogram
) -> ClientHealth | None:
    if event is None:
        return None
    one_core = event.cpu_s / event.wall_s * 100 if event.wall_s > 0 else 0.0
    loop_cpu = event.loop_cpu_s / event.loop_wall_s * 100 if event.loop_wall_s > 0 else 0.0
    h = ClientHealth(
        wall_s=round(event.wall_s, 3),
        cpu_one_core=round(one_core, 1),
        cpu_per_core=round(one_core / max(1, event.cores), 1),
        loop_cpu=round(loop_cpu, 1),
        cores=event.cores,
        loop_lag_wakes=event.lag_wakes,
        loop_lag_p50_ms=event.lag_p50_ms,
        loop_lag_p99_ms=event.lag_p99_ms,
        loop_lag_max_ms=event.lag_max_ms,
        gc_count=event.gc_count,
        gc_total_ms=event.gc_total_ms,
        gc_max_ms=event.gc_max_ms,
        send_lag_p99_ms=round(send_lag.percentile_ms(99), 4) if send_lag.count else 0.0,
    )
    reason = client_reason(h, rtt.percentile_ms(99) if rtt.count else 0.0)
    if not reason:
        return h
    return replace(h, saturated=True, verdict=client_line(reason))
